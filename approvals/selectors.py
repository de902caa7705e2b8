"""Reads of the approval engine: policy matching, who may decide, delegations, role conflicts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.models import OPEN_STATUSES, ApprovalRequest, Delegation, Policy, PolicyStep, RequestStatus
from approvals.registry import DocumentFacts
from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.models import Facility, RoleAssignment
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for, has_role_at, scope_to_facilities

# Who may reassign a request and sees the delegations of people at their facilities.
MANAGER_ROLES = (Role.AP_MANAGER, Role.PROCUREMENT_ADMIN)

# Role pairs one person must not hold at one facility (the static SoD report).
CONFLICTING_ROLES: tuple[tuple[Role, Role], ...] = (
    (Role.VENDOR_STEWARD, Role.AP_CLERK),
    (Role.VENDOR_STEWARD, Role.AP_MANAGER),
    (Role.INTEGRATION_ADMIN, Role.AP_MANAGER),
)


def _specificity(policy: Policy) -> tuple[int, int, int, int, Any]:
    bounds = (policy.min_amount is not None) + (policy.max_amount is not None)
    width = policy.max_amount - policy.min_amount if bounds == 2 else 0  # type: ignore[operator]
    return (policy.cost_center_id is not None, policy.facility_id is not None, policy.risk_level != "", bounds, -width)


def policy_for(*, document_type: str, facts: DocumentFacts) -> Policy:
    """The most specific active policy for these facts: cost center, then facility, then risk, then amount band."""
    candidates = (
        Policy.objects.filter(active=True, document_type=document_type)
        .filter(Q(facility__isnull=True) | Q(facility=facts.facility))
        .filter(Q(cost_center__isnull=True) | Q(cost_center=facts.cost_center))
        .filter(Q(min_amount__isnull=True) | Q(min_amount__lte=facts.amount))
        .filter(Q(max_amount__isnull=True) | Q(max_amount__gt=facts.amount))
        .filter(Q(risk_level="") | Q(risk_level=facts.risk_level))
    )
    ranked = sorted(candidates, key=_specificity, reverse=True)
    if not ranked:
        raise InvalidInputError(
            f"No approval policy covers this {document_type} ({facts.amount} {facts.currency}, risk {facts.risk_level}"
            f" at {facts.facility.code}); ask a procurement admin to add one. It was not approved.",
            code="no_matching_policy",
        )
    if len(ranked) > 1 and _specificity(ranked[0]) == _specificity(ranked[1]):
        raise ApplicationError(
            f"Policies {ranked[0].name!r} and {ranked[1].name!r} match equally; a procurement admin must resolve it.",
            code="ambiguous_policy",
        )
    return ranked[0]


def current_step(request: ApprovalRequest) -> PolicyStep | None:
    """The step the request waits on (None once it is closed)."""
    if request.current_step is None:
        return None
    return PolicyStep.objects.filter(policy_id=request.policy_id, position=request.current_step).first()


def may_decide_directly(user: Any, request: ApprovalRequest, step: PolicyStep) -> bool:
    """Whether `user` is, in their own right, an approver of the request's current step."""
    if request.assignee_id is not None:
        if user.pk == request.assignee_id:
            return True
        if not request.assignee_adds:
            return False  # reassigned: only the assignee decides
    if step.user_id is not None:
        return bool(user.pk == step.user_id)
    return has_role_at(user, step.role, request.facility)


def active_delegations(
    *, delegate: Any, document_type: str, facility: Facility, on: date | None = None
) -> list[Delegation]:
    """Delegations to `delegate` in force on `on` (today) for this document type and facility."""
    today = on or timezone.localdate()
    queryset = (
        Delegation.objects.filter(delegate=delegate, revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today)
        .filter(Q(facility__isnull=True) | Q(facility=facility))
        .select_related("delegator")
        .order_by("id")
    )
    return [d for d in queryset if not d.document_types or document_type in d.document_types]


def delegate_holds_role(delegate: Any, request: ApprovalRequest, step: PolicyStep) -> bool:
    """A delegate must hold the step's role at the facility (for a named-user step: some role there)."""
    if step.role and request.assignee_id is None:
        return has_role_at(delegate, step.role, request.facility)
    return any(has_role_at(delegate, role, request.facility) for role in Role)


def may_manage(user: Any, facility: Facility) -> bool:
    """Managers (ap_manager or procurement_admin at the facility) may reassign and read delegations there."""
    return any(has_role_at(user, role, facility) for role in MANAGER_ROLES)


def approval_request_list(*, user: Any, open_only: bool = False) -> QuerySet[ApprovalRequest]:
    """Requests at the facilities where the user holds a role, plus their own."""
    queryset = ApprovalRequest.objects.select_related("facility", "policy", "requester")
    scoped = scope_to_facilities(queryset, user) | queryset.filter(Q(requester=user) | Q(submitted_by=user))
    if open_only:
        scoped = scoped.filter(status__in=OPEN_STATUSES)
    return scoped.distinct()


def delegation_list(*, user: Any) -> QuerySet[Delegation]:
    """Delegations the user gives or receives, plus those of people at facilities where the user is a manager."""
    managed = facilities_for(user, MANAGER_ROLES)
    people = RoleAssignment.objects.filter(facility__in=managed).values("user_id")
    return Delegation.objects.filter(
        Q(delegator=user)
        | Q(delegate=user)
        | Q(delegator__in=people)
        | Q(delegate__in=people)
        | Q(facility__in=managed)
    ).distinct()


@dataclass(frozen=True)
class RoleConflict:
    """A user holding two roles that must not meet in one person at one facility."""

    user: User
    facility: Facility
    roles: tuple[str, str]


def role_conflicts() -> list[RoleConflict]:
    """Every user whose roles at one facility form a conflicting pair (static SoD report)."""
    held: dict[tuple[int, int], set[str]] = {}
    for assignment in RoleAssignment.objects.all():
        held.setdefault((assignment.user_id, assignment.facility_id), set()).add(assignment.role)
    users = User.objects.in_bulk({user_id for user_id, _ in held})
    facilities = Facility.objects.in_bulk({facility_id for _, facility_id in held})
    found = [
        RoleConflict(user=users[user_id], facility=facilities[facility_id], roles=(first.value, second.value))
        for (user_id, facility_id), roles in held.items()
        for first, second in CONFLICTING_ROLES
        if first in roles and second in roles
    ]
    return sorted(found, key=lambda c: (c.user.username, c.facility.code, c.roles))


@dataclass(frozen=True)
class InboxItem:
    """A request waiting on a decision the user may take: in their own right, or for a delegator."""

    request: ApprovalRequest
    step: PolicyStep
    acting_for: Any  # the delegator, or None when the user decides in their own right
    due_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at <= timezone.now()

    @property
    def document_label(self) -> str:
        from approvals.registry import get

        try:
            return get(self.request.document_type).label
        except ApplicationError:  # a consumer no longer registered: show its code
            return self.request.document_type

    @property
    def review_url(self) -> str:
        from approvals.registry import get

        try:
            return get(self.request.document_type).review_url(self.request)
        except ApplicationError:
            return ""


def requires_reauthentication(request: ApprovalRequest) -> bool:
    """Whether approving this request needs a fresh password proof (its document type says so)."""
    from approvals.registry import get

    try:
        return get(request.document_type).requires_reauthentication
    except ApplicationError:
        return False


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` moved forward by `days` working days (Monday to Friday), keeping the time of day."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            remaining -= 1
    return moment


def step_due_at(request: ApprovalRequest, step: PolicyStep) -> datetime | None:
    """When the current step breaches its SLA."""
    started = request.step_started_at or request.submitted_at
    return add_business_days(started, step.sla_business_days) if started else None


def approval_inbox(*, user: Any) -> list[InboxItem]:
    """Pending requests whose current step `user` may decide now, directly or as a delegate (oldest first)."""
    if not getattr(user, "is_authenticated", False):
        return []
    today = timezone.localdate()
    delegators = list(
        Delegation.objects.filter(delegate=user, revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today)
        .values_list("delegator_id", flat=True)
        .distinct()
    )
    candidates = ApprovalRequest.objects.filter(status=RequestStatus.PENDING).select_related(
        "facility", "policy", "requester"
    )
    if not user.is_superuser:
        people = [user.pk, *delegators]
        role_facilities = RoleAssignment.objects.filter(user_id__in=people).values("facility_id")
        candidates = candidates.filter(Q(facility_id__in=role_facilities) | Q(assignee_id__in=people))
    items: list[InboxItem] = []
    for request in candidates.order_by("submitted_at", "id"):
        if user.pk in (request.requester_id, request.submitted_by_id):
            continue  # never one's own request (the service refuses it anyway: maker-checker)
        step = current_step(request)
        if step is None:
            continue
        if may_decide_directly(user, request, step):
            items.append(InboxItem(request, step, None, step_due_at(request, step)))
            continue
        for delegation in active_delegations(
            delegate=user, document_type=request.document_type, facility=request.facility
        ):
            if may_decide_directly(delegation.delegator, request, step) and delegate_holds_role(user, request, step):
                items.append(InboxItem(request, step, delegation.delegator, step_due_at(request, step)))
                break
    return items


@dataclass(frozen=True)
class QueueRow:
    """An open request in a manager's team queue, with the step it waits on and when that step is due."""

    request: ApprovalRequest
    step: PolicyStep | None
    due_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at <= timezone.now()


def manages_any_facility(user: Any) -> bool:
    """Whether the user is an AP manager or procurement admin somewhere (or a superuser)."""
    return bool(user.is_superuser or facilities_for(user, MANAGER_ROLES).exists())


def team_queue(*, user: Any) -> list[QueueRow]:
    """Open requests at the facilities the user manages, overdue (earliest due) first."""
    managed = facilities_for(user, MANAGER_ROLES).values("pk")
    requests = (
        ApprovalRequest.objects.filter(status__in=OPEN_STATUSES, facility__in=managed)
        .select_related("facility", "assignee", "policy")
        .order_by("submitted_at", "id")
    )
    rows = []
    for request in requests:
        step = current_step(request)
        rows.append(QueueRow(request, step, step_due_at(request, step) if step else None))
    rows.sort(key=lambda row: (row.due_at is None, row.due_at))
    return rows


def delegate_candidates(*, user: Any) -> QuerySet[User]:
    """Active colleagues who hold a role at one of the user's facilities: whom the user may delegate to."""
    facilities = RoleAssignment.objects.filter(user=user).values("facility")
    return (
        User.objects.filter(is_active=True, role_assignments__facility__in=facilities)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("username")
    )
