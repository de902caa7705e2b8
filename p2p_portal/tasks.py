"""Platform tasks: thin interfaces that call services."""

from __future__ import annotations

import logging
import socket

from celery import shared_task

from p2p_portal.api.idempotency import idempotency_purge
from p2p_portal.selectors import HEARTBEAT
from p2p_portal.services import task_heartbeat_record

logger = logging.getLogger(__name__)


@shared_task(name="p2p_portal.record_heartbeat", ignore_result=True)
def record_heartbeat() -> None:
    """Record that the scheduler and a worker are both alive (sent by beat every minute)."""
    heartbeat = task_heartbeat_record(name=HEARTBEAT, hostname=socket.gethostname())
    logger.info("task heartbeat recorded", extra={"heartbeat": heartbeat.name, "hostname": heartbeat.hostname})


@shared_task(name="p2p_portal.purge_idempotency_records", ignore_result=True)
def purge_idempotency_records() -> None:
    """Delete Idempotency-Key records past their retention (scheduled every 6 hours)."""
    deleted = idempotency_purge()
    logger.info("idempotency records purged", extra={"deleted": deleted})
