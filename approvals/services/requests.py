"""Approval requests and decisions: submit, approve, reject, request info, resubmit, withdraw, reassign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from approvals import registry
from approvals.models import (
    OPEN_STATUSES,
    ApprovalDecision,
    ApprovalRequest,
    ConflictRule,
    DecisionKind,
    LedgerEntry,
    PolicyStep,
    RequestStatus,
)
from approvals.registry import DocumentFacts
from approvals.selectors import (
    active_delegations,
    current_step,
    delegate_holds_role,
    may_decide_directly,
    may_manage,
    policy_for,
)
from approvals.services._common import ResultT, SodBlockedError, _save
from approvals.services.notify import approval_request_notify_requester, approval_request_notify_waiting
from approvals.services.sod import blocked_attempt_record
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.roles import Role
from p2p_portal.selectors import has_role_at


# --- Requests --------------------------------------------------------------------------------------------
@transaction.atomic
def approval_request_submit(*, actor: User, document_type: str, document: Any) -> ApprovalRequest:
    """Route a document through the most specific matching policy; no matching policy is an error, never approval."""
    kind = registry.get(document_type)
    facts = kind.describe(document)
    document_id = kind.document_id(document)
    if ApprovalRequest.objects.filter(
        document_type=document_type, document_id=document_id, status__in=OPEN_STATUSES
    ).exists():
        raise ApplicationError(f"This {kind.label} already waits for approval.", code="request_already_open")
    policy = policy_for(document_type=document_type, facts=facts)
    first = policy.steps.order_by("position").first()
    if first is None:
        raise ApplicationError(f"Policy {policy.name!r} has no steps.", code="policy_without_steps")
    history_id = policy.history.order_by("-history_id").values_list("history_id", flat=True).first()
    request = ApprovalRequest(
        document_type=document_type,
        document_id=document_id,
        summary=facts.summary[:300],
        facility=facts.facility,
        cost_center=facts.cost_center,
        amount=facts.amount,
        currency=facts.currency,
        risk_level=facts.risk_level,
        requester=facts.requester or actor,
        submitted_by=actor,
        status=RequestStatus.PENDING,
        policy=policy,
        policy_version=policy.version,
        policy_history_id=history_id,
        current_step=first.position,
        submitted_at=timezone.now(),
        step_started_at=timezone.now(),
    )
    _save(request, actor, f"submitted under policy {policy.name} v{policy.version}")
    approval_request_notify_waiting(actor=actor, request=request)
    return request


def _locked(request: ApprovalRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.select_for_update().get(pk=request.pk)


def _require_status(request: ApprovalRequest, *statuses: str) -> None:
    if request.status not in statuses:
        raise ApplicationError(
            f"The request is {request.get_status_display().lower()}; this decision is no longer possible.",
            code="request_not_pending",
        )


def _facts(request: ApprovalRequest) -> DocumentFacts:
    kind = registry.get(request.document_type)
    return kind.describe(kind.load(request.document_id))


def _authority(actor: User, request: ApprovalRequest, on_behalf_of: User | None) -> tuple[PolicyStep, User | None]:
    """The current step and whom the actor decides for (None: in their own right). Delegations are one hop only."""
    step = current_step(request)
    if step is None:
        raise ApplicationError("The request waits on no step.", code="request_not_pending")
    if on_behalf_of is None and may_decide_directly(actor, request, step):
        return step, None
    delegations = active_delegations(delegate=actor, document_type=request.document_type, facility=request.facility)
    if on_behalf_of is not None:
        delegations = [d for d in delegations if d.delegator_id == on_behalf_of.pk]
    for delegation in delegations:
        if may_decide_directly(delegation.delegator, request, step):
            if not delegate_holds_role(actor, request, step):
                raise NotAllowedError(
                    f"You act for {delegation.delegator} but do not hold the role {step.role or 'needed'} at "
                    f"{request.facility.code} yourself.",
                    code="delegate_lacks_role",
                )
            return step, delegation.delegator
    raise NotAllowedError(
        f"You are not an approver of step {step.position} of this request, and no delegation in force lets you act"
        " for one.",
        code="not_an_approver",
    )


def _sod_check(request: ApprovalRequest, facts: DocumentFacts, person: User, acting_for: User | None) -> None:
    """Segregation of duties for one person (the actor, and the delegator when delegated)."""
    who = "You" if acting_for is None or person.pk != acting_for.pk else f"{person} (for whom you act)"
    if person.pk in (request.submitted_by_id, request.requester_id):
        raise SodBlockedError(
            f"{who} submitted or requested this; rule maker-checker: nobody approves their own request.",
            code="sod_self_approval",
            acting_for=acting_for,
        )
    if person.pk in (facts.created_by_id, facts.last_changed_by_id):
        raise SodBlockedError(
            f"{who} created or last changed this document; rule maker-checker: its maker cannot approve it.",
            code="sod_maker_checker",
            acting_for=acting_for,
        )
    for excluded_id, why in facts.excluded_approvers:
        if person.pk == excluded_id:
            raise SodBlockedError(
                f"{who} {why}; rule independent approval: whoever took part in preparing this may not approve it.",
                code="sod_excluded_party",
                acting_for=acting_for,
            )
    earlier = ApprovalDecision.objects.filter(request=request, decision=DecisionKind.APPROVE)
    if earlier.filter(Q(actor=person) | Q(acting_for=person)).exists():
        raise SodBlockedError(
            f"{who} already approved this request; rule one approval per person: each step needs distinct people.",
            code="sod_one_approval_per_person",
            acting_for=acting_for,
        )
    if not facts.subjects:
        return
    now = timezone.now()
    for rule in ConflictRule.objects.filter(active=True):
        if rule.document_types and request.document_type not in rule.document_types:
            continue
        entry = (
            LedgerEntry.objects.filter(
                user=person,
                action=rule.ledger_action,
                subject__in=facts.subjects,
                occurred_at__gte=now - timedelta(days=rule.window_days),
            )
            .order_by("-occurred_at")
            .first()
        )
        if entry is not None:
            raise SodBlockedError(
                f"{who} recorded {rule.ledger_action} on {entry.subject} on {entry.occurred_at:%Y-%m-%d}; conflict"
                f" rule {rule.code!r} ({rule.description}) forbids approving within {rule.window_days} days.",
                code="sod_conflict_rule",
                acting_for=acting_for,
                rule=f"sod_conflict_rule:{rule.code}",
            )


def _decision(
    *,
    actor: User,
    request: ApprovalRequest,
    kind: str,
    step: PolicyStep | None,
    acting_for: User | None = None,
    comment: str = "",
    assigned_to: User | None = None,
) -> ApprovalDecision:
    decision = ApprovalDecision(
        request=request,
        step_position=step.position if step else request.current_step,
        decision=kind,
        actor=actor,
        acting_for=acting_for,
        assigned_to=assigned_to,
        comment=comment,
        decided_at=timezone.now(),
    )
    _save(decision, actor, f"{kind} on request {request.pk}")
    return decision


def _guarded(kind: str, actor: User, request: ApprovalRequest, decide: Callable[[], ResultT]) -> ResultT:
    """Run a deciding transaction; a SoD refusal is recorded after it has rolled back, then re-raised."""
    try:
        return decide()
    except SodBlockedError as blocked:
        blocked_attempt_record(
            actor=actor,
            request=request,
            acting_for=blocked.acting_for,
            decision=kind,
            rule=blocked.rule,
            message=blocked.message,
        )
        raise


def approval_request_approve(
    *, actor: User, request: ApprovalRequest, comment: str = "", on_behalf_of: User | None = None
) -> ApprovalRequest:
    """Approve the current step (in one's own right or as a delegate); the last approval approves the document."""
    return _guarded(DecisionKind.APPROVE, actor, request, lambda: _approve(actor, request, comment, on_behalf_of))


@transaction.atomic
def _approve(actor: User, request: ApprovalRequest, comment: str, on_behalf_of: User | None) -> ApprovalRequest:
    request = _locked(request)
    _require_status(request, RequestStatus.PENDING)
    step, acting_for = _authority(actor, request, on_behalf_of)
    facts = _facts(request)
    _sod_check(request, facts, actor, acting_for)
    if acting_for is not None:
        _sod_check(request, facts, acting_for, acting_for)
    registry.get(request.document_type).before_approve(request)
    _decision(
        actor=actor, request=request, kind=DecisionKind.APPROVE, step=step, acting_for=acting_for, comment=comment
    )
    approvals = ApprovalDecision.objects.filter(
        request=request, step_position=step.position, decision=DecisionKind.APPROVE
    ).count()
    if approvals < step.approvals_required:
        return request
    following = request.policy.steps.filter(position__gt=step.position).order_by("position").first()
    request.assignee = None
    request.assignee_adds = False
    if following is not None:
        request.current_step = following.position
        request.step_started_at = timezone.now()
        request.reminded_at = None
        request.escalated_at = None
        _save(request, actor, f"step {step.position} approved; waits on step {following.position}")
        approval_request_notify_waiting(actor=actor, request=request)
        return request
    request.status = RequestStatus.APPROVED
    request.current_step = None
    request.closed_at = timezone.now()
    _save(request, actor, "approved")
    registry.get(request.document_type).on_approved(request)
    approval_request_notify_requester(actor=actor, request=request, kind=DecisionKind.APPROVE)
    return request


def approval_request_reject(
    *, actor: User, request: ApprovalRequest, reason: str, on_behalf_of: User | None = None
) -> ApprovalRequest:
    """Reject the request (an approver of the current step; a reason is required)."""
    return _guarded(DecisionKind.REJECT, actor, request, lambda: _reject(actor, request, reason, on_behalf_of))


@transaction.atomic
def _reject(actor: User, request: ApprovalRequest, reason: str, on_behalf_of: User | None) -> ApprovalRequest:
    if not reason.strip():
        raise InvalidInputError("Say why you reject it.", code="reason_required", field="reason")
    request = _locked(request)
    _require_status(request, RequestStatus.PENDING)
    step, acting_for = _authority(actor, request, on_behalf_of)
    _decision(actor=actor, request=request, kind=DecisionKind.REJECT, step=step, acting_for=acting_for, comment=reason)
    request.status = RequestStatus.REJECTED
    request.closed_at = timezone.now()
    _save(request, actor, f"rejected: {reason}")
    registry.get(request.document_type).on_rejected(request)
    approval_request_notify_requester(actor=actor, request=request, kind=DecisionKind.REJECT, comment=reason)
    return request


@transaction.atomic
def approval_request_request_info(
    *, actor: User, request: ApprovalRequest, question: str, on_behalf_of: User | None = None
) -> ApprovalRequest:
    """Send the request back to its requester with a question (an approver of the current step)."""
    if not question.strip():
        raise InvalidInputError("Ask the requester a question.", code="question_required", field="question")
    request = _locked(request)
    _require_status(request, RequestStatus.PENDING)
    step, acting_for = _authority(actor, request, on_behalf_of)
    _decision(
        actor=actor,
        request=request,
        kind=DecisionKind.REQUEST_INFO,
        step=step,
        acting_for=acting_for,
        comment=question,
    )
    request.status = RequestStatus.INFO_REQUESTED
    request.info_question = question
    request.info_answer = ""
    _save(request, actor, f"information requested: {question}")
    approval_request_notify_requester(actor=actor, request=request, kind=DecisionKind.REQUEST_INFO, comment=question)
    return request


def _is_requester(actor: User, request: ApprovalRequest) -> bool:
    return actor.pk in (request.requester_id, request.submitted_by_id)


@transaction.atomic
def approval_request_resubmit(*, actor: User, request: ApprovalRequest, answer: str) -> ApprovalRequest:
    """The requester answers the question; the request continues at the step it was sent back from."""
    if not answer.strip():
        raise InvalidInputError("Answer the approver's question.", code="answer_required", field="answer")
    request = _locked(request)
    if not _is_requester(actor, request):
        raise NotAllowedError("Only the requester can answer and resubmit.", code="not_the_requester")
    _require_status(request, RequestStatus.INFO_REQUESTED)
    request.status = RequestStatus.PENDING
    request.info_answer = answer
    _save(request, actor, f"resubmitted: {answer}")
    return request


@transaction.atomic
def approval_request_withdraw(*, actor: User, request: ApprovalRequest, reason: str = "") -> ApprovalRequest:
    """The requester (or whoever submitted it) takes the request back."""
    request = _locked(request)
    if not _is_requester(actor, request):
        raise NotAllowedError("Only the requester can withdraw a request.", code="not_the_requester")
    _require_status(request, *OPEN_STATUSES)
    _decision(actor=actor, request=request, kind=DecisionKind.WITHDRAW, step=None, comment=reason)
    request.status = RequestStatus.WITHDRAWN
    request.closed_at = timezone.now()
    _save(request, actor, f"withdrawn{': ' + reason if reason else ''}")
    registry.get(request.document_type).on_withdrawn(request)
    return request


@transaction.atomic
def approval_request_reassign(*, actor: User, request: ApprovalRequest, to: User, reason: str) -> ApprovalRequest:
    """A manager (ap_manager or procurement_admin at the facility) hands the current step to one person."""
    request = _locked(request)
    if not may_manage(actor, request.facility):
        raise NotAllowedError(
            f"Only an AP manager or procurement admin at {request.facility.code} can reassign.", code="not_a_manager"
        )
    _require_status(request, *OPEN_STATUSES)
    if not reason.strip():
        raise InvalidInputError("Say why you reassign it.", code="reason_required", field="reason")
    step = current_step(request)
    if step is None:
        raise ApplicationError("The request waits on no step.", code="request_not_pending")
    holds = (
        has_role_at(to, step.role, request.facility)
        if step.role
        else any(has_role_at(to, role, request.facility) for role in Role)
    )
    if not holds:
        raise InvalidInputError(
            f"{to} does not hold the role {step.role or 'needed'} at {request.facility.code}.",
            code="assignee_lacks_role",
            field="to",
        )
    _decision(actor=actor, request=request, kind=DecisionKind.REASSIGN, step=step, comment=reason, assigned_to=to)
    request.assignee = to
    request.assignee_adds = False  # a manager's reassignment replaces the approvers
    _save(request, actor, f"step {step.position} reassigned to {to}: {reason}")
    return request
