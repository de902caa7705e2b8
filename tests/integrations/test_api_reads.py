"""What the integrations API answers: systems with health, runs, deliveries and dead letters with their filters."""

from __future__ import annotations

import pytest
from django.test import Client

from p2p_portal.roles import Role
from tests.factories import signed_in
from tests.integrations import console_data
from tests.integrations.console_data import Console
from tests.matching.workbench.api.support import assert_problem

console = console_data.console
scoped_client = console_data.scoped_client

pytestmark = pytest.mark.django_db

API = "/api/v1/integrations/"


def test_systems_with_health(console: Console, scoped_client) -> None:
    systems = Client().get(f"{API}systems/", **scoped_client.headers).json()
    assert [system["code"] for system in systems] == ["coupa", "tryton"]
    tryton = systems[1]
    assert "config" not in tryton  # never even the names of the credential variables
    health = tryton["health"]
    assert (health["runs_finished"], health["runs_failed"]) == (3, 1)
    assert health["error_rate"] == pytest.approx(1 / 3)
    assert (health["outbox_pending"], health["outbox_dead"], health["dead_letters_open"]) == (3, 1, 2)
    entities = {entity["entity"]: entity for entity in health["entities"]}
    assert entities["supplier"]["last_run"]["status"] == "partial"
    assert entities["supplier"]["behind"] is False
    assert entities["supplier"]["lag_seconds"] > 9 * 60 - 5
    assert entities["purchase_order"]["last_success_at"] is None
    assert entities["purchase_order"]["behind"] is True
    one = Client().get(f"{API}systems/coupa/", **scoped_client.headers).json()
    assert one["health"]["runs_finished"] == 1
    assert one["health"]["outbox_pending"] == 1


def test_sync_runs_list_filters_and_detail(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    page = client.get(f"{API}sync-runs/").json()
    assert len(page["results"]) == 5
    assert page["next"] is None
    failed = client.get(f"{API}sync-runs/", {"system": "tryton", "status": "failed"}).json()["results"]
    assert [run["id"] for run in failed] == [console.failed_run.pk]
    assert client.get(f"{API}sync-runs/", {"entity": "supplier"}).json()["results"][0]["system"] == "tryton"
    detail = client.get(f"{API}sync-runs/{console.failed_run.pk}/").json()
    assert detail["cursor_before"] == "2026-11-01T00:00:00|12"
    assert detail["error"].startswith("TransientError")
    problem = assert_problem(client.get(f"{API}sync-runs/", {"status": "exploded"}), 400, "validation_failed")
    assert problem["errors"][0]["field"] == "status"


def test_outbox_filters(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    assert len(client.get(f"{API}outbox/").json()["results"]) == 6
    dead = client.get(f"{API}outbox/", {"status": "dead"}).json()["results"]
    assert [delivery["id"] for delivery in dead] == [console.dead_delivery.pk]
    assert dead[0]["event"]["topic"] == "invoice.approved"
    assert dead[0]["attempts"] == 8
    coupa = client.get(f"{API}outbox/", {"system": "coupa", "status": "pending"}).json()["results"]
    assert [delivery["event"]["topic"] for delivery in coupa] == ["vendor.created"]


def test_dead_letters_filters_and_payload(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    assert len(client.get(f"{API}dead-letters/").json()["results"]) == 3
    open_ = client.get(f"{API}dead-letters/", {"status": "open", "direction": "inbound"}).json()["results"]
    assert [letter["id"] for letter in open_] == [console.poison.pk]
    detail = client.get(f"{API}dead-letters/{console.poison.pk}/").json()
    assert detail["payload"]["name"] == "<script>alert('x')</script>"  # JSON as stored: escaping is the page's job
    assert detail["sync_run"] == console.failed_run.pk
    assert detail["status"] == "open"


def test_schema_documents_the_endpoints(db, people) -> None:
    schema = signed_in(people[Role.AUDITOR]).get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/integrations/systems/{code}/run/",
        "/api/v1/integrations/dead-letters/{id}/discard/",
        "/api/v1/integrations/dead-letters/replay/",
        "/api/v1/integrations/sync-runs/{id}/",
    ):
        assert path in schema, path
