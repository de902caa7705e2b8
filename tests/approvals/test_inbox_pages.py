"""The approver's pages: inbox and decisions through the browser UI, delegations, team queue, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalRequest, Delegation, RequestStatus
from approvals.services import StepSpec, approval_request_submit, policy_create
from p2p_portal.roles import Role
from p2p_portal.services import notification_send
from tests.approvals.conftest import DOC
from tests.factories import SYSTEM, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(people, make_document) -> ApprovalRequest:
    """A budget change at NORTH, requested by the clerk, waiting on an AP manager."""
    policy_create(actor=SYSTEM, name="Budget", document_type=DOC, steps=[StepSpec(role=Role.AP_MANAGER)])
    document = make_document(requester=people["ap_clerk"])
    return approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)


def test_the_approver_sees_the_request_in_the_inbox_and_others_do_not(people, waiting) -> None:
    page = signed_in(people["ap_manager"]).get("/approvals/").content.decode()
    assert waiting.summary in page
    assert "1 waiting on you" in page
    for persona in ("ap_clerk", "auditor", "outsider"):
        assert waiting.summary not in signed_in(people[persona]).get("/approvals/").content.decode(), persona


def test_approving_from_the_inbox_with_htmx_swaps_the_row(people, waiting) -> None:
    response = signed_in(people["ap_manager"]).post(
        f"/approvals/{waiting.pk}/decide/", {"decision": "approve", "text": "ok"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Approved:" in response.content.decode()
    assert ApprovalRequest.objects.get(pk=waiting.pk).status == RequestStatus.APPROVED


def test_rejecting_without_a_reason_is_refused_in_the_row(people, waiting) -> None:
    response = signed_in(people["ap_manager"]).post(
        f"/approvals/{waiting.pk}/decide/", {"decision": "reject", "text": ""}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'aria-invalid="true"' in page
    assert ApprovalRequest.objects.get(pk=waiting.pk).status == RequestStatus.PENDING


def test_my_own_request_is_not_offered_and_cannot_be_decided_through_the_ui(people, make_document) -> None:
    policy_create(actor=SYSTEM, name="Budget", document_type=DOC, steps=[StepSpec(role=Role.AP_MANAGER)])
    manager = people["ap_manager"]
    own = approval_request_submit(actor=manager, document_type=DOC, document=make_document(requester=manager))
    client = signed_in(manager)
    assert own.summary not in client.get("/approvals/").content.decode()
    assert client.post(f"/approvals/{own.pk}/decide/", {"decision": "approve"}).status_code == 404
    assert ApprovalRequest.objects.get(pk=own.pk).status == RequestStatus.PENDING


def test_approving_a_document_i_created_is_blocked_in_the_row_naming_the_rule(people, make_document) -> None:
    policy_create(actor=SYSTEM, name="Budget", document_type=DOC, steps=[StepSpec(role=Role.AP_MANAGER)])
    manager = people["ap_manager"]
    document = make_document(creator=manager, requester=people["ap_clerk"])
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    response = signed_in(manager).post(
        f"/approvals/{request.pk}/decide/", {"decision": "approve"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "rule maker-checker" in page
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.PENDING


def test_a_request_that_does_not_wait_on_me_is_404(people, waiting) -> None:
    response = signed_in(people["procurement_admin"]).post(f"/approvals/{waiting.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 404


def test_the_decision_appears_in_my_decisions(people, waiting) -> None:
    manager = signed_in(people["ap_manager"])
    manager.post(f"/approvals/{waiting.pk}/decide/", {"decision": "approve", "text": "fine"})
    page = manager.get("/approvals/decisions/").content.decode()
    assert waiting.summary in page
    assert "fine" in page


def test_a_delegate_sees_and_decides_for_the_person_away(people, waiting, managers) -> None:
    away, stand_in = people["ap_manager"], managers[0]
    page = signed_in(away).post(
        "/approvals/delegations/",
        {
            "delegate": stand_in.pk,
            "starts_on": timezone.localdate(),
            "ends_on": timezone.localdate() + timedelta(days=3),
            "reason": "annual leave",
        },
    )
    assert page.status_code == 302
    delegation = Delegation.objects.get(delegator=away)
    inbox = signed_in(stand_in).get("/approvals/").content.decode()
    assert waiting.summary in inbox
    signed_in(away).post(f"/approvals/delegations/{delegation.pk}/end/", {"reason": "back early"})
    assert Delegation.objects.get(pk=delegation.pk).revoked_at is not None


def test_the_team_queue_is_for_managers_and_flags_overdue_steps(people, waiting) -> None:
    page = signed_in(people["ap_manager"]).get("/approvals/team/").content.decode()
    assert waiting.summary in page
    assert ">overdue<" not in page
    ApprovalRequest.objects.filter(pk=waiting.pk).update(step_started_at=timezone.now() - timedelta(days=10))
    assert ">overdue<" in signed_in(people["ap_manager"]).get("/approvals/team/").content.decode()
    assert signed_in(people["ap_clerk"]).get("/approvals/team/").status_code == 403


@pytest.mark.parametrize(
    "path", ["/approvals/", "/approvals/decisions/", "/approvals/delegations/", "/approvals/team/"]
)
def test_anonymous_visitors_are_sent_to_log_in_and_people_without_roles_are_refused(people, path: str) -> None:
    assert Client().get(path)["Location"].startswith("/login/")
    assert signed_in(people["nobody"]).get(path).status_code == 403


def test_notifications_are_listed_and_marked_read(people) -> None:
    clerk = people["ap_clerk"]
    notification_send(actor=SYSTEM, user=clerk, title="Approved: budget change CC1", link="/approvals/")
    client = signed_in(clerk)
    assert 'aria-label="1 unread"' in client.get("/").content.decode()
    assert "Approved: budget change CC1" in client.get("/notifications/").content.decode()
    client.post("/notifications/")
    assert 'aria-label="1 unread"' not in client.get("/").content.decode()
    assert Client().get("/notifications/")["Location"].startswith("/login/")
    assert "budget change" not in signed_in(people["auditor"]).get("/notifications/").content.decode()
