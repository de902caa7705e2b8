"""Stored responses of POSTs made with an Idempotency-Key, so a retried request is answered, not redone."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The first request made with a key by one client, and once it finished, the response it got.

    Operational state (kept 7 days, then purged), so no history table.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    owner = models.CharField(max_length=64, help_text="user:<id> or client:<id>: keys are private to their owner.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(default=b"")
    response_content_type = models.CharField(max_length=100, blank=True)
    response_location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_unique_key_per_owner")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key} ({self.state})"
