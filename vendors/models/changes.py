"""Governed changes: a change request with its field-level diff, and the call-back evidence of bank changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from approvals.models import ApprovalRequest
from p2p_portal.audit.history import audited_history
from p2p_portal.models import Facility
from vendors.models.vendor import BankAccount, Vendor


class ChangeKind(models.TextChoices):
    """What a change request does."""

    CREATE = "create", "New vendor"
    UPDATE = "update", "Change of governed fields"
    BANK_ACCOUNT = "bank_account", "Bank-account change"


class ChangeStatus(models.TextChoices):
    """Where a change request stands; only `pending` is open."""

    PENDING = "pending", "Pending approval"
    APPLIED = "applied", "Approved and applied"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ChangeRequest(models.Model):
    """A steward's proposal to create or change a vendor: the diff (old -> new) is fixed when it is submitted."""

    kind = models.CharField(max_length=15, choices=ChangeKind.choices)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="change_requests")
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="+", help_text="Where it is approved (the steward's facility)."
    )
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    # [{"field": "legal_name", "label": "Legal name", "old": "...", "new": "..."}]; sites and contacts use
    # dotted fields ("sites.remit_to.city"); a bank change shows masked values only.
    diff = models.JSONField(default=list)
    # The governed field groups it touches: two open requests may not share one.
    fields = models.JSONField(default=list, blank=True)
    proposed = models.JSONField(
        default=dict, blank=True, help_text="The proposed values, as the apply step reads them."
    )
    reason = models.TextField(help_text="Why the change is needed (the steward's words).")
    bank_account = models.ForeignKey(
        BankAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="change_requests"
    )
    # Possible duplicates shown to the steward before submitting, kept for the approver:
    # [{"vendor": "V-000042", "name": "...", "score": 0.93, "reasons": ["same tax id"]}]
    duplicate_warnings = models.JSONField(default=list, blank=True)
    # Phone numbers on file when the request was submitted: the only numbers a call-back may use.
    phones_on_file = models.JSONField(default=list, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    approval_request = models.ForeignKey(
        ApprovalRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    history = audited_history()
    audit_facility_field = "facility"
    # The diff and the proposal may hold a tax id in clear.
    audit_masked_fields = {"diff": "vendors.view_tax_id", "proposed": "vendors.view_tax_id"}

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["vendor", "status"], name="vendors_change_open_lookup")]

    def __str__(self) -> str:
        return f"CR-{self.pk} {self.get_kind_display()} for {self.vendor.number} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == ChangeStatus.PENDING


class CallbackOutcome(models.TextChoices):
    """What the call to the vendor established."""

    CONFIRMED = "confirmed", "Vendor confirmed the change"
    DENIED = "denied", "Vendor denied the change"
    NO_ANSWER = "no_answer", "No answer"


class CallbackEvidence(models.Model):
    """That someone called the vendor on a number on file about a bank change, and what they were told."""

    change_request = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="callbacks")
    phone_number = models.CharField(max_length=30)
    contact_name = models.CharField(max_length=200, help_text="Whom you spoke to.")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=CallbackOutcome.choices)
    notes = models.TextField(blank=True)
    recorded_at = models.DateTimeField()
    history = audited_history()

    class Meta:
        ordering = ["-called_at", "-id"]

    def __str__(self) -> str:
        return f"call to {self.phone_number} by {self.called_by} at {self.called_at:%Y-%m-%d %H:%M}: {self.outcome}"
