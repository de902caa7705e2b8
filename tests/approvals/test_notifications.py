"""What the approval engine tells people, in the portal and by email, as a request moves."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from approvals.selectors import current_step
from approvals.services import (
    StepSpec,
    approval_request_approve,
    approval_request_reject,
    approval_request_request_info,
    approval_request_submit,
    delegation_create,
    policy_create,
    step_approvers,
)
from p2p_portal.errors import NotAllowedError
from p2p_portal.models import Notification
from p2p_portal.roles import Role
from tests.approvals.conftest import DOC
from tests.factories import SYSTEM, make_user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(people):
    for user in people.values():
        user.email = f"{user.username}@example.org"
        user.save()
    return people


@pytest.fixture
def two_steps(people):
    """Step 1: an AP manager; step 2: a procurement admin."""
    return policy_create(
        actor=SYSTEM,
        name="budget",
        document_type=DOC,
        steps=[StepSpec(role=Role.AP_MANAGER), StepSpec(role=Role.PROCUREMENT_ADMIN)],
    )


def _notified(title: str) -> list[str]:
    rows = Notification.objects.filter(title=title).order_by("user__username")
    return list(rows.values_list("user__username", flat=True))


def test_submission_notifies_the_first_step_approvers_not_the_requester(people, managers, two_steps, make_document):
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    assert _notified(f"Approval waiting: {request.summary}") == ["ap_manager_user", "manager2", "manager3", "manager4"]
    assert not Notification.objects.filter(user=people["ap_clerk"]).exists()
    assert not Notification.objects.filter(user=people["outsider"]).exists()  # an AP manager at SOUTH only
    notification = Notification.objects.filter(user=people["ap_manager"]).get()
    assert notification.link == reverse("approvals:index") == "/approvals/"
    assert request.summary in notification.body
    assert notification.history.get().history_user_id == people["ap_clerk"].pk


def test_an_approver_is_not_told_about_their_own_submission(people, managers, two_steps, make_document):
    request = approval_request_submit(actor=people["ap_manager"], document_type=DOC, document=make_document())
    assert _notified(f"Approval waiting: {request.summary}") == ["manager2", "manager3", "manager4"]
    assert not Notification.objects.filter(user=people["ap_manager"]).exists()


def test_a_requester_who_holds_the_role_is_not_told_either(people, managers, two_steps, make_document):
    document = make_document(requester=managers[0])
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    assert _notified(f"Approval waiting: {request.summary}") == ["ap_manager_user", "manager3", "manager4"]


def test_a_step_advance_notifies_the_next_step_approvers(people, two_steps, make_document):
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    assert not Notification.objects.filter(user=people["procurement_admin"]).exists()
    approval_request_approve(actor=people["ap_manager"], request=request)
    assert _notified(f"Approval waiting: {request.summary}") == ["ap_manager_user", "procurement_admin_user"]
    assert not Notification.objects.filter(user=people["ap_clerk"]).exists()


def test_final_approval_notifies_the_requester(people, two_steps, make_document):
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    approval_request_approve(actor=people["ap_manager"], request=request)
    approval_request_approve(actor=people["procurement_admin"], request=request)
    assert _notified(f"Approved: {request.summary}") == ["ap_clerk_user"]


def test_the_requester_and_a_different_submitter_are_both_told(people, north, two_steps, make_document):
    requester = make_user_with_role("requester", Role.AP_CLERK, north)
    request = approval_request_submit(
        actor=people["ap_clerk"], document_type=DOC, document=make_document(requester=requester)
    )
    approval_request_reject(actor=people["ap_manager"], request=request, reason="over budget")
    assert _notified(f"Rejected: {request.summary} (over budget)") == ["ap_clerk_user", "requester"]


def test_rejection_notifies_the_requester_with_the_reason(people, two_steps, make_document):
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    approval_request_reject(actor=people["ap_manager"], request=request, reason="duplicate of CC3")
    notification = Notification.objects.get(user=people["ap_clerk"])
    assert notification.title == f"Rejected: {request.summary} (duplicate of CC3)"
    assert "duplicate of CC3" in notification.body
    assert not Notification.objects.filter(user=people["ap_manager"], title__startswith="Rejected").exists()


def test_information_request_notifies_the_requester_with_the_question(people, two_steps, make_document):
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    approval_request_request_info(actor=people["ap_manager"], request=request, question="Which quarter?")
    notification = Notification.objects.get(user=people["ap_clerk"])
    assert notification.title == f"Information requested: {request.summary} (Which quarter?)"
    assert notification.link == "/approvals/"


def test_notifications_are_emailed_after_commit(emails, two_steps, make_document, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = approval_request_submit(actor=emails["ap_clerk"], document_type=DOC, document=make_document())
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["ap_manager_user@example.org"], f"[P2P Portal] Approval waiting: {request.summary}")
    ]
    assert "/approvals/" in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_reject(actor=emails["ap_manager"], request=request, reason="no budget")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["ap_clerk_user@example.org"], f"[P2P Portal] Rejected: {request.summary} (no budget)")
    ]


def test_a_failed_decision_notifies_nobody(people, two_steps, make_document):
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    before = Notification.objects.count()
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=people["ap_clerk"], request=request)
    assert Notification.objects.count() == before


def test_step_approvers_covers_named_users_assignees_and_delegates(people, north, make_document):
    named = make_user_with_role("named", Role.AP_MANAGER, north)
    policy_create(actor=SYSTEM, name="named", document_type=DOC, steps=[StepSpec(user=named)])
    deputy = make_user_with_role("deputy", Role.AP_MANAGER, north)
    delegation_create(
        actor=named, delegator=named, delegate=deputy, starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31), reason="x"
    )
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    step = current_step(request)
    assert step is not None
    assert [u.username for u in step_approvers(request, step, on=date(2026, 1, 15))] == ["deputy", "named"]
    assert [u.username for u in step_approvers(request, step, on=date(2026, 2, 1))] == ["named"]
    request.assignee = people["ap_manager"]
    assert [u.username for u in step_approvers(request, step, on=date(2026, 2, 1))] == ["ap_manager_user"]
