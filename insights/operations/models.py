"""Pre-aggregated figures of the operations dashboard: weekly counts per facility, rebuilt by
`operations_summary_refresh` (beat every 15 minutes, the demo seeding, a management command).

They are caches of what the matching and history tables say, rebuilt whole on every refresh, so they carry no
history of their own: the refresh run (who, when, how long) is the record."""

from __future__ import annotations

from django.db import models

from p2p_portal.models import Facility


class CycleStage(models.TextChoices):
    """A stretch of an invoice's life whose length the dashboard reports (from one milestone to the next)."""

    RECEIVED_APPROVED = "received_approved", "Received → approved"
    APPROVED_POSTED = "approved_posted", "Approved → posted"
    POSTED_PAID = "posted_paid", "Posted → paid"
    RECEIVED_PAID = "received_paid", "Received → paid"


class MatchWeek(models.Model):
    """PO-backed invoices received at a facility in a week (Monday) that matching judged, and how many went through
    without a person (touchless)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week the invoices were received in.")
    judged = models.PositiveIntegerField(default=0)
    touchless = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["week", "facility"]
        constraints = [models.UniqueConstraint(fields=["facility", "week"], name="insights_ops_matchweek_unique")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.week}: {self.touchless}/{self.judged}"


class ExceptionWeek(models.Model):
    """Exceptions of one code at a facility raised in a week, and resolved in that week (by any means)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    code = models.CharField(max_length=20)
    opened = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["week", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "week", "code"], name="insights_ops_exceptionweek_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.week} {self.code}: +{self.opened} -{self.resolved}"


class CycleTimeBin(models.Model):
    """How many invoices at a facility finished a stage in a week after this many whole hours: a histogram exact
    to the hour, from which any range's median and p90 follow without reading an invoice."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday of the week the stage ended in.")
    stage = models.CharField(max_length=20, choices=CycleStage.choices)
    hours = models.PositiveIntegerField()
    invoices = models.PositiveIntegerField()

    class Meta:
        ordering = ["stage", "week", "hours"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "week", "stage", "hours"], name="insights_ops_cyclebin_unique")
        ]
        indexes = [models.Index(fields=["stage", "week"], name="insights_ops_cyclebin_stage")]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.week} {self.stage} {self.hours} h: {self.invoices}"


class Decision(models.TextChoices):
    """The decisions the dashboard counts and sums by week (definitions.py says which records each one is)."""

    DUPLICATE_CONFIRMED = "duplicate_confirmed", "Duplicates confirmed"
    DUPLICATE_DISMISSED = "duplicate_dismissed", "Duplicates dismissed"
    VARIANCE_ACCEPTED = "variance_accepted", "Variances accepted"
    VARIANCE_RECOVERED = "variance_recovered", "Variances recovered by credit memo"
    ESCALATED = "escalated", "SLA breaches escalated"


class DecisionWeek(models.Model):
    """How many decisions of a kind were taken at a facility in a week, and for how much money."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    decision = models.CharField(max_length=20, choices=Decision.choices)
    count = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["week", "decision"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "week", "decision"], name="insights_ops_decisionweek_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.week} {self.decision}: {self.count} ({self.amount})"


class SummaryRefresh(models.Model):
    """One rebuild of the summaries: who asked for it, when it finished, how long it took (the page's freshness)."""

    actor = models.CharField(max_length=150)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    rows = models.PositiveIntegerField(help_text="Summary rows written.")

    class Meta:
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"refresh at {self.finished_at:%Y-%m-%d %H:%M} by {self.actor}"
