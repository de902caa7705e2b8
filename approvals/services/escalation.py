"""The SLA clock: remind the approvers of an overdue step, then escalate it to an AP manager as the policy says."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from approvals.models import (
    ApprovalDecision,
    ApprovalEscalation,
    ApprovalRequest,
    DecisionKind,
    EscalationKind,
    EscalationMode,
    PolicyStep,
    RequestStatus,
)
from approvals.selectors import add_business_days, current_step, step_due_at
from approvals.services._common import _save
from approvals.services.notify import _send_all, step_approvers
from p2p_portal.roles import Role

logger = logging.getLogger(__name__)

TASK_ACTOR = "task approvals.escalate_overdue"


@dataclass(frozen=True)
class EscalationRun:
    """What one run of the SLA clock did."""

    reminded: int = 0
    escalated: int = 0


def approvals_escalate_overdue(*, now: datetime | None = None) -> EscalationRun:
    """Remind the approvers of every pending request whose step passed its SLA, and escalate those still waiting a
    further SLA after the reminder. Each request is handled in its own transaction on its locked row; running again
    at the same `now` does nothing more."""
    moment = now or timezone.now()
    reminded = escalated = 0
    pending = ApprovalRequest.objects.filter(
        status=RequestStatus.PENDING, current_step__isnull=False, escalated_at__isnull=True
    ).order_by("id")
    steps = {(step.policy_id, step.position): step for step in PolicyStep.objects.filter(policy__requests__in=pending)}
    for request in pending:
        step = steps.get((request.policy_id, request.current_step or 0))
        # Only rows with something to do are locked, so the clock never queues behind people deciding.
        if step is None or _due_action(request, step, moment) is None:
            continue
        outcome = _tick(request.pk, moment)
        reminded += outcome == EscalationKind.REMIND
        escalated += outcome == EscalationKind.ESCALATE
    return EscalationRun(reminded=reminded, escalated=escalated)


def _due_action(request: ApprovalRequest, step: PolicyStep, now: datetime) -> str | None:
    """What the clock owes this request at `now`: a reminder, an escalation, or nothing."""
    if request.status != RequestStatus.PENDING or request.escalated_at is not None:
        return None
    if request.reminded_at is None:
        due = step_due_at(request, step)
        return EscalationKind.REMIND if due is not None and now >= due else None
    if now >= add_business_days(request.reminded_at, step.sla_business_days):
        return EscalationKind.ESCALATE
    return None


@transaction.atomic
def _tick(request_id: int, now: datetime) -> str | None:
    """Lock one request, re-check it under the lock, and remind or escalate it; returns what it did."""
    request = (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("facility", "policy", "requester", "submitted_by")
        .get(pk=request_id)
    )
    step = current_step(request)
    action = None if step is None else _due_action(request, step, now)
    if step is None or action is None:
        return None
    if action == EscalationKind.REMIND:
        _remind(request, step, now)
    else:
        _escalate(request, step, now)
    return action


def _record(request: ApprovalRequest, step: PolicyStep, kind: str, detail: str, now: datetime) -> None:
    record = ApprovalEscalation(
        request=request, step_position=step.position, kind=kind, detail=detail[:300], created_at=now
    )
    _save(record, TASK_ACTOR, _reason(f"{kind} of step {step.position}: {detail}"))


def _reason(text: str) -> str:
    return text[:100]  # history change reasons are varchar(100)


def _names(users: list[User]) -> str:
    return ", ".join(user.username for user in users) or "nobody"


def _remind(request: ApprovalRequest, step: PolicyStep, now: datetime) -> None:
    approvers = step_approvers(request, step, on=timezone.localdate(now))
    reason = f"reminder: step {step.position} passed its SLA of {step.sla_business_days} business days"
    request.reminded_at = now
    _save(request, TASK_ACTOR, _reason(reason))
    _record(request, step, EscalationKind.REMIND, f"reminded {_names(approvers)}", now)
    _send_all(
        actor=TASK_ACTOR,
        users=approvers,
        title=f"Reminder: {request.summary} is overdue",
        body=(
            f"{request.summary} ({request.amount} {request.currency}, {request.facility.code}) has waited at step"
            f" {step.position} longer than {step.sla_business_days} business days. Without a decision it will be"
            f" escalated to an AP manager after {step.sla_business_days} more."
        ),
    )


def escalation_manager(request: ApprovalRequest) -> User | None:
    """The AP manager an overdue request goes to: the first by username at its facility who is active, neither the
    requester nor the submitter, and has not already approved the request."""
    approved = ApprovalDecision.objects.filter(request=request, decision=DecisionKind.APPROVE)
    excluded = {request.requester_id, request.submitted_by_id}
    excluded |= set(approved.values_list("actor_id", flat=True))
    excluded |= {pk for pk in approved.values_list("acting_for_id", flat=True) if pk is not None}
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__role=Role.AP_MANAGER,
            role_assignments__facility_id=request.facility_id,
        )
        .exclude(pk__in=excluded)
        .distinct()
        .order_by("username")
        .first()
    )


def _escalate(request: ApprovalRequest, step: PolicyStep, now: datetime) -> None:
    previous = step_approvers(request, step, on=timezone.localdate(now))
    manager = escalation_manager(request)
    mode = request.policy.escalation
    request.escalated_at = now
    if manager is None:
        detail = f"no AP manager at {request.facility.code}"
        _save(request, TASK_ACTOR, _reason(f"escalation of step {step.position}: {detail}"))
        _record(request, step, EscalationKind.ESCALATE, detail, now)
        logger.warning("approval escalation found no manager", extra={"request": request.pk})
        return
    if mode == EscalationMode.REASSIGN_TO_MANAGER:
        detail = f"step {step.position} reassigned to AP manager {manager.username}"
    else:
        detail = f"AP manager {manager.username} added to step {step.position}"
    request.assignee = manager
    request.assignee_adds = mode == EscalationMode.ADD_MANAGER_STEP
    _save(request, TASK_ACTOR, _reason(f"escalated: {detail}"))
    _record(request, step, EscalationKind.ESCALATE, detail, now)
    waited = f"{request.summary} ({request.amount} {request.currency}, {request.facility.code}) waited at step"
    _send_all(
        actor=TASK_ACTOR,
        users=[manager],
        title=f"Escalated to you: {request.summary}",
        body=f"{waited} {step.position} past its reminder; you may now decide it.",
    )
    _send_all(
        actor=TASK_ACTOR,
        users=[user for user in previous if user.pk != manager.pk],
        title=f"Escalated: {request.summary}",
        body=f"{waited} {step.position} past its reminder and was escalated: {detail}.",
    )
