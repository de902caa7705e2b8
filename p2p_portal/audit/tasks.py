"""Audit tasks: thin interfaces that call the audit services."""

from __future__ import annotations

import logging

from celery import shared_task

from p2p_portal.audit.services import audit_seal

logger = logging.getLogger(__name__)


@shared_task(name="p2p_portal.audit.seal_history", ignore_result=True)
def seal_history() -> None:
    """Seal the history rows written since the last run into their tables' hash chains (sent by beat every minute)."""
    sealed = audit_seal()
    logger.info("audit history sealed", extra={"sealed": sealed})
