"""Who may call each integrations endpoint: anonymous (401), API clients without the scope (403), people without the
roles (403), auditors (read; acting is 403), integration admins and scoped clients (in)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from integrations.models import DeadLetterStatus, DeliveryStatus, SyncRun
from p2p_portal.roles import Role
from tests.factories import signed_in
from tests.integrations import console_data
from tests.integrations.console_data import Console
from tests.matching.workbench.api.support import assert_problem

console = console_data.console
scoped_client = console_data.scoped_client
unscoped_client = console_data.unscoped_client

pytestmark = pytest.mark.django_db

API = "/api/v1/integrations/"


def reads(data: Console) -> list[str]:
    """Every GET endpoint."""
    return [
        f"{API}systems/",
        f"{API}systems/tryton/",
        f"{API}sync-runs/",
        f"{API}sync-runs/{data.failed_run.pk}/",
        f"{API}outbox/",
        f"{API}outbox/{data.dead_delivery.pk}/",
        f"{API}dead-letters/",
        f"{API}dead-letters/{data.poison.pk}/",
    ]


def writes(data: Console) -> list[tuple[str, dict[str, Any]]]:
    """Every POST endpoint with a body an integration admin would get accepted."""
    return [
        (f"{API}systems/coupa/run/", {"entity": "supplier"}),
        (f"{API}sync-runs/", {"system": "coupa", "entity": "supplier"}),
        (f"{API}dead-letters/{data.outbound_letter.pk}/replay/", {}),
        (f"{API}dead-letters/{data.poison.pk}/discard/", {"reason": "Cancelled at the source"}),
        (f"{API}dead-letters/replay/", {"ids": [data.outbound_letter.pk]}),
    ]


def post(client: Client, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url, json.dumps(body), "application/json", **headers)


def unchanged(data: Console) -> None:
    """Nothing was done: no run asked for, letters open, the dead delivery dead, the systems' history untouched."""
    assert SyncRun.objects.count() == 5
    for letter in (data.poison, data.outbound_letter):
        letter.refresh_from_db()
        assert letter.status == DeadLetterStatus.OPEN
    data.dead_delivery.refresh_from_db()
    assert data.dead_delivery.status == DeliveryStatus.DEAD
    assert data.sandbox.history.count() == 1


def test_anonymous_gets_401(console: Console) -> None:
    client = Client()
    for url in reads(console):
        assert_problem(client.get(url), 401, "not_authenticated")
    for url, body in writes(console):
        assert_problem(post(client, url, body), 401, "not_authenticated")
    unchanged(console)


def test_api_client_without_the_scope_gets_403(console: Console, unscoped_client) -> None:
    client = Client()
    for url in reads(console):
        problem = assert_problem(client.get(url, **unscoped_client.headers), 403, "scope_missing")
        assert "integrations:admin" in problem["detail"]
    for url, body in writes(console):
        assert_problem(post(client, url, body, **unscoped_client.headers), 403, "scope_missing")
    unchanged(console)


@pytest.mark.parametrize("persona", ["nobody", "outsider", Role.AP_CLERK, Role.AP_MANAGER, Role.PROCUREMENT_ADMIN])
def test_people_without_the_roles_get_403(console: Console, people, persona: str) -> None:
    client = signed_in(people[persona])
    for url in reads(console):
        assert_problem(client.get(url), 403, "no_integrations")
    for url, body in writes(console):
        assert_problem(post(client, url, body), 403, "no_integrations")
    unchanged(console)


def test_auditor_reads_and_may_not_act(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    for url in reads(console):
        assert client.get(url).status_code == 200, url
    for url, body in writes(console):
        assert_problem(post(client, url, body), 403, "read_only")
    unchanged(console)


def test_integration_admin_and_scoped_client_read(console: Console, people, scoped_client) -> None:
    admin = signed_in(people[Role.INTEGRATION_ADMIN])
    robot = Client()
    for url in reads(console):
        assert admin.get(url).status_code == 200, url
        assert robot.get(url, **scoped_client.headers).status_code == 200, url


def test_session_writes_need_the_csrf_token(console: Console, people) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people[Role.INTEGRATION_ADMIN])
    for url, body in writes(console):
        response = post(client, url, body)
        assert response.status_code == 403, url
        assert "CSRF" in response.json()["detail"], url
    unchanged(console)


def test_unknown_rows_are_404_problems(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    for url in (f"{API}systems/nope/", f"{API}sync-runs/999999/", f"{API}outbox/999999/", f"{API}dead-letters/999999/"):
        assert_problem(client.get(url), 404, "not_found")
