"""Operational heartbeat of the periodic tasks."""

from __future__ import annotations

from django.db import models


class TaskHeartbeat(models.Model):
    """When a periodic task last ran on a worker: proof that beat and the workers are alive.

    Operational state, not a business record, so it carries no history table.
    """

    name = models.CharField(max_length=100, unique=True)
    hostname = models.CharField(max_length=255)
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} on {self.hostname} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
