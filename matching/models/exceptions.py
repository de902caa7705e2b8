"""What matching found: one result per invoice line, and the exceptions (each with its fixed code) that a clerk
resolves one by one."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from matching.models.invoices import Invoice, InvoiceLine
from matching.models.orders import PurchaseOrderLine
from matching.models.tolerances import ToleranceRule
from p2p_portal.audit.history import audited_history


class ExceptionCode(models.TextChoices):
    """The fixed exception codes of DESIGN.md (part of the public API)."""

    DUPLICATE_SUSPECT = "duplicate_suspect", "Suspected duplicate"
    VENDOR_UNKNOWN = "vendor_unknown", "Unknown vendor"
    VENDOR_NOT_ACTIVE = "vendor_not_active", "Vendor not active"
    VENDOR_EXCLUDED = "vendor_excluded", "Vendor on an exclusion list"
    BANK_UNVERIFIED = "bank_unverified", "Bank account unverified"
    PO_MISSING = "po_missing", "PO missing"
    PO_NOT_FOUND = "po_not_found", "PO not found"
    PO_CLOSED = "po_closed", "PO closed"
    VENDOR_MISMATCH = "vendor_mismatch", "Vendor differs from the PO's"
    CURRENCY_MISMATCH = "currency_mismatch", "Currency differs from the PO's"
    TOTAL_MISMATCH = "total_mismatch", "Header total does not add up"
    LINE_NOT_ON_PO = "line_not_on_po", "Line not on the PO"
    PRICE_VARIANCE = "price_variance", "Price above tolerance"
    QTY_OVER_ORDERED = "qty_over_ordered", "Quantity over ordered"
    QTY_OVER_RECEIVED = "qty_over_received", "Quantity over received"
    NO_RECEIPT = "no_receipt", "Nothing received yet"
    UOM_MISMATCH = "uom_mismatch", "Unit of measure differs"


class ExceptionState(models.TextChoices):
    """An exception is open until resolved (by a clerk's action, or automatically when it no longer holds)."""

    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class ResolutionKind(models.TextChoices):
    """How an exception was resolved. The waived kinds are decisions by people (or a credit memo that made up the
    difference): a re-match does not raise the same code on the same line again."""

    REMATCH = "rematch", "No longer holds (re-match)"
    ACCEPTED = "accepted", "Variance accepted"
    APPROVED = "approved", "Variance approved by a manager"
    RECOVERED = "recovered", "Recovered by a credit memo"
    DISMISSED = "dismissed", "Duplicate dismissed"
    CONFIRMED = "confirmed", "Duplicate confirmed (invoice rejected)"
    REJECTED = "rejected", "Invoice rejected"


WAIVED_KINDS = (ResolutionKind.ACCEPTED, ResolutionKind.APPROVED, ResolutionKind.RECOVERED, ResolutionKind.DISMISSED)


class InvoiceException(models.Model):
    """One reason an invoice cannot pass, with the line it concerns and the tolerance rule that judged it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="exceptions")
    code = models.CharField(max_length=20, choices=ExceptionCode.choices)
    line_number = models.PositiveIntegerField(null=True, blank=True)
    detail = models.TextField()
    state = models.CharField(max_length=10, choices=ExceptionState.choices, default=ExceptionState.OPEN)
    rule = models.ForeignKey(ToleranceRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    duplicate_of = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(blank=True, help_text="Why it was resolved (automatic re-match or a clerk).")
    resolution_kind = models.CharField(max_length=10, choices=ResolutionKind.choices, blank=True)
    history = audited_history()

    class Meta:
        ordering = ["invoice", "line_number", "code"]
        indexes = [models.Index(fields=["code", "state"], name="matching_exception_code_state")]

    def __str__(self) -> str:
        where = f" line {self.line_number}" if self.line_number else ""
        return f"{self.code}{where} ({self.state})"


class LineMatch(models.Model):
    """How one invoice line matched: its PO line, the quantities it was judged against, its variances, the rule."""

    invoice_line = models.OneToOneField(InvoiceLine, on_delete=models.PROTECT, related_name="match")
    po_line = models.ForeignKey(PurchaseOrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=4, help_text="In the PO line's unit.")
    received_quantity = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    previously_invoiced_quantity = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    price_variance = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    price_variance_pct = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    extended_price_variance = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    quantity_over_received = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    quantity_over_ordered = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    rule = models.ForeignKey(ToleranceRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    matched_at = models.DateTimeField()
    history = audited_history()

    class Meta:
        ordering = ["invoice_line"]

    def __str__(self) -> str:
        return f"line {self.invoice_line_id} -> PO line {self.po_line_id}"
