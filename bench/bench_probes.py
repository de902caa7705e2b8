"""Cost of the probes and of the request stack, against a raw `SELECT 1` measured in the same run.

Prints one JSON line. /readyz runs on every load-balancer probe (every few seconds per instance), so
it must stay a small multiple of one database round trip.
"""

from __future__ import annotations

import json

from _django import median_ms, setup_django_with_bench_database

REPEAT = 300


def main() -> None:
    setup_django_with_bench_database()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    client = Client()

    def raw_select() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def probe(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)

    raw = median_ms(raw_select, repeat=REPEAT)
    healthz = median_ms(lambda: probe("/healthz"), repeat=REPEAT)
    readyz = median_ms(lambda: probe("/readyz"), repeat=REPEAT)
    print(
        json.dumps(
            {
                "benchmark": "probes",
                "database": connection.vendor,
                "redis": bool(settings.REDIS_URL),
                "repeat": REPEAT,
                "baseline_raw_select1_ms": raw,
                "healthz_ms": healthz,
                "readyz_ms": readyz,
                "healthz_over_raw": round(healthz / raw, 1),
                "readyz_over_raw": round(readyz / raw, 1),
            }
        )
    )
    connection.creation.destroy_test_db("p2p_portal_bench", verbosity=0)


if __name__ == "__main__":
    main()
