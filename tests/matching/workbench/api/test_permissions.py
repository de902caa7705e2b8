"""Who may call each workbench endpoint: anonymous (401), API clients (403: people only), people without a workbench
role (403), an AP manager of another facility (404 for NORTH's queues and items), auditors (read, never act: 403),
and clerks (in, see test_api_reads and test_api_actions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from matching.models import WorkAction, WorkItem
from tests.factories import make_api_client
from tests.matching.workbench.api.support import API, assert_problem, item_url, post

pytestmark = pytest.mark.django_db

ACTION_BODIES: dict[str, dict[str, Any]] = {
    "claim": {},
    "release": {},
    "renew": {},
    "accept-variance": {"reason_code": "contract_price"},
    "request-credit-memo": {"reason_code": "overcharge"},
    "route-for-receipt": {"reason_code": "not_received", "to_email": "buyer@example.org"},
    "confirm-duplicate": {},
    "dismiss-duplicate": {"reason_code": "different_goods"},
    "hold": {"reason_code": "awaiting_vendor", "review_on": str(timezone.localdate() + timedelta(days=3))},
    "release-hold": {},
    "reject": {"reason_code": "pricing_dispute", "note": "Not our price"},
    "comment": {"note": "Looked at it"},
    "reassign": {"to": "bob", "reason_code": "workload"},
}


def endpoints(item: WorkItem) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every workbench endpoint as (method, path, body) on NORTH's item and its queue."""
    queue = item.queue_id
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("get", f"{API}queues/", None),
        ("get", f"{API}queues/{queue}/", None),
        ("post", f"{API}queues/{queue}/next/", {}),
        ("post", f"{API}next/", {}),
        ("get", f"{API}items/", None),
        ("get", item_url(item), None),
        ("post", f"{API}items/bulk/", {"items": [item.pk], "action": "comment", "params": {"note": "x"}}),
    ]
    calls += [("post", item_url(item, name), body) for name, body in ACTION_BODIES.items()]
    return calls


def call(client: Client, method: str, path: str, body: dict[str, Any] | None, **headers: Any) -> Any:
    return client.get(path, **headers) if method == "get" else post(client, path, body, **headers)


def unchanged(item: WorkItem) -> None:
    """Nothing happened to the item: same state, nobody holds it, nothing in its log."""
    fresh = WorkItem.objects.get(pk=item.pk)
    assert (fresh.state, fresh.claimed_by_id) == (item.state, None)
    assert not WorkAction.objects.filter(item=item).exists()


def test_anonymous_callers_are_asked_to_authenticate_everywhere(clients, small, bob) -> None:
    for method, path, body in endpoints(small):
        assert_problem(call(clients["anonymous"], method, path, body), 401, "not_authenticated")
    unchanged(small)


def test_api_clients_are_refused_everywhere_because_people_work_the_workbench(north, small, bob) -> None:
    erp = make_api_client("erp-sync", ["invoices:read", "invoices:write", "exceptions:read"], north)
    for method, path, body in endpoints(small):
        problem = assert_problem(call(Client(), method, path, body, **erp.headers), 403, "users_only")
        assert "worked by people" in problem["detail"], path
    unchanged(small)


def test_people_without_a_workbench_role_are_refused(clients, small, bob) -> None:
    for persona in ("nobody", "vendor_steward", "integration_admin"):
        for method, path, body in endpoints(small):
            assert_problem(call(clients[persona], method, path, body), 403, "no_workbench")
    unchanged(small)


def test_an_outsider_does_not_see_another_facility_s_queues_or_items(clients, small, bob) -> None:
    outsider = clients["outsider"]
    assert outsider.get(f"{API}queues/").json() == []
    assert outsider.get(f"{API}items/?view=all").json()["results"] == []
    assert outsider.post(f"{API}next/").status_code == 204  # nothing of theirs; NORTH's item stays put
    for method, path, body in endpoints(small):
        if path in (f"{API}queues/", f"{API}items/", f"{API}next/", f"{API}items/bulk/"):
            continue
        assert_problem(call(outsider, method, path, body), 404, "not_found")
    bulk = post(outsider, f"{API}items/bulk/", {"items": [small.pk], "action": "comment", "params": {"note": "x"}})
    assert bulk.json()["results"] == [
        {
            "item": small.pk,
            "ok": False,
            "code": "not_found",
            "message": "No such work item, or not one you may see.",
            "outcome": "",
        }
    ]
    unchanged(small)


def test_auditors_read_everything_and_act_on_nothing(clients, small, bob) -> None:
    auditor = clients["auditor"]
    for method, path, body in endpoints(small):
        response = call(auditor, method, path, body)
        if method == "get":
            assert response.status_code == 200, (path, response.content)
        else:
            problem = assert_problem(response, 403, "read_only")
            assert "only AP clerks and AP managers act" in problem["detail"]
    unchanged(small)


def test_session_posts_need_the_csrf_token(people, small) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["ap_clerk"])
    assert browser.get(item_url(small)).status_code == 200
    problem = assert_problem(post(browser, item_url(small, "claim")), 403, "permission_denied")
    assert "CSRF" in problem["detail"]
    unchanged(small)
