"""In-app notifications: what the portal told a person (also sent by email)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from p2p_portal.audit.history import audited_history


class Notification(models.Model):
    """A message to one user (approval waiting, reminder, escalation, decision), read in the portal or by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="A path inside the portal.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    history = audited_history(excluded_fields=["read_at"])

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} → {self.user}"
