"""The AP workbench: queues of invoices with open exceptions, the work item a clerk claims for each invoice, what
was done to it, and how large a variance each role may accept on its own."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from matching.models.invoices import Invoice
from p2p_portal.audit.history import audited_history
from p2p_portal.models import Facility
from p2p_portal.roles import Role


class QueuePriority(models.TextChoices):
    """How urgent a queue's items are; the priority sets each item's due time (`WORKBENCH_SLA_HOURS`)."""

    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class WorkQueue(models.Model):
    """A queue: the invoices at its facilities whose open exceptions carry one of its codes, worked by one group.
    An invoice is routed to the first matching queue by position."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    facilities = models.ManyToManyField(
        Facility, blank=True, related_name="+", help_text="Leave empty for a queue of every facility."
    )
    exception_codes = models.JSONField(default=list, help_text="The exception codes whose invoices this queue takes.")
    priority = models.CharField(max_length=10, choices=QueuePriority.choices, default=QueuePriority.NORMAL)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+", help_text="The role that works it.")
    position = models.PositiveSmallIntegerField(
        default=100, help_text="Routing order: lower positions are tried first."
    )
    active = models.BooleanField(default=True)
    history = audited_history()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class WorkItemState(models.TextChoices):
    """Where a work item stands: in its queue, waiting on someone outside AP, on hold, or done."""

    OPEN = "open", "In queue"
    WAITING_CREDIT_MEMO = "waiting_credit_memo", "Waiting for a credit memo"
    WAITING_RECEIPT = "waiting_receipt", "Waiting for receipt confirmation"
    AWAITING_APPROVAL = "awaiting_approval", "Variance awaiting approval"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


ACTIVE_STATES = (
    WorkItemState.OPEN,
    WorkItemState.WAITING_CREDIT_MEMO,
    WorkItemState.WAITING_RECEIPT,
    WorkItemState.AWAITING_APPROVAL,
    WorkItemState.ON_HOLD,
)


class WorkItem(models.Model):
    """The unit of AP work: one invoice with open exceptions, resolved together by the clerk who holds its lease."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="work_item")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    queue = models.ForeignKey(WorkQueue, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    state = models.CharField(max_length=20, choices=WorkItemState.choices, default=WorkItemState.OPEN)
    opened_at = models.DateTimeField(help_text="When the invoice first needed a person: ages are counted from here.")
    due_at = models.DateTimeField()
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Renewed while the clerk works (kept out of the history: a renewal decides nothing; claims and releases do).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    hold_until = models.DateField(null=True, blank=True, help_text="Review date of a hold: back in the queue then.")
    credit_expected = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Variance a requested credit memo recovers."
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = audited_history(excluded_fields=["lease_expires_at"])
    audit_facility_field = "facility"

    class Meta:
        ordering = ["opened_at", "id"]
        indexes = [
            # Claim-next and the queue page: the open items of a queue, oldest first.
            models.Index(fields=["queue", "opened_at", "id"], name="matching_workitem_open", condition=Q(state="open")),
            # Claim-next across all of a clerk's queues: walk the open items oldest first, stop at the first match.
            models.Index(fields=["opened_at", "id"], name="matching_workitem_open_age", condition=Q(state="open")),
            # Queue health and page counts answered from the index alone (closed items never read).
            models.Index(
                fields=["queue", "state"],
                include=["facility", "opened_at", "due_at", "claimed_by", "lease_expires_at", "id"],
                name="matching_workitem_active",
                condition=Q(
                    state__in=["open", "waiting_credit_memo", "waiting_receipt", "awaiting_approval", "on_hold"]
                ),
            ),
            models.Index(fields=["facility", "state"], name="matching_workitem_fac_state"),
            models.Index(fields=["claimed_by", "state"], name="matching_workitem_claimed"),
            models.Index(fields=["state", "due_at"], name="matching_workitem_due"),
        ]

    def __str__(self) -> str:
        return f"work item {self.pk} ({self.state})"


class WorkActionKind(models.TextChoices):
    """What was done to a work item."""

    ACCEPT_VARIANCE = "accept_variance", "Accepted the variance"
    REQUEST_VARIANCE_APPROVAL = "request_variance_approval", "Sent the variance for approval"
    VARIANCE_APPROVED = "variance_approved", "Variance approved"
    VARIANCE_REFUSED = "variance_refused", "Variance approval refused"
    REQUEST_CREDIT_MEMO = "request_credit_memo", "Asked the vendor for a credit memo"
    CREDIT_RECOVERED = "credit_recovered", "Credit memo received"
    ROUTE_RECEIPT = "route_receipt", "Asked for receipt confirmation"
    RECEIPT_ARRIVED = "receipt_arrived", "Receipt arrived"
    CONFIRM_DUPLICATE = "confirm_duplicate", "Confirmed the duplicate"
    DISMISS_DUPLICATE = "dismiss_duplicate", "Not a duplicate"
    HOLD = "hold", "Put on hold"
    RELEASE_HOLD = "release_hold", "Back from hold"
    REJECT = "reject", "Rejected the invoice"
    REASSIGN = "reassign", "Reassigned"
    COMMENT = "comment", "Comment"
    ESCALATE = "escalate", "SLA breached: escalated"
    BLOCKED = "blocked", "Refused (segregation of duties or authority)"


class WorkAction(models.Model):
    """One thing a person (or the portal) did to a work item, with its reason code and note: the item's log, and
    the evidence auditors read (insert-only)."""

    item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="actions")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="work_actions")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=WorkActionKind.choices)
    reason_code = models.CharField(max_length=40, blank=True)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    approval_request = models.ForeignKey(
        "approvals.ApprovalRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["invoice", "occurred_at"], name="matching_workaction_invoice"),
            models.Index(fields=["kind", "occurred_at"], name="matching_workaction_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_id}"


class AuthorityLimit(models.Model):
    """How large a variance a role may accept on its own at a facility (or everywhere); above it an AP manager
    approves. Without a row, `WORKBENCH_AUTHORITY_DEFAULTS` applies."""

    role = models.CharField(max_length=20, choices=Role.choices)
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    max_variance = models.DecimalField(max_digits=14, decimal_places=2)
    history = audited_history()

    class Meta:
        ordering = ["role", "facility"]
        constraints = [
            models.UniqueConstraint(fields=["role", "facility"], name="matching_authority_unique"),
            models.UniqueConstraint(
                fields=["role"], condition=Q(facility__isnull=True), name="matching_authority_unique_global"
            ),
            models.CheckConstraint(condition=Q(max_variance__gte=0), name="matching_authority_not_negative"),
        ]

    def __str__(self) -> str:
        where = self.facility.code if self.facility is not None else "every facility"
        return f"{self.get_role_display()} at {where}: {self.max_variance}"
