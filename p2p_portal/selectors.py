"""Platform reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

from p2p_portal.models import TaskHeartbeat
from p2p_portal.tasks import HEARTBEAT

DATABASE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite (development only)"}


@dataclass(frozen=True)
class SystemStatus:
    """What the dashboard says about the running installation."""

    database: str
    tasks_inline: bool
    last_heartbeat_at: datetime | None


def system_status() -> SystemStatus:
    """Return the database in use, whether tasks run inline, and when a worker last ran the heartbeat."""
    heartbeat = TaskHeartbeat.objects.filter(name=HEARTBEAT).first()
    return SystemStatus(
        database=DATABASE_NAMES.get(connection.vendor, connection.vendor),
        tasks_inline=not settings.CELERY_BROKER_URL,
        last_heartbeat_at=heartbeat.last_seen_at if heartbeat else None,
    )
