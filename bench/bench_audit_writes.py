"""What the audit trail costs a write, and how fast sealing and verification go, against a raw INSERT.

Prints one JSON line. An audited write goes through the service (validation, the history row, the
append-only trigger); the baseline inserts the same row with raw SQL on the same connection. Sealing runs
afterwards, off the write path, which is why ingestion never waits on a chain head.
"""

from __future__ import annotations

import json
import time

from _django import median_ms, setup_django_with_bench_database

WRITES = 400


def main() -> None:
    setup_django_with_bench_database()
    from django.db import connection

    from p2p_portal.audit.selectors import audit_chain_verify
    from p2p_portal.audit.services import audit_seal
    from p2p_portal.models import CostCenter
    from p2p_portal.services import cost_center_create, facility_create

    facility = facility_create(actor="bench", code="BENCH", name="Bench Hospital")
    counter = iter(range(10**6))
    table = CostCenter._meta.db_table

    def raw_insert() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (facility_id, code, name) VALUES (%s, %s, %s)",  # noqa: S608
                [facility.pk, f"R{next(counter)}", "Raw row"],
            )

    def audited_write() -> None:
        cost_center_create(actor="bench", facility=facility, code=f"S{next(counter)}", name="Audited row")

    raw = median_ms(raw_insert, repeat=WRITES)
    audited = median_ms(audited_write, repeat=WRITES)

    history_rows = CostCenter.history.count()
    start = time.perf_counter()
    sealed = audit_seal(full=True)
    seal_seconds = time.perf_counter() - start
    start = time.perf_counter()
    report = audit_chain_verify()
    verify_seconds = time.perf_counter() - start
    assert report.ok, report
    print(
        json.dumps(
            {
                "benchmark": "audit_writes",
                "database": connection.vendor,
                "writes": WRITES,
                "baseline_raw_insert_ms": raw,
                "audited_service_write_ms": audited,
                "audited_over_raw": round(audited / raw, 1),
                "history_rows": history_rows,
                "sealed_rows": sealed,
                "seal_rows_per_s": round(sealed / seal_seconds),
                "verify_rows_per_s": round(sealed / verify_seconds),
            }
        )
    )
    connection.creation.destroy_test_db("p2p_portal_bench", verbosity=0)


if __name__ == "__main__":
    main()
