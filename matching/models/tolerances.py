"""Tolerance rules: how far an invoice may differ from its PO and receipts and still pass."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from p2p_portal.audit.history import audited_history
from p2p_portal.models import Facility
from vendors.models import Vendor


class ToleranceScope(models.TextChoices):
    """What a rule applies to; the most specific matching rule wins (category over vendor over facility)."""

    GLOBAL = "global", "Everywhere"
    FACILITY = "facility", "A facility"
    VENDOR = "vendor", "A vendor"
    CATEGORY = "category", "An item category (UNSPSC)"


class ToleranceRule(models.Model):
    """Price, quantity and header-total limits for a scope; every judgement records the rule and its version."""

    name = models.CharField(max_length=120)
    scope = models.CharField(max_length=10, choices=ToleranceScope.choices)
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.CharField("UNSPSC category", max_length=8, blank=True)
    price_pct = models.DecimalField(
        "price limit (%)", max_digits=6, decimal_places=2, default=Decimal("2.00"), help_text="Above the PO price."
    )
    price_abs = models.DecimalField(
        "price limit ($ extended per line)", max_digits=12, decimal_places=2, default=Decimal("100.00")
    )
    accept_lower_price = models.BooleanField(default=True)
    qty_over_received = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    qty_over_ordered = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("0"))
    header_total_abs = models.DecimalField(
        "header total limit ($)", max_digits=12, decimal_places=2, default=Decimal("0.05")
    )
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = audited_history()
    audit_facility_field = "facility"

    class Meta:
        ordering = ["scope", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="global") & Q(facility__isnull=True) & Q(vendor__isnull=True) & Q(category=""))
                | (Q(scope="facility") & Q(facility__isnull=False) & Q(vendor__isnull=True) & Q(category=""))
                | (Q(scope="vendor") & Q(vendor__isnull=False) & Q(category=""))
                | (Q(scope="category") & ~Q(category="")),
                name="matching_tolerance_scope_keys",
                violation_error_message="A rule names what its scope needs: a facility, a vendor or a category.",
            ),
            models.CheckConstraint(
                condition=Q(price_pct__gte=0) & Q(price_abs__gte=0) & Q(header_total_abs__gte=0),
                name="matching_tolerance_limits_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"
