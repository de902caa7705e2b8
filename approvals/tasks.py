"""Approval tasks: thin interfaces that call services."""

from __future__ import annotations

import logging

from celery import shared_task

from approvals.services import approvals_escalate_overdue

logger = logging.getLogger(__name__)


@shared_task(name="approvals.escalate_overdue", ignore_result=True)
def escalate_overdue() -> None:
    """Remind and escalate overdue approval steps (scheduled by beat every 15 minutes)."""
    run = approvals_escalate_overdue()
    logger.info("approval escalation ran", extra={"reminded": run.reminded, "escalated": run.escalated})
