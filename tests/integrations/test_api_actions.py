"""Acting through the integrations API: run now (202, on commit), replay one or many, discard with a reason."""

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

pytestmark = pytest.mark.django_db

API = "/api/v1/integrations/"


def post(client: Client, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url, json.dumps(body), "application/json", **headers)


def test_run_now_is_queued_on_commit_by_a_scoped_client(
    console: Console, scoped_client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(Client(), f"{API}systems/coupa/run/", {"entity": "receipt"}, **scoped_client.headers)
    assert response.status_code == 202
    assert response.json() == {
        "system": "coupa",
        "entity": "receipt",
        "triggered_by": "api client ops-robot",
        "status": "queued",
    }
    assert len(callbacks) == 1
    assert SyncRun.objects.count() == 5  # not run inside the request
    asked = console.sandbox.history.order_by("-history_id").first()
    assert asked is not None
    assert asked.history_api_client_id == scoped_client.client.pk
    assert asked.history_change_reason == "Run now: receipt sync requested"


def test_run_now_through_sync_runs(console: Console, people, django_capture_on_commit_callbacks) -> None:
    client = signed_in(people[Role.INTEGRATION_ADMIN])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, f"{API}sync-runs/", {"system": "tryton", "entity": "supplier"})
    assert response.status_code == 202
    assert response.json()["triggered_by"] == "integration_admin_user"
    assert len(callbacks) == 1


def test_run_now_refusals(console: Console, people, django_capture_on_commit_callbacks) -> None:
    client = signed_in(people[Role.INTEGRATION_ADMIN])
    with django_capture_on_commit_callbacks() as callbacks:
        problem = assert_problem(
            post(client, f"{API}systems/coupa/run/", {"entity": "invoice"}), 400, "validation_failed"
        )
        assert problem["errors"][0]["field"] == "entity"
        problem = assert_problem(
            post(client, f"{API}sync-runs/", {"system": "nope", "entity": "receipt"}), 400, "validation_failed"
        )
        assert problem["errors"][0]["field"] == "system"
        console.sandbox.enabled = False
        console.sandbox.save()
        assert_problem(post(client, f"{API}systems/coupa/run/", {"entity": "receipt"}), 409, "system_disabled")
    assert not callbacks


def test_replay_one(console: Console, people) -> None:
    admin = people[Role.INTEGRATION_ADMIN]
    response = post(signed_in(admin), f"{API}dead-letters/{console.outbound_letter.pk}/replay/", {})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "replayed"
    assert body["resolved_by"] == admin.username
    console.dead_delivery.refresh_from_db()
    assert console.dead_delivery.status == DeliveryStatus.PENDING
    history = console.outbound_letter.history.order_by("-history_id").first()
    assert history is not None
    assert history.history_user_id == admin.pk


def test_replay_many_reports_each(console: Console, scoped_client) -> None:
    discarded = console.sandbox.dead_letters.get()
    ids = [console.outbound_letter.pk, discarded.pk, 999999, console.outbound_letter.pk]
    response = post(Client(), f"{API}dead-letters/replay/", {"ids": ids}, **scoped_client.headers)
    assert response.status_code == 200
    outcomes = {row["id"]: row for row in response.json()}
    assert len(response.json()) == 3  # a repeated id is replayed once
    assert outcomes[console.outbound_letter.pk]["outcome"] == "replayed"
    assert outcomes[discarded.pk]["outcome"] == "refused"
    assert outcomes[discarded.pk]["status"] == "discarded"
    assert outcomes[999999]["outcome"] == "not_found"
    history = console.outbound_letter.history.order_by("-history_id").first()
    assert history is not None
    assert history.history_api_client_id == scoped_client.client.pk


def test_replay_many_needs_ids(console: Console, scoped_client) -> None:
    problem = assert_problem(
        post(Client(), f"{API}dead-letters/replay/", {"ids": []}, **scoped_client.headers), 400, "validation_failed"
    )
    assert problem["errors"][0]["field"] == "ids"


def test_discard_needs_a_reason(console: Console, people) -> None:
    client = signed_in(people[Role.INTEGRATION_ADMIN])
    url = f"{API}dead-letters/{console.poison.pk}/discard/"
    for body in ({}, {"reason": "   "}, {"reason": "no"}):
        problem = assert_problem(post(client, url, body), 400, "validation_failed")
        assert problem["errors"][0]["field"] == "reason"
    console.poison.refresh_from_db()
    assert console.poison.status == DeadLetterStatus.OPEN
    assert console.poison.history.count() == 1


def test_discard_with_a_reason_then_again_is_409(console: Console, people) -> None:
    admin = people[Role.INTEGRATION_ADMIN]
    client = signed_in(admin)
    url = f"{API}dead-letters/{console.poison.pk}/discard/"
    response = post(client, url, {"reason": "Cancelled  at the source"})
    assert response.status_code == 200
    assert response.json()["resolution"] == "Cancelled at the source"
    assert response.json()["status"] == "discarded"
    history = console.poison.history.order_by("-history_id").first()
    assert history is not None
    assert history.history_user_id == admin.pk
    assert history.status == "discarded"
    assert_problem(post(client, url, {"reason": "Cancelled again"}), 409, "dead_letter_not_open")
    assert_problem(post(client, f"{API}dead-letters/{console.poison.pk}/replay/", {}), 409, "dead_letter_discarded")


def test_an_idempotency_key_replays_the_first_answer(console: Console, scoped_client) -> None:
    url = f"{API}dead-letters/{console.poison.pk}/discard/"
    headers = {**scoped_client.headers, "HTTP_IDEMPOTENCY_KEY": "discard-7"}
    first = post(Client(), url, {"reason": "Cancelled at the source"}, **headers)
    again = post(Client(), url, {"reason": "Cancelled at the source"}, **headers)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert console.poison.history.count() == 2
