"""Invoices and credit memos as they arrived, the raw inbound document behind each, and what matching found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from p2p_portal.audit.history import audited_history
from p2p_portal.models import ApiClient, Facility
from vendors.models import Vendor


class Channel(models.TextChoices):
    """How a document reached the portal."""

    API_JSON = "api_json", "API (JSON)"
    UBL = "ubl", "UBL 2.1"
    CXML = "cxml", "cXML"
    X12 = "x12", "X12 810"
    BULK = "bulk", "Bulk API"
    MANUAL = "manual", "Keyed by a clerk"


class InboundOutcome(models.TextChoices):
    """What became of an inbound document."""

    RECEIVED = "received", "Received, not processed yet"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected (invalid)"
    FAILED = "failed", "Failed (kept for re-processing)"


class InboundDocument(models.Model):
    """Every document sent to us, accepted or not, stored raw with its hash: nothing sent is ever lost, and any can
    be re-processed. The raw bytes stay out of the history table (they never change; the hash proves them)."""

    received_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    content_type = models.CharField(max_length=100)
    api_client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    raw = models.BinaryField()
    outcome = models.CharField(max_length=10, choices=InboundOutcome.choices, default=InboundOutcome.RECEIVED)
    errors = models.JSONField(default=list, blank=True, help_text="[{path, message}] when rejected or failed.")
    history = audited_history(excluded_fields=["raw"])

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["outcome", "received_at"], name="matching_inbound_outcome")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.sha256[:12]} ({self.outcome})"


class DocumentType(models.TextChoices):
    """An invoice asks for money; a credit memo gives some back."""

    INVOICE = "invoice", "Invoice"
    CREDIT_MEMO = "credit_memo", "Credit memo"


class InvoiceStatus(models.TextChoices):
    """The fixed invoice statuses of DESIGN.md."""

    RECEIVED = "received", "Received"
    EXCEPTION = "exception", "Exception"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    POSTED = "posted", "Posted"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


class Invoice(models.Model):
    """A supplier's invoice or credit memo at a facility, as received (the vendor may be unknown: it is still a bill
    someone must handle)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    document_type = models.CharField(max_length=12, choices=DocumentType.choices, default=DocumentType.INVOICE)
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    # How the sender named the vendor, kept whatever it resolved to: {"number": ...} or {"system": ..., "id": ...}.
    vendor_reference = models.JSONField(default=dict, blank=True)
    invoice_number = models.CharField(max_length=60)
    invoice_number_normalised = models.CharField(max_length=60, db_index=True)
    invoice_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    po_number = models.CharField(max_length=40, blank=True)
    cost_center = models.ForeignKey(
        "p2p_portal.CostCenter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who bears a non-PO invoice: its owner approves it.",
    )
    purchase_order = models.ForeignKey(
        "matching.PurchaseOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    original_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_memos"
    )
    subtotal = models.DecimalField(max_digits=14, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    freight_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.RECEIVED)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    inbound_document = models.ForeignKey(
        InboundDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    keyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The clerk who keyed it by hand (segregation of duties: they may not accept its variances).",
    )
    received_at = models.DateTimeField(auto_now_add=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["vendor", "invoice_number_normalised"], name="matching_invoice_duplicate"),
            models.Index(fields=["facility", "status"], name="matching_invoice_fac_status"),
            models.Index(fields=["purchase_order"], name="matching_invoice_po"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="matching_invoice_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} {self.invoice_number}"


class InvoiceLine(models.Model):
    """A line of an invoice as the vendor wrote it, and the PO line matching tied it to."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField()
    po_line_number = models.PositiveIntegerField(null=True, blank=True)
    item_code = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    unit_of_measure = models.CharField(max_length=10, default="EA")
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    history = audited_history()

    class Meta:
        ordering = ["invoice", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "line_number"], name="matching_invoice_line_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.invoice.invoice_number}/{self.line_number}"
