"""Requests and decisions as approvers, requesters and managers see them."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalDecision, DecisionKind, RequestStatus
from approvals.services import (
    StepSpec,
    approval_request_approve,
    approval_request_reassign,
    approval_request_reject,
    approval_request_request_info,
    approval_request_resubmit,
    approval_request_submit,
    approval_request_withdraw,
    policy_create,
)
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.roles import Role
from tests.approvals.conftest import DOC, open_request
from tests.factories import SYSTEM, make_user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_steps(people):
    """Step 1: two distinct AP managers; step 2: a procurement admin."""
    return policy_create(
        actor=SYSTEM,
        name="bank change",
        document_type=DOC,
        steps=[StepSpec(role=Role.AP_MANAGER, approvals_required=2), StepSpec(role=Role.PROCUREMENT_ADMIN)],
    )


@pytest.fixture
def submitted(people, two_steps, make_document):
    return approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())


def test_multi_step_needs_two_distinct_approvers_then_the_next_step(people, managers, submitted, recorder):
    request = approval_request_approve(actor=people["ap_manager"], request=submitted, comment="looks right")
    assert (request.status, request.current_step) == (RequestStatus.PENDING, 1)
    request = approval_request_approve(actor=managers[0], request=submitted)
    assert (request.status, request.current_step) == (RequestStatus.PENDING, 2)
    assert recorder.approved == []
    request = approval_request_approve(actor=people["procurement_admin"], request=submitted)
    assert request.status == RequestStatus.APPROVED
    assert request.closed_at is not None
    assert recorder.approved == [submitted.pk]
    decisions = list(ApprovalDecision.objects.filter(request=submitted).values_list("actor__username", "step_position"))
    assert decisions == [("ap_manager_user", 1), ("manager2", 1), ("procurement_admin_user", 2)]


def test_same_person_cannot_approve_twice(people, submitted):
    approval_request_approve(actor=people["ap_manager"], request=submitted)
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=people["ap_manager"], request=submitted)
    assert caught.value.code == "sod_one_approval_per_person"
    assert open_request(submitted).current_step == 1
    assert ApprovalDecision.objects.filter(request=submitted).count() == 1


def test_a_superuser_who_approved_step_one_cannot_approve_step_two(people, managers, north, two_steps, make_document):
    boss = make_user_with_role("boss", Role.AP_MANAGER, north)
    boss.is_superuser = True
    boss.save()
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    approval_request_approve(actor=boss, request=request)
    approval_request_approve(actor=managers[0], request=request)
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=boss, request=request)
    assert caught.value.code == "sod_one_approval_per_person"


def test_someone_without_the_role_at_the_facility_cannot_decide(people, submitted):
    for who in ("ap_clerk", "outsider", "nobody", "auditor"):
        with pytest.raises(NotAllowedError) as caught:
            approval_request_approve(actor=people[who], request=submitted)
        assert caught.value.code == "not_an_approver"


def test_reject_needs_a_reason_and_ends_the_request(people, submitted, recorder):
    with pytest.raises(InvalidInputError) as caught:
        approval_request_reject(actor=people["ap_manager"], request=submitted, reason="  ")
    assert caught.value.code == "reason_required"
    assert open_request(submitted).status == RequestStatus.PENDING
    request = approval_request_reject(actor=people["ap_manager"], request=submitted, reason="wrong account")
    assert request.status == RequestStatus.REJECTED
    assert recorder.rejected == [submitted.pk]
    decision = ApprovalDecision.objects.get(request=submitted)
    assert (decision.decision, decision.comment) == (DecisionKind.REJECT, "wrong account")
    with pytest.raises(ApplicationError) as late:
        approval_request_approve(actor=people["ap_manager"], request=submitted)
    assert late.value.code == "request_not_pending"


def test_request_info_goes_back_to_the_requester_and_resubmission_continues(people, managers, submitted):
    approval_request_approve(actor=people["ap_manager"], request=submitted)
    request = approval_request_request_info(
        actor=managers[0], request=submitted, question="Which invoice does this cover?"
    )
    assert request.status == RequestStatus.INFO_REQUESTED
    assert request.requester == people["ap_clerk"]
    with pytest.raises(ApplicationError):
        approval_request_approve(actor=managers[1], request=submitted)
    with pytest.raises(NotAllowedError) as caught:
        approval_request_resubmit(actor=managers[0], request=submitted, answer="n/a")
    assert caught.value.code == "not_the_requester"
    request = approval_request_resubmit(actor=people["ap_clerk"], request=submitted, answer="INV-42")
    assert (request.status, request.current_step, request.info_answer) == (RequestStatus.PENDING, 1, "INV-42")
    # the approval given before the question still counts: one more completes step 1
    request = approval_request_approve(actor=managers[0], request=submitted)
    assert request.current_step == 2


def test_withdraw_by_requester_only(people, submitted, recorder):
    for who in ("ap_manager", "procurement_admin", "outsider"):
        with pytest.raises(NotAllowedError) as caught:
            approval_request_withdraw(actor=people[who], request=submitted)
        assert caught.value.code == "not_the_requester"
    request = approval_request_withdraw(actor=people["ap_clerk"], request=submitted, reason="raised by mistake")
    assert request.status == RequestStatus.WITHDRAWN
    assert recorder.withdrawn == [submitted.pk]


def test_a_withdrawn_document_can_be_submitted_again_but_not_twice_at_once(people, two_steps, make_document):
    document = make_document()
    first = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    with pytest.raises(ApplicationError) as caught:
        approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    assert caught.value.code == "request_already_open"
    approval_request_withdraw(actor=people["ap_clerk"], request=first)
    again = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    assert again.pk != first.pk


def test_reassign_by_managers_only_and_then_only_the_assignee_decides(people, managers, submitted):
    for who in ("ap_clerk", "vendor_steward", "auditor", "outsider"):
        with pytest.raises(NotAllowedError) as caught:
            approval_request_reassign(actor=people[who], request=submitted, to=managers[0], reason="holiday")
        assert caught.value.code == "not_a_manager"
    with pytest.raises(InvalidInputError) as lacking:
        approval_request_reassign(
            actor=people["procurement_admin"], request=submitted, to=people["ap_clerk"], reason="x"
        )
    assert lacking.value.code == "assignee_lacks_role"
    request = approval_request_reassign(
        actor=people["procurement_admin"], request=submitted, to=managers[0], reason="ap_manager is away"
    )
    assert request.assignee == managers[0]
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=people["ap_manager"], request=submitted)
    approval_request_approve(actor=managers[0], request=submitted)
    reassign = ApprovalDecision.objects.get(request=submitted, decision=DecisionKind.REASSIGN)
    assert (reassign.actor, reassign.assigned_to) == (people["procurement_admin"], managers[0])


def test_every_decision_and_history_row_is_attributed_to_its_actor(people, managers, submitted):
    approval_request_approve(actor=people["ap_manager"], request=submitted)
    approval_request_approve(actor=managers[0], request=submitted)
    approval_request_reject(actor=people["procurement_admin"], request=submitted, reason="no")
    for decision in ApprovalDecision.objects.filter(request=submitted):
        row = decision.history.get()
        assert row.history_user_id == decision.actor_id
    request_rows = list(submitted.history.order_by("history_id").values_list("history_user_id", "status"))
    assert request_rows == [
        (people["ap_clerk"].pk, "pending"),
        (managers[0].pk, "pending"),
        (people["procurement_admin"].pk, "rejected"),
    ]


def test_request_list_is_scoped_to_the_facility_and_the_requester(people, submitted):
    from approvals.selectors import approval_request_list

    assert list(approval_request_list(user=people["ap_manager"])) == [submitted]
    assert list(approval_request_list(user=people["ap_clerk"], open_only=True)) == [submitted]
    assert list(approval_request_list(user=people["outsider"])) == []
    assert list(approval_request_list(user=people["nobody"])) == []
