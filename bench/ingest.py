"""Invoice intake over real HTTP: the bulk API and single POSTs through gunicorn (2 workers), matching included.

Prints one JSON line. Seeds a facility, vendors, an API client and one fully received 5-line PO per invoice (bulk
inserts straight into the tables: benchmark data need no history), starts gunicorn on the benchmark database, then
sends N invoices of 5 lines (default 20,000; 95 % clean, 5 % with a price variance) in bulk requests of 1,000 from
2 clients, and single-invoice POSTs from 8 concurrent clients. The baseline is a raw PostgreSQL COPY of the same
number of invoice and line rows into scratch tables, measured in the same run.

    .venv/bin/python bench/ingest.py [--invoices 20000] [--single 400] [--port 8765] [--keep-database]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import _django  # noqa: F401 (puts the project on sys.path and sets P2P_ENV and the settings module)

BENCH_DATABASE = "p2p_bench_ingest"
LINES = 5
BULK_SIZE = 1000
VENDORS = 50
ROOT = Path(__file__).resolve().parent.parent


def database_setup() -> None:
    """Start Django on a benchmark database of its own, recreated and migrated."""
    import django
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        sys.exit("ingest needs PostgreSQL: set DATABASE_URL=postgres://...")
    database["TEST"] = {"NAME": BENCH_DATABASE}
    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def database_url() -> str:
    """A DATABASE_URL for the benchmark database (what the gunicorn workers connect to)."""
    from django.db import connection

    values = connection.settings_dict
    credentials = values["USER"] or "postgres"
    if values["PASSWORD"]:
        credentials += f":{values['PASSWORD']}"
    return f"postgres://{credentials}@{values['HOST'] or '127.0.0.1'}:{values['PORT'] or 5432}/{values['NAME']}"


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows straight into a table."""
    from django.db import connection

    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def seed(invoices: int, *, start: int = 0) -> tuple[Any, str, list[str]]:
    """The facility, vendors, API client and one received PO per invoice; the client's secret and vendor numbers."""
    from django.db import connection

    from matching.models import PurchaseOrder, PurchaseOrderLine
    from p2p_portal.roles import Scope
    from tests.factories import make_api_client, make_facility
    from tests.vendors.factories import make_vendor

    facility = make_facility("BENCH", "Bench General Hospital")
    vendors = [make_vendor(f"Bench Supplier {index:03d} Inc") for index in range(VENDORS)]
    client = make_api_client("bench-ingest", [Scope.INVOICES_WRITE, Scope.INVOICES_READ], facility)
    now = datetime.now(UTC)
    orders = [
        PurchaseOrder(
            facility=facility,
            number=f"PO-{index:07d}",
            vendor=vendors[index % VENDORS],
            ordered_on=date(2026, 11, 1),
            created_at=now,
        )
        for index in range(start, start + invoices)
    ]
    PurchaseOrder.objects.bulk_create(orders, batch_size=5000)
    PurchaseOrderLine.objects.bulk_create(
        (
            PurchaseOrderLine(
                purchase_order=order,
                line_number=line,
                item_code=f"IT-{line}",
                description=f"Item {line}",
                quantity_ordered=Decimal(1000),
                unit_price=Decimal("10.00"),
                quantity_received=Decimal(1000),
            )
            for order in orders
            for line in range(1, LINES + 1)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return facility, client.issued.secret, [vendor.number for vendor in vendors]


def invoice_body(index: int, vendor: str, *, prefix: str = "INV") -> dict[str, Any]:
    """Invoice `index` against PO `index`: 5 lines at 10.00 (every 20th at 10.80: a price variance), the quantity
    and date chosen so that no two invoices of a vendor are suspected duplicates (same total within a week)."""
    price = Decimal("10.80") if index % 20 == 7 else Decimal("10.00")
    quantity = index // VENDORS % 500 + 1
    # A quantity (so a total) comes back every 25,000 invoices of a vendor: a month earlier, it is no duplicate.
    day = date(2026, 11, 10) - timedelta(days=30 * (index // (VENDORS * 500)))
    lines = [
        {
            "line_number": line,
            "po_line_number": line,
            "item_code": f"IT-{line}",
            "description": f"Item {line}",
            "quantity": str(quantity),
            "unit_of_measure": "EA",
            "unit_price": str(price),
            "amount": str(price * quantity),
        }
        for line in range(1, LINES + 1)
    ]
    return {
        "vendor": vendor,
        "invoice_number": f"{prefix}-{index:07d}",
        "invoice_date": day.isoformat(),
        "currency": "USD",
        "facility": "BENCH",
        "po_number": f"PO-{index:07d}",
        "tax_amount": "0",
        "freight_amount": "0",
        "total_amount": str(price * quantity * LINES),
        "lines": lines,
    }


def gunicorn_start(port: int) -> subprocess.Popen[bytes]:
    """gunicorn with 2 workers on loopback, production settings, tasks inline (no Redis)."""
    environment = {
        key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DEBUG", "CELERY_TASK_ALWAYS_EAGER")
    }
    environment.update(
        P2P_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        BANK_ACCOUNT_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url(),
    )
    process = subprocess.Popen(  # noqa: S603 (our own virtualenv's gunicorn)
        [str(ROOT / ".venv/bin/gunicorn"), "p2p_portal.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "600"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except (requests.ConnectionError, requests.Timeout):  # still booting (a busy machine boots slowly)
            time.sleep(0.3)
    process.terminate()
    sys.exit(f"gunicorn did not answer: {process.communicate(timeout=10)[1].decode()[-2000:]}")


def run_bulk(base: str, secret: str, bodies: list[dict[str, Any]], clients: int = 2) -> tuple[float, int]:
    """Send the bodies in bulk requests of 1,000 from `clients` threads; seconds and invoices accepted."""
    import requests

    batches = [bodies[start : start + BULK_SIZE] for start in range(0, len(bodies), BULK_SIZE)]
    accepted = [0]
    lock = threading.Lock()

    def worker(mine: list[list[dict[str, Any]]]) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {secret}"
            for batch in mine:
                response = session.post(f"{base}/api/v1/invoices/bulk/", json={"invoices": batch}, timeout=600)
                response.raise_for_status()
                with lock:
                    accepted[0] += response.json()["accepted"]

    threads = [threading.Thread(target=worker, args=(batches[index::clients],)) for index in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, accepted[0]


def run_single(base: str, secret: str, bodies: list[dict[str, Any]], clients: int = 8) -> list[float]:
    """POST each body alone from `clients` concurrent threads; the latencies in milliseconds."""
    import requests

    samples: list[float] = []
    lock = threading.Lock()

    def worker(mine: list[dict[str, Any]]) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {secret}"
            for body in mine:
                start = time.perf_counter()
                response = session.post(f"{base}/api/v1/invoices/", json=body, timeout=60)
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code != 201:
                    raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
                with lock:
                    samples.append(elapsed)

    threads = [threading.Thread(target=worker, args=(bodies[index::clients],)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def copy_baseline(invoices: int, facility_id: int) -> float:
    """Seconds to COPY `invoices` invoice rows and their lines into scratch tables shaped like the real ones."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("matching_invoice", "matching_invoiceline"):
            cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
            cursor.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
    now = datetime.now(UTC)
    invoice_columns = [
        "id", "facility_id", "document_type", "vendor_reference", "invoice_number", "invoice_number_normalised",
        "invoice_date", "currency", "po_number", "subtotal", "tax_amount", "freight_amount", "total_amount",
        "status", "channel", "received_at",
    ]  # fmt: skip
    line_columns = [
        "id", "invoice_id", "line_number", "po_line_number", "item_code", "description", "quantity",
        "unit_of_measure", "unit_price", "amount",
    ]  # fmt: skip
    start = time.perf_counter()
    copy_rows(
        "bench_matching_invoice",
        invoice_columns,
        (
            [index, facility_id, "invoice", "{}", f"INV-{index:07d}", f"INV{index:07d}", date(2026, 11, 10), "USD",
             f"PO-{index:07d}", Decimal("500.00"), 0, 0, Decimal("500.00"), "received", "bulk", now]
            for index in range(1, invoices + 1)
        ),
    )  # fmt: skip
    copy_rows(
        "bench_matching_invoiceline",
        line_columns,
        (
            [(index - 1) * LINES + line, index, line, line, f"IT-{line}", f"Item {line}", Decimal(10), "EA",
             Decimal("10.00"), Decimal("100.00")]
            for index in range(1, invoices + 1)
            for line in range(1, LINES + 1)
        ),
    )  # fmt: skip
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_matching_invoiceline, bench_matching_invoice")
    return seconds


def percentile(samples: Sequence[float], share: float) -> float:
    """The `share` quantile of the samples (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    """Seed, start gunicorn, send bulk and single invoices, COPY the baseline; print one JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=400, help="Single-invoice POSTs (8 concurrent clients).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep-database", action="store_true", help="Keep the benchmark database afterwards.")
    options = parser.parse_args()

    database_setup()
    from django.db import connection
    from django.db.models import Count

    from matching.models import Invoice, InvoiceStatus

    started = time.perf_counter()
    facility, secret, vendors = seed(options.invoices + options.single)
    seed_seconds = time.perf_counter() - started
    bulk_bodies = [invoice_body(index, vendors[index % VENDORS]) for index in range(options.invoices)]
    single_bodies = [
        invoice_body(index, vendors[index % VENDORS], prefix="ONE")
        for index in range(options.invoices, options.invoices + options.single)
    ]
    connection.close()
    server = gunicorn_start(options.port)
    base = f"http://127.0.0.1:{options.port}"
    try:
        bulk_seconds, accepted = run_bulk(base, secret, bulk_bodies)
        latencies = run_single(base, secret, single_bodies)
    finally:
        server.terminate()
        server.wait(timeout=30)
    statuses = dict(Invoice.objects.filter(channel="bulk").values_list("status").annotate(count=Count("id")))
    copy_runs = [copy_baseline(options.invoices, facility.pk) for _ in range(3)]
    copy_seconds = statistics.median(copy_runs)
    rate = accepted / bulk_seconds
    copy_rate = options.invoices / copy_seconds
    print(
        json.dumps(
            {
                "benchmark": "ingest",
                "database": connection.vendor,
                "invoices": options.invoices,
                "lines_per_invoice": LINES,
                "accepted": accepted,
                "approved": statuses.get(InvoiceStatus.APPROVED, 0),
                "statuses": statuses,
                "seed_seconds": round(seed_seconds, 1),
                "bulk_seconds": round(bulk_seconds, 2),
                "bulk_invoices_per_second": round(rate, 1),
                "baseline_copy_seconds": round(copy_seconds, 3),
                "baseline_copy_invoices_per_second": round(copy_rate, 1),
                "bulk_over_copy": round(rate / copy_rate, 4),
                "single_posts": len(latencies),
                "single_clients": 8,
                "single_p50_ms": round(statistics.median(latencies), 1),
                "single_p95_ms": round(percentile(latencies, 0.95), 1),
            }
        )
    )
    if not options.keep_database:
        connection.close()
        connection.creation.destroy_test_db(BENCH_DATABASE, verbosity=0)


if __name__ == "__main__":
    os.environ.setdefault("P2P_ENV", "test")
    main()
