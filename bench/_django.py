"""Shared set-up for benchmarks: Django on a throwaway database of its own, and a median timer."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("P2P_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_portal.settings")


def setup_django_with_bench_database() -> None:
    """Start Django and create (or recreate) a migrated benchmark database that tests never touch."""
    import django
    from django.conf import settings

    settings.DATABASES["default"]["TEST"] = {"NAME": "p2p_portal_bench"}
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def median_ms(operation: Callable[[], object], *, repeat: int, warmup: int = 20) -> float:
    """Median wall time of one call in milliseconds (medians resist the noise of a shared machine)."""
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 3)
