"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import functools
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

REDIS_PROBE_TIMEOUT = 2.0


class CheckFailedError(Exception):
    """A readiness check failed; the message names what is wrong."""


def check_database() -> str:
    """The default database answers a query."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        raise CheckFailedError(f"database unreachable: {type(error).__name__}: {error}".strip()) from error
    return "ok"


@functools.cache
def _shipped_migrations() -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """Every migration the code ships (squashes in place of what they replace), read from disk once per process."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key: tuple(migration.replaces) for key, migration in loader.graph.nodes.items()}


def check_migrations() -> str:
    """Every migration the code ships has been applied (one query against django_migrations per probe)."""
    try:
        # Straight to the table (not recorder.applied_migrations(), which introspects the schema first).
        applied = set(MigrationRecorder.Migration.objects.using(DEFAULT_DB_ALIAS).values_list("app", "name"))
    except Exception as error:
        raise CheckFailedError(f"migration state unknown: {type(error).__name__}: {error}") from error
    pending = sorted(
        f"{app_label}.{name}"
        for (app_label, name), replaces in _shipped_migrations().items()
        if (app_label, name) not in applied and not (replaces and all(key in applied for key in replaces))
    )
    if pending:
        more = f" and {len(pending) - 5} more" if len(pending) > 5 else ""
        raise CheckFailedError(f"{len(pending)} unapplied migration(s): {', '.join(pending[:5])}{more}")
    return "ok"


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    """One client (and so one connection pool) per URL, so a probe does not open a new connection each time."""
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_PROBE_TIMEOUT, socket_timeout=REDIS_PROBE_TIMEOUT)


def check_redis() -> str:
    """Redis answers PING, when the installation uses it."""
    if not settings.REDIS_URL:
        return "not configured (tasks run inline)"
    try:
        _redis_client(settings.REDIS_URL).ping()
    except redis.RedisError as error:
        raise CheckFailedError(f"redis unreachable: {type(error).__name__}: {error}") from error
    return "ok"


READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "migrations": check_migrations,
    "redis": check_redis,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests; touches nothing else, so it cannot fail on a dependency."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: 200 when every check passes, 503 naming each failing check otherwise."""
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in READINESS_CHECKS.items():
        if name == "migrations" and "database" in failed:
            results[name] = "skipped: database unreachable"
            continue
        try:
            results[name] = check()
        except CheckFailedError as error:
            results[name] = f"fail: {error}"
            failed.append(name)
    body = {"status": "fail" if failed else "ok", "failed": failed, "checks": results}
    return JsonResponse(body, status=503 if failed else 200)
