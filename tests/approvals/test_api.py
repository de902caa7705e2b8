"""The approvals API as people use it: my inbox, decisions, SoD refusals as problem+json, delegations."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalDecision, ApprovalRequest, BlockedAttempt, ConflictRule, Delegation, RequestStatus
from approvals.services import (
    StepSpec,
    approval_request_submit,
    conflict_rule_save,
    delegation_create,
    ledger_entry_record,
    policy_create,
)
from p2p_portal.roles import Role
from tests.approvals.conftest import DOC, open_request
from tests.factories import SYSTEM, make_api_client

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
INBOX = "/api/v1/approvals/inbox/"
LIST = "/api/v1/approvals/"
DELEGATIONS = "/api/v1/delegations/"


def detail_url(request: ApprovalRequest, transition: str = "") -> str:
    return f"/api/v1/approvals/{request.pk}/" + (f"{transition}/" if transition else "")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url, json.dumps(body), "application/json", **headers)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"] == f"urn:p2p-portal:problem:{code}"
    return body


@pytest.fixture
def policy(people):
    """One step: an AP manager at the request's facility."""
    return policy_create(actor=SYSTEM, name="one manager", document_type=DOC, steps=[StepSpec(role=Role.AP_MANAGER)])


@pytest.fixture
def submitted(people, policy, make_document) -> ApprovalRequest:
    return approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())


# --- Inbox, list, detail ---------------------------------------------------------------------------------------------
def test_the_inbox_shows_a_request_to_its_approver_and_not_to_others(people, submitted) -> None:
    response = signed_in(people["ap_manager"]).get(INBOX)
    assert response.status_code == 200, response.content
    [item] = response.json()
    assert item["id"] == submitted.pk
    assert (item["document_type"], item["document_id"]) == (DOC, submitted.document_id)
    assert (item["facility"], item["amount"], item["currency"], item["risk_level"]) == ("NORTH", "100.00", "USD", "low")
    assert item["requester"] == "ap_clerk_user"
    assert item["summary"].startswith("budget change")
    assert item["step"] == {
        "position": 1,
        "role": "ap_manager",
        "user": None,
        "assignee": None,
        "approvals_required": 1,
    }
    assert item["acting_for"] is None
    assert item["due_at"] is not None
    assert item["overdue"] is False
    for who in ("ap_clerk", "auditor", "outsider", "nobody"):
        response = signed_in(people[who]).get(INBOX)
        assert response.status_code == 200
        assert response.json() == [], who


def test_the_list_is_scoped_and_filtered(people, submitted) -> None:
    manager = signed_in(people["ap_manager"])
    body = manager.get(LIST).json()
    assert [row["id"] for row in body["results"]] == [submitted.pk]
    assert manager.get(LIST, {"status": "pending", "facility": "NORTH", "document_type": DOC}).json()["results"]
    assert manager.get(LIST, {"status": "approved"}).json()["results"] == []
    assert manager.get(LIST, {"facility": "SOUTH"}).json()["results"] == []
    assert signed_in(people["outsider"]).get(LIST).json()["results"] == []
    assert_problem(manager.get(LIST, {"status": "lost"}), 400, "validation_failed")


def test_another_facilitys_request_is_404_for_an_outsider(people, submitted) -> None:
    outsider = signed_in(people["outsider"])
    assert_problem(outsider.get(detail_url(submitted)), 404, "not_found")
    assert_problem(post(outsider, detail_url(submitted, "approve"), {}), 404, "not_found")
    assert open_request(submitted).status == RequestStatus.PENDING


# --- Decisions -------------------------------------------------------------------------------------------------------
def test_approve_through_the_api_moves_the_request_and_answers_its_detail(people, submitted, recorder) -> None:
    response = post(signed_in(people["ap_manager"]), detail_url(submitted, "approve"), {"comment": "matches the PO"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["current_step"]) == (submitted.pk, "approved", None)
    [decision] = body["decisions"]
    assert decision["actor"] == "ap_manager_user"
    assert decision["acting_for"] is None
    assert (decision["decision"], decision["comment"]) == ("approve", "matches the PO")
    assert decision["decided_at"]
    assert open_request(submitted).status == RequestStatus.APPROVED
    assert recorder.approved == [submitted.pk]
    assert signed_in(people["ap_manager"]).get(INBOX).json() == []
    assert signed_in(people["ap_clerk"]).get(detail_url(submitted)).json()["decisions"] == body["decisions"]


def test_self_approval_through_the_api_is_403_problem_naming_the_rule(people, policy, make_document) -> None:
    request = approval_request_submit(actor=people["ap_manager"], document_type=DOC, document=make_document())
    response = post(signed_in(people["ap_manager"]), detail_url(request, "approve"), {})
    body = assert_problem(response, 403, "sod_self_approval")
    assert body["rule"] == "sod_self_approval"
    assert "maker-checker" in body["detail"]
    assert open_request(request).status == RequestStatus.PENDING
    attempt = BlockedAttempt.objects.get(request=request)
    assert (attempt.actor, attempt.rule) == (people["ap_manager"], "sod_self_approval")


def test_a_conflict_rule_block_names_the_rule_in_the_problem(people, policy, make_document) -> None:
    conflict_rule_save(
        actor=SYSTEM,
        rule=ConflictRule(
            code="price-list-vs-approval",
            description="changed the vendor's price list",
            ledger_action="vendor.price_list_changed",
            document_types=[DOC],
            window_days=30,
        ),
    )
    ledger_entry_record(actor=SYSTEM, user=people["ap_manager"], action="vendor.price_list_changed", subject="vendor:7")
    request = approval_request_submit(
        actor=people["ap_clerk"], document_type=DOC, document=make_document(subjects=("vendor:7",))
    )
    response = post(signed_in(people["ap_manager"]), detail_url(request, "approve"), {})
    body = assert_problem(response, 403, "sod_conflict_rule")
    assert body["rule"] == "sod_conflict_rule:price-list-vs-approval"


def test_reject_without_a_reason_is_400_naming_the_field(people, submitted) -> None:
    manager = signed_in(people["ap_manager"])
    body = assert_problem(post(manager, detail_url(submitted, "reject"), {}), 400, "validation_failed")
    assert [(error["field"], error["code"]) for error in body["errors"]] == [("reason", "required")]
    body = assert_problem(post(manager, detail_url(submitted, "reject"), {"reason": ""}), 400, "validation_failed")
    assert body["errors"][0]["field"] == "reason"
    assert open_request(submitted).status == RequestStatus.PENDING
    response = post(manager, detail_url(submitted, "reject"), {"reason": "not budgeted"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"


def test_request_info_then_resubmit_by_the_requester(people, submitted) -> None:
    manager, clerk = signed_in(people["ap_manager"]), signed_in(people["ap_clerk"])
    assert_problem(post(manager, detail_url(submitted, "request-info"), {}), 400, "validation_failed")
    response = post(manager, detail_url(submitted, "request-info"), {"question": "Which quarter?"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["info_question"]) == ("info_requested", "Which quarter?")
    assert_problem(post(manager, detail_url(submitted, "resubmit"), {"answer": "Q3"}), 403, "not_the_requester")
    response = post(clerk, detail_url(submitted, "resubmit"), {"answer": "Q3"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["info_answer"]) == ("pending", "Q3")


def test_only_the_requester_withdraws(people, submitted, recorder) -> None:
    assert_problem(
        post(signed_in(people["ap_manager"]), detail_url(submitted, "withdraw"), {}), 403, "not_the_requester"
    )
    response = post(signed_in(people["ap_clerk"]), detail_url(submitted, "withdraw"), {"reason": "duplicate"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    assert recorder.withdrawn == [submitted.pk]


def test_a_manager_reassigns_the_step_to_one_person(people, managers, submitted) -> None:
    body = {"to": managers[0].username, "reason": "Pat is away"}
    assert_problem(post(signed_in(people["ap_clerk"]), detail_url(submitted, "reassign"), body), 403, "not_a_manager")
    response = post(signed_in(people["procurement_admin"]), detail_url(submitted, "reassign"), body)
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == managers[0].username
    [item] = signed_in(managers[0]).get(INBOX).json()
    assert item["step"]["assignee"] == managers[0].username
    assert signed_in(people["ap_manager"]).get(INBOX).json() == []
    unknown = post(signed_in(people["procurement_admin"]), detail_url(submitted, "reassign"), {**body, "to": "ghost"})
    assert assert_problem(unknown, 400, "validation_failed")["errors"][0]["field"] == "to"


def test_a_delegate_approves_on_behalf_of_the_delegator(people, managers, make_document) -> None:
    policy_create(actor=SYSTEM, name="named", document_type=DOC, steps=[StepSpec(user=people["ap_manager"])])
    today = timezone.localdate()
    delegation_create(
        actor=people["ap_manager"],
        delegator=people["ap_manager"],
        delegate=managers[0],
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=1),
        reason="annual leave",
    )
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    delegate = signed_in(managers[0])
    [item] = delegate.get(INBOX).json()
    assert (item["id"], item["acting_for"], item["step"]["user"]) == (request.pk, "ap_manager_user", "ap_manager_user")
    response = post(delegate, detail_url(request, "approve"), {"on_behalf_of": "ap_manager_user"})
    assert response.status_code == 200, response.content
    [decision] = response.json()["decisions"]
    assert (decision["actor"], decision["acting_for"]) == (managers[0].username, "ap_manager_user")
    assert open_request(request).status == RequestStatus.APPROVED


def test_a_retried_approve_replays_the_first_answer(people, submitted) -> None:
    manager = signed_in(people["ap_manager"])
    first = post(manager, detail_url(submitted, "approve"), {"comment": "ok"}, HTTP_IDEMPOTENCY_KEY="approve-0001")
    second = post(manager, detail_url(submitted, "approve"), {"comment": "ok"}, HTTP_IDEMPOTENCY_KEY="approve-0001")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert ApprovalDecision.objects.filter(request=submitted).count() == 1
    other = post(manager, detail_url(submitted, "approve"), {"comment": "else"}, HTTP_IDEMPOTENCY_KEY="approve-0001")
    assert_problem(other, 422, "idempotency_key_reused")


def test_a_retried_blocked_approve_replays_the_refusal_without_a_second_attempt(people, policy, make_document) -> None:
    request = approval_request_submit(actor=people["ap_manager"], document_type=DOC, document=make_document())
    manager = signed_in(people["ap_manager"])
    first = post(manager, detail_url(request, "approve"), {}, HTTP_IDEMPOTENCY_KEY="blocked-0001")
    second = post(manager, detail_url(request, "approve"), {}, HTTP_IDEMPOTENCY_KEY="blocked-0001")
    assert_problem(first, 403, "sod_self_approval")
    assert second.content == first.content
    assert BlockedAttempt.objects.filter(request=request).count() == 1


# --- Who may call ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", INBOX),
        ("get", LIST),
        ("get", "detail"),
        ("post", "approve"),
        ("post", "reject"),
        ("get", DELEGATIONS),
        ("post", DELEGATIONS),
        ("post", "revoke"),
    ],
)
def test_api_clients_get_403_and_anonymous_callers_401(
    client: Client, people, managers, north, submitted, method: str, url: str
) -> None:
    today = timezone.localdate()
    delegation = delegation_create(
        actor=people["ap_manager"],
        delegator=people["ap_manager"],
        delegate=managers[0],
        starts_on=today,
        ends_on=today,
        reason="leave",
        facility=north,
    )
    target = {
        "detail": detail_url(submitted),
        "approve": detail_url(submitted, "approve"),
        "reject": detail_url(submitted, "reject"),
        "revoke": f"{DELEGATIONS}{delegation.pk}/revoke/",
    }.get(url, url)
    erp = make_api_client("erp-sync", ["org:read", "org:write", "audit:read"], north)

    def call(**headers: Any) -> Any:
        if method == "get":
            return client.get(target, **headers)
        return post(client, target, {"reason": "x"}, **headers)

    body = assert_problem(call(**erp.headers), 403, "users_only")
    assert "people" in body["detail"]
    assert_problem(call(), 401, "not_authenticated")
    assert open_request(submitted).status == RequestStatus.PENDING
    assert Delegation.objects.get(pk=delegation.pk).revoked_at is None


def test_session_posts_need_the_csrf_token(people, submitted) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["ap_manager"])
    assert_problem(post(client, detail_url(submitted, "approve"), {}), 403, "permission_denied")
    assert open_request(submitted).status == RequestStatus.PENDING


# --- Delegations -----------------------------------------------------------------------------------------------------
def test_delegation_create_list_and_revoke(people, managers, north) -> None:
    today = timezone.localdate()
    manager = signed_in(people["ap_manager"])
    body = {
        "delegate": managers[0].username,
        "starts_on": str(today),
        "ends_on": str(today + timedelta(days=5)),
        "reason": "annual leave",
        "document_types": [DOC],
        "facility": "NORTH",
    }
    response = post(manager, DELEGATIONS, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["delegator"], created["delegate"], created["facility"]) == (
        "ap_manager_user",
        managers[0].username,
        "NORTH",
    )
    assert (created["document_types"], created["revoked_at"]) == ([DOC], None)
    listed = [row["id"] for row in manager.get(DELEGATIONS).json()["results"]]
    assert listed == [created["id"]]
    assert [row["id"] for row in signed_in(managers[0]).get(DELEGATIONS).json()["results"]] == [created["id"]]
    assert signed_in(people["outsider"]).get(DELEGATIONS).json()["results"] == []
    assert signed_in(people["ap_clerk"]).get(DELEGATIONS).json()["results"] == []

    revoke = f"{DELEGATIONS}{created['id']}/revoke/"
    assert_problem(post(signed_in(people["outsider"]), revoke, {"reason": "x"}), 404, "not_found")
    assert_problem(post(signed_in(people["ap_clerk"]), revoke, {"reason": "x"}), 404, "not_found")
    unscoped = post(manager, DELEGATIONS, {**body, "facility": None, "document_types": []}).json()
    assert (unscoped["facility"], unscoped["document_types"]) == (None, [])
    # Without a facility only the delegator (or a superuser) may end it: the delegate may not.
    assert_problem(
        post(signed_in(managers[0]), f"{DELEGATIONS}{unscoped['id']}/revoke/", {"reason": "x"}),
        403,
        "not_allowed_to_delegate",
    )
    assert_problem(post(manager, revoke, {}), 400, "validation_failed")
    response = post(manager, revoke, {"reason": "back early"})
    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None
    assert Delegation.objects.get(pk=created["id"]).revoked_at is not None


def test_delegation_input_errors_name_the_field(people, managers) -> None:
    today = timezone.localdate()
    manager = signed_in(people["ap_manager"])
    body = {
        "delegate": managers[0].username,
        "starts_on": str(today),
        "ends_on": str(today - timedelta(days=1)),
        "reason": "leave",
    }
    errors = assert_problem(post(manager, DELEGATIONS, body), 400, "validation_failed")["errors"]
    assert [error["field"] for error in errors] == ["ends_on"]
    errors = assert_problem(
        post(manager, DELEGATIONS, {**body, "ends_on": str(today), "delegate": "ghost"}), 400, "validation_failed"
    )["errors"]
    assert [error["field"] for error in errors] == ["delegate"]
    lacking = assert_problem(
        post(manager, DELEGATIONS, {**body, "ends_on": str(today), "delegate": "auditor_user"}),
        422,
        "delegate_lacks_role",
    )
    assert lacking["errors"][0]["field"] == "delegate"
    assert_problem(
        post(manager, DELEGATIONS, {**body, "ends_on": str(today), "delegator": managers[1].username}),
        403,
        "not_allowed_to_delegate",
    )
    assert not Delegation.objects.exists()


# --- OpenAPI ---------------------------------------------------------------------------------------------------------
def test_the_schema_documents_every_approvals_endpoint_without_a_warning(tmp_path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in (
        "/api/v1/approvals/inbox/",
        "/api/v1/approvals/{id}/",
        "/api/v1/approvals/{id}/approve/",
        "/api/v1/approvals/{id}/request-info/",
        "/api/v1/approvals/{id}/reassign/",
        "/api/v1/delegations/",
        "/api/v1/delegations/{id}/revoke/",
    ):
        assert f"{path}:" in schema, path
