"""Inbound sync of purchase orders from the procurement sandbox, end to end: the real connector (HTTP, keyset walk,
mapping), the sync service (page transactions, cursor, run row) and the bulk PO write with its history rows.

Prints one JSON line. Starts a sandbox (no faults) with N purchase orders of 5 lines (default 100,000), syncs its
suppliers first (not timed), then times one `sync_entity_run` of purchase orders: PO lines/s applied. The baseline
is a raw PostgreSQL COPY of the same PO and line rows into scratch tables, measured in the same run.

    .venv/bin/python bench/sync.py [--orders 100000] [--suppliers 500]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from decimal import Decimal

import _django  # noqa: F401 (puts the project on sys.path and sets P2P_ENV and the settings module)

BENCH_DATABASE = "p2p_bench_sync"
LINES = 5
KEY_VARIABLE = "P2P_BENCH_SANDBOX_API_KEY"
API_KEY = "bench-sync-key"


def database_setup() -> None:
    """Start Django on a benchmark database of its own, recreated and migrated."""
    import django
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        sys.exit("sync needs PostgreSQL: set DATABASE_URL=postgres://...")
    database["TEST"] = {"NAME": BENCH_DATABASE}
    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def copy_baseline(orders: int) -> float:
    """Seconds to COPY `orders` PO rows and 5 lines each into scratch tables shaped like ours."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_po (id bigint, facility_id bigint, number varchar(40), vendor_id bigint,"
            " currency varchar(3), status varchar(10), ordered_on date, revision int, source_system varchar(30),"
            " created_at timestamptz) ON COMMIT DROP;"
            "CREATE TEMP TABLE bench_line (id bigint, purchase_order_id bigint, line_number int, item_code varchar(60),"
            " gtin varchar(14), category varchar(8), description varchar(300), quantity_ordered numeric(14,4),"
            " unit_of_measure varchar(10), unit_price numeric(14,4), match_type varchar(10)) ON COMMIT DROP"
        )
        started = time.perf_counter()
        with cursor.cursor.copy("COPY bench_po FROM STDIN") as copy:
            for index in range(orders):
                copy.write_row((index, 1, f"PO-{index + 1:07d}", 1, "USD", "open", date(2024, 1, 1), 1, "bench", None))
        with cursor.cursor.copy("COPY bench_line FROM STDIN") as copy:
            for index in range(orders):
                for line in range(1, LINES + 1):
                    copy.write_row(
                        (index * LINES + line, index, line, "GLV-NIT-M", "", "42132203", "Nitrile gloves, box of 100",
                         Decimal("12.00"), "BX", Decimal("9.75"), "three_way")
                    )  # fmt: skip
        return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print its JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=500)
    arguments = parser.parse_args()
    database_setup()
    os.environ[KEY_VARIABLE] = API_KEY

    from integrations.models import ExternalSystem
    from integrations.sandbox.process import SandboxProcess
    from integrations.services.sync import sync_entity_run
    from matching.models import PurchaseOrder, PurchaseOrderLine
    from tests.factories import make_facility

    facility = make_facility("BENCH", "Benchmark Hospital")
    with SandboxProcess(
        api_key=API_KEY, suppliers=arguments.suppliers, orders=arguments.orders, receipts_ratio=0.0
    ) as sandbox:
        system = ExternalSystem.objects.create(
            code="bench",
            name="Benchmark sandbox",
            kind="procurement",
            connector="sandbox",
            base_url=sandbox.base_url,
            config={"api_key_env": KEY_VARIABLE},
            facility=facility,
            rate_limit_per_second=100_000.0,
        )
        suppliers = sync_entity_run(actor="bench", system=system, entity="supplier", triggered_by="bench")
        started = time.perf_counter()
        run = sync_entity_run(actor="bench", system=system, entity="purchase_order", triggered_by="bench")
        elapsed = time.perf_counter() - started
    lines = PurchaseOrderLine.objects.count()
    if run.status != "succeeded" or run.created != arguments.orders:
        sys.exit(f"the sync did not complete: {run.status} {run.created} {run.error}")
    assert PurchaseOrder.objects.count() == arguments.orders
    assert lines == arguments.orders * LINES
    history = PurchaseOrderLine.history.count()
    baseline = copy_baseline(arguments.orders)
    print(
        json.dumps(
            {
                "benchmark": "sync",
                "orders": arguments.orders,
                "po_lines": lines,
                "suppliers_synced": suppliers.created,
                "seconds": round(elapsed, 2),
                "po_lines_per_second": round(lines / elapsed),
                "orders_per_second": round(arguments.orders / elapsed),
                "history_rows_per_line": round(history / lines, 3),
                "target_po_lines_per_second": 2000,
                "baseline_copy_seconds": round(baseline, 2),
                "baseline_copy_po_lines_per_second": round(lines / baseline),
                "ratio_to_copy": round((lines / elapsed) / (lines / baseline), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
