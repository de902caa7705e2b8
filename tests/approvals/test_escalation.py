"""The SLA clock: reminders at the SLA (business days), escalation after a further SLA, as the policy says."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail

from approvals.models import (
    ApprovalEscalation,
    ApprovalRequest,
    EscalationKind,
    EscalationMode,
    Policy,
    RequestStatus,
)
from approvals.selectors import current_step, may_decide_directly
from approvals.services import (
    EscalationRun,
    StepSpec,
    approval_request_approve,
    approval_request_reject,
    approval_request_request_info,
    approval_request_submit,
    approvals_escalate_overdue,
    delegation_create,
    policy_create,
    policy_save,
    policy_step_save,
)
from approvals.tasks import escalate_overdue
from p2p_portal.errors import NotAllowedError
from p2p_portal.models import Notification
from p2p_portal.roles import Role
from tests.approvals.conftest import DOC, open_request
from tests.factories import SYSTEM, make_facility, make_user_with_role

pytestmark = pytest.mark.django_db

TASK = "task approvals.escalate_overdue"
FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # two business days after FRIDAY
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # two business days after TUESDAY
SECOND = timedelta(seconds=1)


@pytest.fixture
def emails(people):
    for user in people.values():
        user.email = f"{user.username}@example.org"
        user.save()
    return people


def _policy(mode: str = EscalationMode.REASSIGN_TO_MANAGER) -> Policy:
    """One step decided by a procurement admin, so the AP manager it escalates to is someone new."""
    policy = policy_create(
        actor=SYSTEM, name="budget", document_type=DOC, steps=[StepSpec(role=Role.PROCUREMENT_ADMIN)]
    )
    policy.escalation = mode
    return policy_save(actor=SYSTEM, policy=policy, reason="escalation mode")


@pytest.fixture
def reassigning(people) -> Policy:
    return _policy(EscalationMode.REASSIGN_TO_MANAGER)


@pytest.fixture
def adding(people) -> Policy:
    return _policy(EscalationMode.ADD_MANAGER_STEP)


def _submit_at(people, make_document, started: datetime = FRIDAY, **facts: object) -> ApprovalRequest:
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document(**facts))
    ApprovalRequest.objects.filter(pk=request.pk).update(submitted_at=started, step_started_at=started)
    return open_request(request)


def _titles(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))


def _escalations(request: ApprovalRequest) -> list[tuple[str, int, str]]:
    rows = ApprovalEscalation.objects.filter(request=request).order_by("id")
    return list(rows.values_list("kind", "step_position", "detail"))


def test_reminder_exactly_at_the_sla_counted_in_business_days_and_not_before(people, reassigning, make_document):
    request = _submit_at(people, make_document)
    summary = request.summary
    for moment in (FRIDAY + timedelta(days=3), TUESDAY - SECOND):  # Monday, then one second early
        assert approvals_escalate_overdue(now=moment).reminded == 0
    assert open_request(request).reminded_at is None
    assert _escalations(request) == []

    run = approvals_escalate_overdue(now=TUESDAY)

    assert (run.reminded, run.escalated) == (1, 0)
    request = open_request(request)
    assert request.reminded_at == TUESDAY
    assert request.escalated_at is None
    assert _escalations(request) == [(EscalationKind.REMIND, 1, "reminded procurement_admin_user")]
    assert ApprovalEscalation.objects.get(request=request).created_at == TUESDAY
    assert _titles(people["procurement_admin"])[-1] == f"Reminder: {summary} is overdue"
    for who in ("ap_clerk", "ap_manager", "outsider", "nobody"):
        assert f"Reminder: {summary} is overdue" not in _titles(people[who])


def test_the_sla_is_taken_from_the_step(people, reassigning, make_document):
    step = reassigning.steps.get()
    step.sla_business_days = 5
    policy_step_save(actor=SYSTEM, step=step)
    request = _submit_at(people, make_document)
    assert approvals_escalate_overdue(now=TUESDAY).reminded == 0
    assert approvals_escalate_overdue(now=datetime(2026, 11, 27, 10, 0, tzinfo=UTC)).reminded == 1  # next Friday
    assert open_request(request).reminded_at is not None


def test_reminder_is_emailed(emails, reassigning, make_document, django_capture_on_commit_callbacks):
    request = _submit_at(emails, make_document)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approvals_escalate_overdue(now=TUESDAY)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["procurement_admin_user@example.org"], f"[P2P Portal] Reminder: {request.summary} is overdue")
    ]


def test_a_delegate_in_force_is_reminded_too(people, north, reassigning, make_document):
    deputy = make_user_with_role("deputy", Role.PROCUREMENT_ADMIN, north)
    delegation_create(
        actor=people["procurement_admin"],
        delegator=people["procurement_admin"],
        delegate=deputy,
        starts_on=date(2026, 11, 23),
        ends_on=date(2026, 11, 30),
        reason="leave",
    )
    request = _submit_at(people, make_document)
    approvals_escalate_overdue(now=TUESDAY)
    assert _titles(deputy)[-1] == f"Reminder: {request.summary} is overdue"
    assert _escalations(request)[0][2] == "reminded deputy, procurement_admin_user"


def test_escalation_after_a_further_sla_reassigns_to_the_first_ap_manager(people, managers, reassigning, make_document):
    request = _submit_at(people, make_document)
    approvals_escalate_overdue(now=TUESDAY)
    assert approvals_escalate_overdue(now=THURSDAY - SECOND) == approvals_escalate_overdue(now=THURSDAY - SECOND)
    assert open_request(request).escalated_at is None

    run = approvals_escalate_overdue(now=THURSDAY)

    assert (run.reminded, run.escalated) == (0, 1)
    request = open_request(request)
    manager = people["ap_manager"]  # "ap_manager_user" sorts before manager2..4
    assert request.assignee == manager
    assert request.escalated_at == THURSDAY
    assert _escalations(request)[-1] == (
        EscalationKind.ESCALATE,
        1,
        "step 1 reassigned to AP manager ap_manager_user",
    )
    assert _titles(manager) == [f"Escalated to you: {request.summary}"]
    assert _titles(people["procurement_admin"])[-1] == f"Escalated: {request.summary}"
    for other in managers:
        assert _titles(other) == []
    # The manager now decides the step; the original approver no longer does.
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=people["procurement_admin"], request=request)
    assert approval_request_approve(actor=manager, request=request).status == RequestStatus.APPROVED


def test_add_manager_step_mode_lets_the_manager_decide_and_says_so(people, adding, make_document):
    request = _submit_at(people, make_document)
    approvals_escalate_overdue(now=TUESDAY)
    assert approvals_escalate_overdue(now=THURSDAY).escalated == 1
    request = open_request(request)
    assert request.assignee == people["ap_manager"]
    assert _escalations(request)[-1] == (
        EscalationKind.ESCALATE,
        1,
        "AP manager ap_manager_user added to step 1",
    )
    assert _titles(people["ap_manager"]) == [f"Escalated to you: {request.summary}"]
    # Added, not instead: the manager and the step's own approver may both decide now.
    step = current_step(request)
    assert may_decide_directly(people["ap_manager"], request, step)
    assert may_decide_directly(people["procurement_admin"], request, step)
    assert approval_request_approve(actor=people["procurement_admin"], request=request).status == RequestStatus.APPROVED


def test_the_requester_is_never_the_manager_it_escalates_to(people, north, reassigning, make_document):
    early = make_user_with_role("aaa_manager", Role.AP_MANAGER, north)
    request = _submit_at(people, make_document, requester=early)
    approvals_escalate_overdue(now=TUESDAY)
    approvals_escalate_overdue(now=THURSDAY)
    assert open_request(request).assignee == people["ap_manager"]
    assert _titles(early) == []


def test_escalation_records_and_history_are_attributed_to_the_task(people, reassigning, make_document):
    request = _submit_at(people, make_document)
    approvals_escalate_overdue(now=TUESDAY)
    approvals_escalate_overdue(now=THURSDAY)
    rows = list(open_request(request).history.order_by("history_id"))
    reminded, escalated = rows[-2], rows[-1]
    for row in (reminded, escalated):
        assert (row.history_user_id, row.history_actor_label) == (None, TASK)
    assert reminded.history_change_reason.startswith("reminder: step 1 passed its SLA")
    assert escalated.history_change_reason == "escalated: step 1 reassigned to AP manager ap_manager_user"
    assert escalated.assignee_id == people["ap_manager"].pk
    for record in ApprovalEscalation.objects.filter(request=request):
        history = record.history.get()
        assert (history.history_user_id, history.history_actor_label) == (None, TASK)
    for notification in Notification.objects.filter(title__startswith="Escalated"):
        assert notification.history.get().history_actor_label == TASK


def test_running_twice_at_the_same_moment_does_nothing_more(people, reassigning, make_document):
    request = _submit_at(people, make_document)

    def footprint() -> tuple[int, int, int]:
        return ApprovalEscalation.objects.count(), Notification.objects.count(), open_request(request).history.count()

    assert approvals_escalate_overdue(now=TUESDAY).reminded == 1
    after_reminder = footprint()
    assert approvals_escalate_overdue(now=TUESDAY) == EscalationRun(reminded=0, escalated=0)
    assert footprint() == after_reminder

    assert approvals_escalate_overdue(now=THURSDAY).escalated == 1
    after_escalation = footprint()
    for moment in (THURSDAY, THURSDAY + timedelta(days=30)):
        assert approvals_escalate_overdue(now=moment) == EscalationRun(reminded=0, escalated=0)
    assert footprint() == after_escalation
    assert [kind for kind, _, _ in _escalations(request)] == [EscalationKind.REMIND, EscalationKind.ESCALATE]


def test_without_an_ap_manager_the_escalation_is_recorded_and_nobody_is_told(people, reassigning, make_document):
    east = make_facility("EAST")
    admin = make_user_with_role("east_admin", Role.PROCUREMENT_ADMIN, east)
    request = _submit_at(people, make_document, facility=east)
    approvals_escalate_overdue(now=TUESDAY)
    before = Notification.objects.count()

    assert approvals_escalate_overdue(now=THURSDAY).escalated == 1

    request = open_request(request)
    assert request.assignee is None
    assert request.escalated_at == THURSDAY
    assert _escalations(request)[-1] == (EscalationKind.ESCALATE, 1, "no AP manager at EAST")
    assert Notification.objects.count() == before
    assert _titles(admin) == [f"Approval waiting: {request.summary}", f"Reminder: {request.summary} is overdue"]
    assert approvals_escalate_overdue(now=THURSDAY + timedelta(days=30)).escalated == 0


def test_a_closed_request_is_never_reminded(people, reassigning, make_document):
    rejected = _submit_at(people, make_document)
    approval_request_reject(actor=people["procurement_admin"], request=rejected, reason="not needed")
    approved = _submit_at(people, make_document)
    approval_request_approve(actor=people["procurement_admin"], request=approved)
    for moment in (TUESDAY, THURSDAY, THURSDAY + timedelta(days=60)):
        run = approvals_escalate_overdue(now=moment)
        assert (run.reminded, run.escalated) == (0, 0)
    assert ApprovalEscalation.objects.count() == 0
    for request in (rejected, approved):
        assert open_request(request).reminded_at is None


def test_a_request_waiting_for_information_is_not_reminded(people, reassigning, make_document):
    request = _submit_at(people, make_document)
    approval_request_request_info(actor=people["procurement_admin"], request=request, question="Which quarter?")
    assert approvals_escalate_overdue(now=TUESDAY).reminded == 0
    assert open_request(request).reminded_at is None


def test_the_periodic_task_runs_the_service(people, reassigning, make_document):
    request = _submit_at(people, make_document, started=datetime.now(UTC) - timedelta(days=30))
    assert settings.CELERY_BEAT_SCHEDULE["approvals.escalate"]["task"] == escalate_overdue.name
    escalate_overdue.delay()  # eager in tests
    request = open_request(request)
    assert request.reminded_at is not None
    assert _escalations(request)[0][0] == EscalationKind.REMIND
    assert _titles(people["procurement_admin"])[-1] == f"Reminder: {request.summary} is overdue"
