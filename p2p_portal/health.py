"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
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


def check_migrations() -> str:
    """Every migration the code ships has been applied."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        raise CheckFailedError(f"migration state unknown: {type(error).__name__}: {error}") from error
    if plan:
        pending = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:5])
        more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
        raise CheckFailedError(f"{len(plan)} unapplied migration(s): {pending}{more}")
    return "ok"


def check_redis() -> str:
    """Redis answers PING, when the installation uses it."""
    if not settings.REDIS_URL:
        return "not configured (tasks run inline)"
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=REDIS_PROBE_TIMEOUT, socket_timeout=REDIS_PROBE_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as error:
        raise CheckFailedError(f"redis unreachable: {type(error).__name__}: {error}") from error
    finally:
        client.close()
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
