"""/healthz and /readyz as a load balancer and an orchestrator see them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_anyone_without_touching_dependencies(client: Client) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_is_ok_when_database_migrations_and_redis_are(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["failed"] == []
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"


@pytest.mark.redis
def test_readyz_checks_redis_when_it_is_configured(client: Client) -> None:
    assert client.get("/readyz").json()["checks"]["redis"] == "ok"


def test_readyz_reports_a_down_redis_as_503_naming_the_check(client: Client) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failed"] == ["redis"]
    assert body["checks"]["redis"].startswith("fail: redis unreachable")
    assert body["checks"]["database"] == "ok"


def test_readyz_reports_an_unapplied_migration_as_503_naming_it(client: Client) -> None:
    # Forget that the platform's first migration ran: exactly what a deploy that skipped `migrate` looks like.
    MigrationRecorder(connection).record_unapplied("p2p_portal", "0001_initial")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert "p2p_portal.0001_initial" in body["checks"]["migrations"]


def test_readyz_without_redis_configured_runs_tasks_inline_and_is_ready(client: Client) -> None:
    with override_settings(REDIS_URL=""):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "not configured (tasks run inline)"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_writes(client: Client, path: str) -> None:
    assert client.post(path).status_code == 405
