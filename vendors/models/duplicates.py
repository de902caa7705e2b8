"""Duplicate detection: blocking keys per vendor (a derived index) and candidate pairs for stewards to review."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from p2p_portal.audit.history import audited_history
from vendors.models.vendor import Vendor


class VendorMatchKey(models.Model):
    """A blocking key of a vendor (derived from its record, rebuilt on every change): vendors sharing a key are
    compared; vendors sharing none never are, which keeps the scan near-linear."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=80)

    class Meta:
        indexes = [models.Index(fields=["key"], name="vendors_matchkey_key")]
        constraints = [models.UniqueConstraint(fields=["vendor", "key"], name="vendors_matchkey_unique")]

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.key}"


class DuplicateStatus(models.TextChoices):
    """A candidate pair is open until a steward merges it or dismisses it (a dismissal is remembered)."""

    OPEN = "open", "Open"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Dismissed"


class DuplicateCandidate(models.Model):
    """Two vendors that look like one supplier, with the score and the reasons; `vendor_a` has the lower id."""

    vendor_a = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="+")
    vendor_b = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=4, decimal_places=3)
    reasons = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    found_at = models.DateTimeField()
    survivor = models.ForeignKey(Vendor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    history = audited_history()

    class Meta:
        ordering = ["-score", "found_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor_a", "vendor_b"], name="vendors_duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(vendor_a__lt=F("vendor_b")), name="vendors_duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="vendors_duplicate_queue")]

    def __str__(self) -> str:
        return f"{self.vendor_a_id} ~ {self.vendor_b_id} ({self.score}, {self.status})"
