"""Celery tasks of the finance reports (thin: they call the service)."""

from __future__ import annotations

import logging

from celery import shared_task

from insights.finance.services import finance_summaries_refresh

ACTOR = "task insights.finance_summaries_refresh"
logger = logging.getLogger(__name__)


@shared_task(name="insights.finance_summaries_refresh", ignore_result=True)
def refresh_summaries() -> None:
    """Rebuild the accrual balances and the monthly spend and leakage (beat: every 15 minutes)."""
    for refresh in finance_summaries_refresh(actor=ACTOR):
        logger.info("finance summary refreshed", extra={"kind": refresh.kind, "rows": refresh.rows})
