"""Pre-aggregated finance figures: accrual balances per PO line over time, monthly spend and price leakage, and when
each summary was last refreshed. Derived data (rebuilt from the audited receipts and invoices), so no history."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SummaryKind(models.TextChoices):
    """The summaries the finance reports read."""

    ACCRUALS = "accruals", "Accrual balances"
    SPEND = "spend", "Monthly spend and leakage"


class SummaryRefresh(models.Model):
    """When a summary was last rebuilt, by whom, and how many rows it holds (what the page's freshness line says)."""

    kind = models.CharField(max_length=10, choices=SummaryKind.choices, unique=True)
    refreshed_at = models.DateTimeField()
    refreshed_by = models.CharField(max_length=150)
    rows = models.PositiveIntegerField(default=0)
    seconds = models.DecimalField(max_digits=9, decimal_places=3, default=0)

    def __str__(self) -> str:
        return f"{self.kind} refreshed {self.refreshed_at:%Y-%m-%d %H:%M}"


class AccrualBalance(models.Model):
    """A three-way PO line's received-not-invoiced quantity, constant from `valid_from` until the day before
    `valid_until` (open-ended when null): the accrual as of a date is the rows whose interval holds it."""

    po_line = models.ForeignKey("matching.PurchaseOrderLine", on_delete=models.CASCADE, related_name="+")
    facility = models.ForeignKey("p2p_portal.Facility", on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="+")
    cost_center = models.ForeignKey(
        "p2p_portal.CostCenter", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    quantity_received = models.DecimalField(max_digits=14, decimal_places=4)
    quantity_invoiced = models.DecimalField(max_digits=14, decimal_places=4)
    quantity = models.DecimalField(max_digits=14, decimal_places=4)
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["po_line", "valid_from"]
        indexes = [
            models.Index(fields=["facility", "valid_from", "valid_until"], name="ins_fin_accrual_asof"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ins_fin_accrual_positive"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="ins_fin_accrual_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"PO line {self.po_line_id}: {self.quantity} from {self.valid_from}"


class SpendMonth(models.Model):
    """Paid spend of one month at one facility, for one vendor, UNSPSC category and PO-backed or not (net of credit
    memos), with the price paid above PO price (leakage) inside it."""

    month = models.DateField(help_text="The first day of the invoice-date month.")
    facility = models.ForeignKey("p2p_portal.Facility", on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=8, blank=True)
    po_backed = models.BooleanField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    lines = models.PositiveIntegerField()

    class Meta:
        ordering = ["month", "facility"]
        indexes = [models.Index(fields=["facility", "month"], name="ins_fin_spend_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} facility {self.facility_id}: {self.amount}"


class LeakageMonth(models.Model):
    """Price paid above the PO line's unit price in one month at one facility, by vendor and item."""

    month = models.DateField(help_text="The first day of the invoice-date month.")
    facility = models.ForeignKey("p2p_portal.Facility", on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey("vendors.Vendor", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    item = models.CharField(max_length=60, help_text="The PO line's item code (its description when it has none).")
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    lines = models.PositiveIntegerField()

    class Meta:
        ordering = ["month", "facility"]
        indexes = [models.Index(fields=["facility", "month"], name="ins_fin_leak_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.item}: {self.amount}"
