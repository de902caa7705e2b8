"""Purchase orders and goods receipts as the procurement suite pushes them; the running totals per PO line are
what matching consumes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from p2p_portal.audit.history import audited_history
from p2p_portal.models import CostCenter, Facility
from vendors.models import Vendor


class PurchaseOrderStatus(models.TextChoices):
    """Whether a PO may still be invoiced."""

    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class MatchType(models.TextChoices):
    """Two-way: invoice against PO; three-way: against PO and goods receipt."""

    THREE_WAY = "three_way", "Three-way (PO and receipt)"
    TWO_WAY = "two_way", "Two-way (PO only)"


class PurchaseOrder(models.Model):
    """A purchase order of a facility to a vendor; re-posting it by number makes a new revision."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="purchase_orders")
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.OPEN)
    ordered_on = models.DateField()
    revision = models.PositiveIntegerField(default=1)
    source_system = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["facility", "number"]
        constraints = [models.UniqueConstraint(fields=["facility", "number"], name="matching_po_unique_per_facility")]
        indexes = [models.Index(fields=["vendor", "status"], name="matching_po_vendor_status")]

    def __str__(self) -> str:
        return f"PO {self.number} (rev {self.revision})"


class PurchaseOrderLine(models.Model):
    """A line of a PO with what was ordered and, kept up to date under a row lock, what was received and invoiced."""

    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField()
    item_code = models.CharField(max_length=60, blank=True)
    gtin = models.CharField("GTIN", max_length=14, blank=True)
    category = models.CharField("UNSPSC category", max_length=8, blank=True)
    description = models.CharField(max_length=300)
    quantity_ordered = models.DecimalField(max_digits=14, decimal_places=4)
    unit_of_measure = models.CharField(max_length=10, default="EA")
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    cost_center = models.ForeignKey(CostCenter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    match_type = models.CharField(max_length=10, choices=MatchType.choices, default=MatchType.THREE_WAY)
    # Running totals: derived from receipts and matched invoices (both audited), so they carry no history rows
    # of their own; they change only under a row lock taken by the matching and receiving services.
    quantity_received = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    quantity_invoiced = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    history = audited_history(excluded_fields=["quantity_received", "quantity_invoiced"])

    class Meta:
        ordering = ["purchase_order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "line_number"], name="matching_po_line_unique_number"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="matching_po_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="matching_po_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order.number}/{self.line_number} {self.description}"


class Receipt(models.Model):
    """Goods received against a PO (a receiving document of the facility's dock or pharmacy)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40)
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField()
    source_system = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "number"], name="matching_receipt_unique_per_facility")
        ]

    def __str__(self) -> str:
        return f"Receipt {self.number} for PO {self.purchase_order.number}"


class ReceiptLine(models.Model):
    """A quantity received on one PO line; negative quantities are returns to the vendor."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    history = audited_history()

    class Meta:
        ordering = ["receipt", "id"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="matching_receipt_line_not_zero")]

    def __str__(self) -> str:
        return f"{self.quantity} on {self.po_line_id}"
