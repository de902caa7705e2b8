"""Approval engine records: policies and their steps, requests, decisions, delegations, SoD rules and evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from p2p_portal.audit.history import audited_history
from p2p_portal.models import CostCenter, Facility
from p2p_portal.roles import Role


class RiskLevel(models.TextChoices):
    """How risky a document is, as its consumer describes it."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class EscalationMode(models.TextChoices):
    """What an overdue step leads to once its reminder went unanswered."""

    ADD_MANAGER_STEP = "add_manager_step", "Add an AP manager to the step"
    REASSIGN_TO_MANAGER = "reassign_to_manager", "Reassign the step to an AP manager"


class Policy(models.Model):
    """Which steps approve a document type, for an optional facility/cost center, amount band and risk level."""

    name = models.CharField(max_length=200)
    document_type = models.CharField(max_length=50)
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cost_center = models.ForeignKey(CostCenter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    min_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Inclusive; empty means no lower bound."
    )
    max_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Exclusive; empty means no upper bound."
    )
    risk_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, blank=True, help_text="Empty matches every risk level."
    )
    active = models.BooleanField(default=True)
    escalation = models.CharField(
        max_length=30,
        choices=EscalationMode.choices,
        default=EscalationMode.ADD_MANAGER_STEP,
        help_text="What happens when a step is overdue after its reminder.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["document_type", "name"]
        verbose_name_plural = "policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True)
                | Q(max_amount__isnull=True)
                | Q(min_amount__lt=models.F("max_amount")),
                name="approvals_policy_amount_band",
                violation_error_message="The lower bound of the amount band must be below the upper bound.",
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(min_amount__gte=0),
                name="approvals_policy_min_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.document_type}, v{self.version})"


class PolicyStep(models.Model):
    """One step of a policy: a role at the document's facility, or a named user, and how many distinct approvers."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approvals_required = models.PositiveSmallIntegerField(default=1)
    sla_business_days = models.PositiveSmallIntegerField(
        default=2, help_text="Business days (Mon-Fri) before a reminder, then escalation."
    )
    history = audited_history()

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="approvals_step_unique_position"),
            models.CheckConstraint(
                condition=(Q(role="") & Q(user__isnull=False)) | (~Q(role="") & Q(user__isnull=True)),
                name="approvals_step_role_xor_user",
                violation_error_message="A step names either a role or a user, not both.",
            ),
            models.CheckConstraint(condition=Q(approvals_required__gte=1), name="approvals_step_needs_approvals"),
        ]

    def __str__(self) -> str:
        who = self.get_role_display() if self.role else str(self.user)
        return f"step {self.position}: {who} x{self.approvals_required}"


class RequestStatus(models.TextChoices):
    """Where an approval request stands."""

    PENDING = "pending", "Pending"
    INFO_REQUESTED = "info_requested", "Information requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.INFO_REQUESTED)


class ApprovalRequest(models.Model):
    """A document (type code + id) routed through a policy version; the facts are copied at submission."""

    document_type = models.CharField(max_length=50)
    document_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=300)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    cost_center = models.ForeignKey(CostCenter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="requests")
    policy_version = models.PositiveIntegerField()
    policy_history_id = models.PositiveIntegerField(null=True, blank=True)
    current_step = models.PositiveSmallIntegerField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set by a reassignment or an escalation: decides the current step.",
    )
    assignee_adds = models.BooleanField(
        default=False,
        help_text="The assignee decides besides the step's own approvers (an escalation added them), not instead.",
    )
    info_question = models.TextField(blank=True)
    info_answer = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    step_started_at = models.DateTimeField(null=True, blank=True, help_text="When the current step began waiting.")
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="Reminder sent for the current step.")
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="The current step was escalated.")
    closed_at = models.DateTimeField(null=True, blank=True)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_id"],
                condition=Q(status__in=["pending", "info_requested"]),
                name="approvals_one_open_request_per_document",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="approvals_request_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} {self.document_id}: {self.summary} ({self.status})"


class DecisionKind(models.TextChoices):
    """What a decision did."""

    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    REQUEST_INFO = "request_info", "Request information"
    WITHDRAW = "withdraw", "Withdraw"
    REASSIGN = "reassign", "Reassign"


class ApprovalDecision(models.Model):
    """One decision on a request: immutable once written (services only ever insert)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    step_position = models.PositiveSmallIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=20, choices=DecisionKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField()
    history = audited_history()

    class Meta:
        ordering = ["request", "decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} by {self.actor} on request {self.request_id}"


class Delegation(models.Model):
    """A user lets another decide for them for a date range, optionally for some document types and one facility."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    ends_on = models.DateField()
    document_types = models.JSONField(default=list, blank=True, help_text="Empty means every document type.")
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Empty means all."
    )
    reason = models.CharField(max_length=300)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="approvals_delegation_dates"),
            models.CheckConstraint(
                condition=~Q(delegator=models.F("delegate")), name="approvals_delegation_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on} to {self.ends_on})"


class ConflictRule(models.Model):
    """SoD rule: who did `ledger_action` on a subject may not approve its documents of these types within N days."""

    code = models.SlugField(max_length=50, unique=True)
    description = models.CharField(max_length=300)
    ledger_action = models.CharField(max_length=80, help_text='An action consumers record, e.g. "vendor.bank_changed".')
    document_types = models.JSONField(default=list, blank=True, help_text="Empty means every document type.")
    window_days = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    history = audited_history()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.description}"


class LedgerEntry(models.Model):
    """An action a consumer recorded (who did what to which subject, when) for conflict rules to check."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=80)
    subject = models.CharField(max_length=120, help_text='What it was done to, e.g. "vendor:42".')
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "action", "subject", "occurred_at"], name="approvals_ledger_lookup")]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.subject} at {self.occurred_at:%Y-%m-%d %H:%M}"


class BlockedAttempt(models.Model):
    """Evidence for auditors: a decision that segregation of duties refused, with the rule that refused it."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="blocked_attempts")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=DecisionKind.choices)
    rule = models.CharField(max_length=80)
    message = models.TextField()
    attempted_at = models.DateTimeField()
    history = audited_history()

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor} blocked by {self.rule} on request {self.request_id}"


class EscalationKind(models.TextChoices):
    """What the SLA clock did to a request."""

    REMIND = "remind", "Reminder sent"
    ESCALATE = "escalate", "Escalated"


class ApprovalEscalation(models.Model):
    """A reminder or escalation of an overdue step, by the periodic task (not a person's decision)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="escalations")
    step_position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=EscalationKind.choices)
    detail = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    history = audited_history()

    class Meta:
        ordering = ["request", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} of request {self.request_id} step {self.step_position}"
