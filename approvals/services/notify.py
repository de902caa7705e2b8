"""Approval notifications: who may decide a step now, and the in-app + email messages the engine sends them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from approvals.models import ApprovalDecision, ApprovalRequest, DecisionKind, Delegation, PolicyStep
from approvals.selectors import current_step, delegate_holds_role
from p2p_portal.models import Notification
from p2p_portal.services import notification_send


def inbox_link() -> str:
    """Where every approval notification points: the approvals inbox."""
    return reverse("approvals:index")


def step_approvers(request: ApprovalRequest, step: PolicyStep, *, on: date | None = None) -> list[User]:
    """Active users who may decide `step` of `request` on `on` (today): the assignee, the named user or the role
    holders at the facility, plus delegates in force for them; never the requester, the submitter or anyone who
    already approved the request (segregation of duties would refuse them). Sorted by username."""
    today = on or timezone.localdate()
    if step.user_id is not None:
        direct = list(User.objects.filter(pk=step.user_id, is_active=True))
    else:
        direct = list(
            User.objects.filter(
                is_active=True,
                role_assignments__role=step.role,
                role_assignments__facility_id=request.facility_id,
            ).distinct()
        )
    if request.assignee_id is not None:
        assignee = list(User.objects.filter(pk=request.assignee_id, is_active=True))
        # Reassigned: the assignee alone. Added by an escalation: the assignee besides the step's approvers.
        direct = [*direct, *assignee] if request.assignee_adds else assignee
    delegations = (
        Delegation.objects.filter(
            delegator__in=direct, revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today
        )
        .filter(Q(facility__isnull=True) | Q(facility_id=request.facility_id))
        .select_related("delegate")
    )
    delegates = [
        d.delegate
        for d in delegations
        if d.delegate.is_active
        and (not d.document_types or request.document_type in d.document_types)
        and delegate_holds_role(d.delegate, request, step)
    ]
    approved = ApprovalDecision.objects.filter(request=request, decision=DecisionKind.APPROVE)
    excluded = {request.requester_id, request.submitted_by_id}
    excluded |= set(approved.values_list("actor_id", flat=True))
    excluded |= {pk for pk in approved.values_list("acting_for_id", flat=True) if pk is not None}
    people = {user.pk: user for user in [*direct, *delegates] if user.pk not in excluded}
    return sorted(people.values(), key=lambda user: user.username)


def _send_all(*, actor: Any, users: Iterable[User], title: str, body: str) -> list[Notification]:
    link = inbox_link()
    return [notification_send(actor=actor, user=user, title=title, body=body, link=link) for user in users]


@transaction.atomic
def approval_request_notify_waiting(*, actor: Any, request: ApprovalRequest) -> list[Notification]:
    """Tell the approvers of the request's current step that it waits on them (after submission or a step advance);
    the actor is never told about their own action."""
    step = current_step(request)
    if step is None:
        return []
    actor_pk = getattr(actor, "pk", None)
    users = [user for user in step_approvers(request, step) if user.pk != actor_pk]
    body = (
        f"{request.summary} ({request.amount} {request.currency}, {request.facility.code}) waits for your decision"
        f" at step {step.position}."
    )
    return _send_all(actor=actor, users=users, title=f"Approval waiting: {request.summary}", body=body)


def _requesters(request: ApprovalRequest, actor: Any) -> list[User]:
    actor_pk = getattr(actor, "pk", None)
    people = {request.requester_id: request.requester, request.submitted_by_id: request.submitted_by}
    return [user for pk, user in sorted(people.items()) if pk != actor_pk and user.is_active]


@transaction.atomic
def approval_request_notify_requester(
    *, actor: Any, request: ApprovalRequest, kind: str, comment: str = ""
) -> list[Notification]:
    """Tell the requester (and the submitter, when another person) that the request was approved, rejected or
    sent back with a question; `kind` is a `DecisionKind`."""
    summary = request.summary
    if kind == DecisionKind.APPROVE:
        title, body = f"Approved: {summary}", f"{summary} was approved."
    elif kind == DecisionKind.REJECT:
        title, body = f"Rejected: {summary} ({comment})", f"{summary} was rejected by {actor}: {comment}"
    elif kind == DecisionKind.REQUEST_INFO:
        title = f"Information requested: {summary} ({comment})"
        body = f"{actor} asks about {summary}: {comment}\nAnswer it to resubmit the request."
    else:
        raise ValueError(f"no requester notification for {kind!r}")
    return _send_all(actor=actor, users=_requesters(request, actor), title=title, body=body)
