"""The transactional outbox: domain apps record what happened in the same transaction as the change, and the
integrations layer dispatches the events later (so a crash between the two loses nothing)."""

from __future__ import annotations

from django.db import models

from p2p_portal.audit.history import audited_history


class OutboxEvent(models.Model):
    """Something that happened (`vendor.merged`, `vendor.changed`...) for other apps and systems to act on."""

    topic = models.CharField(max_length=80)
    subject = models.CharField(max_length=120, help_text='What it is about, e.g. "vendor:42".')
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Dispatch bookkeeping changes on every attempt; the event itself is what auditors follow.
    history = audited_history(excluded_fields=["dispatched_at", "attempts", "last_error"])

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["dispatched_at", "id"], name="outbox_pending")]

    def __str__(self) -> str:
        return f"{self.topic} {self.subject}"
