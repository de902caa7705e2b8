"""Re-matching at scale: N stored invoices of 5 lines (default 100,000: 500,000 lines) matched again through the
batch matcher, each against its received PO, the tolerance rules and the duplicate rules.

Prints one JSON line. Seeds the facility, vendors and one received PO per invoice like `ingest.py`, inserts the
invoices and lines straight into their tables (benchmark data need no history), then times `invoices_match_batch`
in batches of 500 over all of them (lines/s: their first match, the one that writes every line match), after timing
the one-at-a-time `invoices_rematch` on a first sample (`--sample`, for comparison); then re-matches the invoices left
in exception (`rematch_lines_per_second`: approved invoices are no longer matchable, so these are what a re-match
meets). The baseline is a raw PostgreSQL COPY of the same number of invoice and line rows
into scratch tables, measured in the same run.

    .venv/bin/python bench/match.py [--invoices 100000] [--sample 200] [--profile] [--keep-database]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any

import _django  # noqa: F401 (puts the project on sys.path and sets P2P_ENV and the settings module)
import ingest

BENCH_DATABASE = "p2p_bench_match"


def invoices_load(facility: Any, vendors: list[str], invoices: int) -> list[int]:
    """Insert the invoices and their lines as received (what `ingest.py` sends), without history; their keys."""
    from matching.duplicates import invoice_number_normalise
    from matching.models import Invoice, InvoiceLine, InvoiceStatus
    from vendors.models import Vendor

    vendor_ids = dict(Vendor.objects.filter(number__in=vendors).values_list("number", "pk"))
    stored: list[Invoice] = []
    for index in range(invoices):
        body = ingest.invoice_body(index, vendors[index % ingest.VENDORS])
        stored.append(
            Invoice(
                facility=facility,
                vendor_id=vendor_ids[body["vendor"]],
                vendor_reference={"number": body["vendor"]},
                invoice_number=body["invoice_number"],
                invoice_number_normalised=invoice_number_normalise(body["invoice_number"]),
                invoice_date=date.fromisoformat(body["invoice_date"]),
                currency="USD",
                po_number=body["po_number"],
                subtotal=Decimal(body["total_amount"]),
                total_amount=Decimal(body["total_amount"]),
                status=InvoiceStatus.RECEIVED,
                channel="bulk",
            )
        )
    Invoice.objects.bulk_create(stored, batch_size=5000)
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                invoice=invoice,
                line_number=line["line_number"],
                po_line_number=line["po_line_number"],
                item_code=line["item_code"],
                description=line["description"],
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
                amount=Decimal(line["amount"]),
            )
            for index, invoice in enumerate(stored)
            for line in ingest.invoice_body(index, vendors[index % ingest.VENDORS])["lines"]
        ),
        batch_size=5000,
    )
    return [invoice.pk for invoice in stored]


def main() -> None:
    """Seed, re-match every invoice, COPY the baseline; print one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200, help="Invoices re-matched one at a time first.")
    parser.add_argument("--profile", action="store_true", help="cProfile the re-match; top functions go to stderr.")
    parser.add_argument("--keep-database", action="store_true", help="Keep the benchmark database afterwards.")
    options = parser.parse_args()

    ingest.BENCH_DATABASE = BENCH_DATABASE
    ingest.database_setup()
    from django.db import connection
    from django.db.models import Count

    from matching.models import Invoice
    from matching.services.batch_match import invoices_match_batch
    from matching.services.rematch import BATCH, invoices_rematch

    started = time.perf_counter()
    facility, _secret, vendors = ingest.seed(options.invoices)
    ids = invoices_load(facility, vendors, options.invoices)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seed_seconds = time.perf_counter() - started

    sample, rest = ids[: options.sample], ids[options.sample :]
    start = time.perf_counter()
    invoices_rematch(actor="bench:match", invoice_ids=sample)
    single_seconds = time.perf_counter() - start
    profiler = cProfile.Profile() if options.profile else None
    if profiler is not None:
        profiler.enable()
    start = time.perf_counter()
    matched = 0
    for first in range(0, len(rest), BATCH):
        matched += len(invoices_match_batch(actor="bench:match", invoice_ids=rest[first : first + BATCH]))
    match_seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(40)
        print(report.getvalue(), file=sys.stderr)
    statuses = dict(Invoice.objects.values_list("status").annotate(count=Count("id")))
    # A true re-match: the invoices the first pass left in exception (approved ones are no longer matchable), matched
    # again with their line matches and exceptions in place.
    held = list(Invoice.objects.filter(status="exception").order_by("pk").values_list("pk", flat=True))
    start = time.perf_counter()
    for first in range(0, len(held), BATCH):
        invoices_match_batch(actor="bench:match", invoice_ids=held[first : first + BATCH])
    rematch_seconds = time.perf_counter() - start
    copy_seconds = statistics.median(ingest.copy_baseline(len(rest), facility.pk) for _ in range(3))
    lines = len(rest) * ingest.LINES
    rate = lines / match_seconds
    copy_rate = lines / copy_seconds
    print(
        json.dumps(
            {
                "benchmark": "match",
                "database": connection.vendor,
                "invoices": options.invoices,
                "batch_lines": lines,
                "matched": matched,
                "statuses": statuses,
                "seed_seconds": round(seed_seconds, 1),
                "match_seconds": round(match_seconds, 2),
                "lines_per_second": round(rate, 1),
                "rematch_invoices": len(held),
                "rematch_lines_per_second": round(len(held) * ingest.LINES / rematch_seconds, 1) if held else None,
                "one_at_a_time_sample_invoices": len(sample),
                "one_at_a_time_lines_per_second": round(len(sample) * ingest.LINES / single_seconds, 1)
                if sample
                else None,
                "baseline_copy_seconds": round(copy_seconds, 3),
                "baseline_copy_lines_per_second": round(copy_rate, 1),
                "match_over_copy": round(rate / copy_rate, 4),
            }
        )
    )
    if not options.keep_database:
        connection.close()
        connection.creation.destroy_test_db(BENCH_DATABASE, verbosity=0)


if __name__ == "__main__":
    os.environ.setdefault("P2P_ENV", "test")
    main()
