"""Exclusion screening: imported list versions (OIG LEIE, SAM), their entries, and hits on vendors."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from p2p_portal.audit.history import audited_history
from vendors.models.vendor import Vendor


class ExclusionSource(models.TextChoices):
    """Which exclusion list."""

    LEIE = "leie", "OIG LEIE"
    SAM = "sam", "SAM exclusions"


class ExclusionList(models.Model):
    """One imported version of an exclusion list; screening results name the version they were judged against."""

    source = models.CharField(max_length=5, choices=ExclusionSource.choices)
    version = models.CharField(max_length=40, help_text="e.g. the file's month, 2026-11.")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField()
    imported_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)
    history = audited_history()

    class Meta:
        ordering = ["source", "-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "version"], name="vendors_exclusionlist_unique_version"),
            models.UniqueConstraint(
                fields=["source"], condition=models.Q(is_current=True), name="vendors_one_current_list_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.version}"


class ExclusionEntry(models.Model):
    """One excluded party of a list version, as the file gave it (insert-only reference data, no history: the
    list version with its file hash is the evidence)."""

    exclusion_list = models.ForeignKey(ExclusionList, on_delete=models.CASCADE, related_name="entries")
    row_number = models.PositiveIntegerField()
    name = models.CharField(max_length=300)
    name_key = models.CharField(max_length=300, db_index=True, help_text="Normalised name used for matching.")
    is_individual = models.BooleanField(default=False)
    npi = models.CharField(max_length=10, blank=True, db_index=True)
    identifier = models.CharField(max_length=30, blank=True, db_index=True, help_text="UEI, CAGE or other id.")
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    exclusion_type = models.CharField(max_length=100, blank=True)
    excluded_on = models.DateField(null=True, blank=True)
    reinstated_on = models.DateField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["exclusion_list", "row_number"]
        verbose_name_plural = "exclusion entries"

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class HitStatus(models.TextChoices):
    """A hit is open until a steward confirms it (the vendor is blocked) or clears it with a reason."""

    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed"
    CLEARED = "cleared", "Cleared"


class ScreeningHit(models.Model):
    """A possible match of a vendor on an exclusion list version, with how it matched."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="screening_hits")
    entry = models.ForeignKey(ExclusionEntry, on_delete=models.PROTECT, related_name="hits")
    exclusion_list = models.ForeignKey(ExclusionList, on_delete=models.PROTECT, related_name="hits")
    match_kind = models.CharField(max_length=20, help_text="npi, identifier or name_state.")
    score = models.DecimalField(max_digits=4, decimal_places=3)
    detail = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=HitStatus.choices, default=HitStatus.OPEN)
    found_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    history = audited_history()

    class Meta:
        ordering = ["status", "-found_at"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "entry"], name="vendors_hit_unique_per_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor.number} ~ {self.entry} ({self.status})"


class ScreeningResult(models.Model):
    """That a vendor was screened, when, why, against which list versions, and how many hits it had (insert-only
    evidence for auditors, written in bulk by the monthly re-screen, so no history rows)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="screening_results")
    screened_at = models.DateTimeField()
    trigger = models.CharField(max_length=20, help_text="create, change, monthly or manual.")
    list_versions = models.JSONField(default=dict, blank=True, help_text='{"leie": "2026-11", "sam": "2026-11-20"}')
    hits = models.PositiveIntegerField()

    class Meta:
        ordering = ["-screened_at", "-id"]
        indexes = [models.Index(fields=["vendor", "-screened_at"], name="vendors_screening_latest")]

    def __str__(self) -> str:
        return f"{self.vendor_id} screened {self.screened_at:%Y-%m-%d} ({self.hits} hits)"
