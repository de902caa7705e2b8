"""The in-memory scan: every pair of vendors that share a blocking key, compared once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from vendors.dedupe.keys import MAX_BLOCK_SIZE, is_name_key, match_keys_prepared
from vendors.dedupe.profile import VendorProfile
from vendors.dedupe.score import DUPLICATE_THRESHOLD, Match, Prepared, compare_prepared, prepare


@dataclass
class ScanStatistics:
    """What a scan did, for the summary and the benchmark: blocks used, blocks skipped as too large, pairs."""

    keys: int = 0
    blocks_compared: int = 0
    blocks_skipped: int = 0
    pairs_compared: int = 0
    skipped_keys: list[str] = field(default_factory=list)


def scan(
    profiles: Mapping[int, VendorProfile],
    *,
    threshold: float = DUPLICATE_THRESHOLD,
    statistics: ScanStatistics | None = None,
) -> Iterator[tuple[int, int, Match]]:
    """Yield (a, b, match) with a < b for every pair of profiles that share a key and score at least `threshold`."""
    prepared = {vendor_id: prepare(profile) for vendor_id, profile in profiles.items()}
    keys = {vendor_id: match_keys_prepared(entry) for vendor_id, entry in prepared.items()}
    return scan_prepared(prepared, keys, threshold=threshold, statistics=statistics)


def scan_prepared(
    prepared: Mapping[int, Prepared],
    keys: Mapping[int, set[str]],
    *,
    threshold: float = DUPLICATE_THRESHOLD,
    statistics: ScanStatistics | None = None,
) -> Iterator[tuple[int, int, Match]]:
    """scan() on prepared profiles and their keys (the full scan works them out once for the key index too)."""
    stats = statistics if statistics is not None else ScanStatistics()
    blocks: defaultdict[str, list[int]] = defaultdict(list)
    for vendor_id, vendor_keys in keys.items():
        if vendor_id in prepared:
            for key in vendor_keys:
                blocks[key].append(vendor_id)
    stats.keys = len(blocks)

    pairs: set[tuple[int, int]] = set()
    for key, members in blocks.items():
        if len(members) < 2:
            continue
        if len(members) > MAX_BLOCK_SIZE:
            stats.blocks_skipped += 1
            stats.skipped_keys.append(key if is_name_key(key) else key.split(":", 1)[0] + ":…")
            continue
        stats.blocks_compared += 1
        members.sort()
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                pairs.add((first, second))
    del blocks

    stats.pairs_compared = len(pairs)
    for first, second in sorted(pairs):
        match = compare_prepared(prepared[first], prepared[second], threshold=threshold)
        if match is not None:
            yield first, second, match
