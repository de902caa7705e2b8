"""Platform services: every platform write goes through here."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from p2p_portal.models import TaskHeartbeat


@transaction.atomic
def task_heartbeat_record(*, name: str, hostname: str) -> TaskHeartbeat:
    """Record that the periodic task `name` just ran on `hostname` (system write: no human actor)."""
    heartbeat, _ = TaskHeartbeat.objects.select_for_update().get_or_create(
        name=name, defaults={"hostname": hostname, "last_seen_at": timezone.now()}
    )
    heartbeat.hostname = hostname
    heartbeat.last_seen_at = timezone.now()
    heartbeat.full_clean()
    heartbeat.save(update_fields=["hostname", "last_seen_at"])
    return heartbeat
