"""Duplicate detection against the database: the match-key index, the pre-submit candidate selector and the
scan service that files candidate pairs for stewards."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from p2p_portal.audit.context import Actor, acting_as
from p2p_portal.request_context import current_request_id
from vendors.dedupe.keys import MAX_BLOCK_SIZE, is_name_key, match_keys, match_keys_prepared
from vendors.dedupe.profile import CHUNK, VendorProfile, profiles_load
from vendors.dedupe.scan import ScanStatistics, scan_prepared
from vendors.dedupe.score import DUPLICATE_THRESHOLD, Match, compare_prepared, prepare
from vendors.models import DuplicateCandidate, DuplicateStatus, VendorMatchKey

SCAN_REASON = "duplicate scan"
# Rows a lookup reads from the key index at most: a key shared by thousands is junk, not a lead.
LOOKUP_MAX_KEY_ROWS = 5000
BATCH = 2000
_REBUILD_LOCK = int.from_bytes(hashlib.sha256(b"vendors.dedupe.match_keys_rebuild").digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class Candidate:
    """A vendor that may be the one a steward is about to create or change, with why."""

    vendor_id: int
    number: str
    legal_name: str
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class FoundPair:
    """A pair the scan found and left open for review."""

    vendor_a: int
    vendor_b: int
    score: float
    reasons: list[str]


@dataclass(frozen=True)
class ScanSummary:
    """What a duplicate scan did."""

    vendors: int
    pairs_found: int
    created: int
    updated: int
    unchanged: int
    skipped_dismissed: int
    keys_written: int
    blocks_skipped: int
    seconds: float
    pairs: list[FoundPair] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The counts (not the pairs), for printing and JSON."""
        return {
            "vendors": self.vendors,
            "pairs_found": self.pairs_found,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped_dismissed": self.skipped_dismissed,
            "keys_written": self.keys_written,
            "blocks_skipped": self.blocks_skipped,
            "seconds": self.seconds,
        }


# --- the match-key index ---------------------------------------------------------------------------------------


def match_keys_rebuild(vendor_ids: Iterable[int] | None = None) -> int:
    """Recompute the blocking keys of the given vendors (or of all) and store them; returns the keys stored.

    Call it after a vendor's names, identifiers, sites, contacts or bank accounts change. Merged vendors end up
    with no keys, so lookups and scans never offer them."""
    if vendor_ids is None:
        profiles = profiles_load()
        keys = {vendor_id: match_keys(profile) for vendor_id, profile in profiles.items()}
        return _match_keys_store_all(keys)
    ids = sorted(set(vendor_ids))
    profiles = profiles_load(ids)
    keys = {vendor_id: match_keys(profiles[vendor_id]) if vendor_id in profiles else set() for vendor_id in ids}
    return _match_keys_store_some(keys)


@transaction.atomic
def _match_keys_store_some(keys: Mapping[int, set[str]]) -> int:
    """Replace the stored keys of exactly these vendors (delete, then insert)."""
    ids = list(keys)
    for start in range(0, len(ids), CHUNK):
        VendorMatchKey.objects.filter(vendor_id__in=ids[start : start + CHUNK]).delete()
    rows = [
        VendorMatchKey(vendor_id=vendor_id, key=key) for vendor_id, vendor_keys in keys.items() for key in vendor_keys
    ]
    VendorMatchKey.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


@transaction.atomic
def _match_keys_store_all(keys: Mapping[int, set[str]]) -> int:
    """Make the whole key index exactly `keys`.

    On PostgreSQL the new index is copied into a temporary table and only the difference is written, so readers
    keep seeing a complete index while the rebuild runs and an unchanged vendor costs no write."""
    total = sum(len(vendor_keys) for vendor_keys in keys.values())
    if connection.vendor != "postgresql":
        VendorMatchKey.objects.all().delete()
        rows = (
            VendorMatchKey(vendor_id=vendor_id, key=key)
            for vendor_id, vendor_keys in keys.items()
            for key in vendor_keys
        )
        batch: list[VendorMatchKey] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                VendorMatchKey.objects.bulk_create(batch)
                batch = []
        VendorMatchKey.objects.bulk_create(batch)
        return total
    table = VendorMatchKey._meta.db_table
    with connection.cursor() as cursor:
        # Two full rebuilds at once would both see an empty index, or diff against each other's rows.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_REBUILD_LOCK])
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608 (table name from the model)
        if not cursor.fetchone()[0]:
            # The first build: nothing to diff against, so the keys go straight in.
            _copy_keys(cursor, table, keys)
            cursor.execute(f"ANALYZE {table}")
            return total
        # ON COMMIT DROP alone is not enough when a caller's outer transaction (a test) outlives this one.
        cursor.execute("DROP TABLE IF EXISTS dedupe_new_keys")
        cursor.execute(
            "CREATE TEMPORARY TABLE dedupe_new_keys "
            "(vendor_id bigint NOT NULL, key varchar(80) NOT NULL) ON COMMIT DROP"
        )
        _copy_keys(cursor, "dedupe_new_keys", keys)
        cursor.execute("ANALYZE dedupe_new_keys")
        cursor.execute(
            f"DELETE FROM {table} AS old WHERE NOT EXISTS "  # noqa: S608 (table name from the model)
            "(SELECT 1 FROM dedupe_new_keys AS new WHERE new.vendor_id = old.vendor_id AND new.key = old.key)"
        )
        cursor.execute(
            f"INSERT INTO {table} (vendor_id, key) SELECT new.vendor_id, new.key FROM dedupe_new_keys AS new "  # noqa: S608
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS old "
            "WHERE old.vendor_id = new.vendor_id AND old.key = new.key) "
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE dedupe_new_keys")
        # Fresh statistics, or the planner may scan the whole index table for a lookup's handful of keys.
        cursor.execute(f"ANALYZE {table}")
    return total


def _copy_keys(cursor: Any, table: str, keys: Mapping[int, set[str]]) -> None:
    """COPY (vendor_id, key) rows into `table`, in large text blocks (far faster than a row at a time)."""
    with cursor.cursor.copy(f"COPY {table} (vendor_id, key) FROM STDIN") as copy:
        lines: list[str] = []
        for vendor_id, vendor_keys in keys.items():
            prefix = f"{vendor_id}\t"
            lines.extend(prefix + _copy_escape(key) for key in vendor_keys)
            if len(lines) >= 50_000:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")


def _copy_escape(value: str) -> str:
    """A value in COPY's text format (backslash, tab and line breaks escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


# --- the selector a steward's form calls before submitting ---------------------------------------------------------


def duplicate_candidates_for(
    profile: VendorProfile, *, exclude_vendor_id: int | None = None, limit: int = 10
) -> list[Candidate]:
    """Existing vendors that look like `profile` (a vendor about to be created or changed), best first.

    Reads the key index for the profile's keys, loads the vendors found and scores each against the profile."""
    keys = match_keys(profile)
    if not keys:
        return []
    # Block sizes first, so that a key shared by a crowd is left out before any of its rows is read.
    sizes = dict(
        VendorMatchKey.objects.filter(key__in=keys).values("key").annotate(size=Count("id")).values_list("key", "size")
    )
    usable = [
        key
        for key, size in sizes.items()
        # A name shared by hundreds of vendors is no lead; an identifier shared by many still is one, up to
        # a point where it is junk (a placeholder tax id, a clearing-house phone).
        if size <= (MAX_BLOCK_SIZE if is_name_key(key) else LOOKUP_MAX_KEY_ROWS)
    ]
    excluded = {exclude_vendor_id, profile.vendor_id}
    vendor_ids = set(VendorMatchKey.objects.filter(key__in=usable).values_list("vendor_id", flat=True))
    vendor_ids -= excluded
    if not vendor_ids:
        return []
    prepared_profile = prepare(profile)
    candidates = []
    for vendor_id, other in profiles_load(vendor_ids).items():
        match = compare_prepared(prepared_profile, prepare(other))
        if match is not None:
            candidates.append(Candidate(vendor_id, other.number, other.legal_name, match.score, match.reasons))
    candidates.sort(key=lambda candidate: (-candidate.score, candidate.number))
    return candidates[:limit]


# --- the scan service ---------------------------------------------------------------------------------------------


def vendor_duplicates_scan(
    *, actor: Any, rebuild_keys: bool = True, threshold: float = DUPLICATE_THRESHOLD
) -> ScanSummary:
    """Compare every vendor that is not merged with the vendors it shares a blocking key with, and file the pairs
    that look like one supplier: new pairs open, open pairs get the new score and reasons, and pairs a steward
    dismissed or merged are never raised again."""
    # Not one transaction: the key index and the pairs are each written atomically, but the minute of
    # comparing in between holds no transaction (and no locks) open.
    started = time.perf_counter()
    profiles = profiles_load()
    prepared = {vendor_id: prepare(profile) for vendor_id, profile in profiles.items()}
    keys = {vendor_id: match_keys_prepared(entry) for vendor_id, entry in prepared.items()}
    keys_written = _match_keys_store_all(keys) if rebuild_keys else 0
    statistics = ScanStatistics()
    found = list(scan_prepared(prepared, keys, threshold=threshold, statistics=statistics))
    del prepared, keys
    created, updated, unchanged, skipped, pairs = _candidates_file(found, actor=actor)
    return ScanSummary(
        vendors=len(profiles),
        pairs_found=len(found),
        created=created,
        updated=updated,
        unchanged=unchanged,
        skipped_dismissed=skipped,
        keys_written=keys_written,
        blocks_skipped=statistics.blocks_skipped,
        seconds=round(time.perf_counter() - started, 3),
        pairs=pairs,
    )


@transaction.atomic
def _candidates_file(found: list[tuple[int, int, Match]], *, actor: Any) -> tuple[int, int, int, int, list[FoundPair]]:
    """Write the scan's pairs in bulk with their history rows: (created, updated, unchanged, skipped, open pairs)."""
    decided = {
        (vendor_a, vendor_b)
        for vendor_a, vendor_b in DuplicateCandidate.objects.exclude(status=DuplicateStatus.OPEN).values_list(
            "vendor_a_id", "vendor_b_id"
        )
    }
    open_pairs = {
        (candidate.vendor_a_id, candidate.vendor_b_id): candidate
        for candidate in DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN)
    }
    now = timezone.now()
    to_create: list[DuplicateCandidate] = []
    to_update: list[DuplicateCandidate] = []
    unchanged = skipped = 0
    pairs: list[FoundPair] = []
    for vendor_a, vendor_b, match in found:
        if (vendor_a, vendor_b) in decided:
            skipped += 1
            continue
        score = Decimal(str(match.score)).quantize(Decimal("0.001"))
        pairs.append(FoundPair(vendor_a, vendor_b, float(score), match.reasons))
        existing = open_pairs.get((vendor_a, vendor_b))
        if existing is None:
            to_create.append(
                DuplicateCandidate(
                    vendor_a_id=vendor_a,
                    vendor_b_id=vendor_b,
                    score=score,
                    reasons=match.reasons,
                    status=DuplicateStatus.OPEN,
                    found_at=now,
                )
            )
        elif existing.score != score or existing.reasons != match.reasons:
            existing.score = score
            existing.reasons = match.reasons
            to_update.append(existing)
        else:
            unchanged += 1
    with acting_as(actor, reason=SCAN_REASON) as acting:
        audit_fields = _history_audit_fields(acting)
        if to_create:
            bulk_create_with_history(
                to_create,
                DuplicateCandidate,
                batch_size=BATCH,
                default_user=None,
                default_change_reason=SCAN_REASON,
                custom_historical_attrs=audit_fields,
            )
        if to_update:
            bulk_update_with_history(
                to_update,
                DuplicateCandidate,
                ["score", "reasons"],
                batch_size=BATCH,
                default_user=None,
                default_change_reason=SCAN_REASON,
                custom_historical_attrs=audit_fields,
            )
    return len(to_create), len(to_update), unchanged, skipped, pairs


def _history_audit_fields(actor: Actor) -> dict[str, Any]:
    """The audit columns a history row gets from the acting context (bulk history skips the per-row signal)."""
    return {
        "history_actor_label": actor.display[:150],
        "history_api_client_id": actor.api_client_id,
        "history_request_id": (current_request_id() or "")[:128],
    }
