"""Scan the vendor master for duplicates, file candidate pairs for stewards, optionally write them to a CSV."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vendors.dedupe.profile import CHUNK
from vendors.dedupe.store import FoundPair, vendor_duplicates_scan
from vendors.models import SourceReference, Vendor

ACTOR = "command:scan_vendor_duplicates"
COLUMNS = ["vendor_a", "vendor_b", "source_ids_a", "source_ids_b", "score", "reasons"]
# Cells a spreadsheet would run as a formula (a vendor name like "=HYPERLINK(...)" must stay text).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """The value, with a leading quote when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


class Command(BaseCommand):
    """`scan_vendor_duplicates [--output pairs.csv] [--keep-keys]`: scan, file pairs, print the counts."""

    help = "Find vendors that look like one supplier and file them as duplicate candidates for stewards."

    def add_arguments(self, parser: CommandParser) -> None:
        """An optional CSV path, and a switch to reuse the stored match keys."""
        parser.add_argument("--output", type=Path, help="Write the open pairs found to this CSV file.")
        parser.add_argument(
            "--keep-keys", action="store_true", help="Reuse the stored match keys instead of rebuilding them first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the scan as the command's actor and print its summary."""
        summary = vendor_duplicates_scan(actor=ACTOR, rebuild_keys=not options["keep_keys"])
        self.stdout.write(
            f"Scanned {summary.vendors} vendor(s) in {summary.seconds} s: {summary.pairs_found} pair(s) found, "
            f"{summary.created} new, {summary.updated} updated, {summary.unchanged} unchanged, "
            f"{summary.skipped_dismissed} already dismissed or merged; {summary.blocks_skipped} oversized "
            f"block(s) skipped."
        )
        output: Path | None = options["output"]
        if output is not None:
            pairs_csv_write(output, summary.pairs)
            self.stdout.write(f"Wrote {len(summary.pairs)} pair(s) to {output}.")


def pairs_csv_write(path: Path, pairs: list[FoundPair]) -> None:
    """Write the pairs with portal numbers and source-system ids (SYSTEM:external_id, ';'-joined)."""
    vendor_ids = sorted({pair.vendor_a for pair in pairs} | {pair.vendor_b for pair in pairs})
    numbers: dict[int, str] = {}
    sources: defaultdict[int, list[str]] = defaultdict(list)
    for start in range(0, len(vendor_ids), CHUNK):
        chunk = vendor_ids[start : start + CHUNK]
        numbers.update(Vendor.objects.filter(id__in=chunk).values_list("id", "number"))
        for vendor_id, system, external_id in (
            SourceReference.objects.filter(vendor_id__in=chunk)
            .order_by("system", "external_id")
            .values_list("vendor_id", "system", "external_id")
        ):
            sources[vendor_id].append(f"{system}:{external_id}")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for pair in pairs:
            cells = [
                numbers.get(pair.vendor_a, str(pair.vendor_a)),
                numbers.get(pair.vendor_b, str(pair.vendor_b)),
                ";".join(sources.get(pair.vendor_a, [])),
                ";".join(sources.get(pair.vendor_b, [])),
                f"{pair.score:.3f}",
                "; ".join(pair.reasons),
            ]
            writer.writerow([csv_cell(cell) for cell in cells])
