"""Vendor tasks: thin interfaces that call services."""

from __future__ import annotations

import logging

from celery import shared_task

from vendors.screening.services import vendors_rescreen

logger = logging.getLogger(__name__)

TASK_ACTOR = "task:vendors.rescreen_monthly"


# The whole master takes minutes, beyond the default five-minute limit; an hour stays below the broker's
# visibility timeout, so a slow run is not redelivered while it works.
@shared_task(name="vendors.rescreen_monthly", ignore_result=True, time_limit=3600, soft_time_limit=3300)
def rescreen_monthly() -> None:
    """Re-screen every vendor against the current exclusion lists (scheduled by beat monthly)."""
    summary = vendors_rescreen(actor=TASK_ACTOR, trigger="monthly")
    logger.info(
        "monthly exclusion re-screen ran",
        extra={
            "vendors": summary.vendors_screened,
            "with_hits": summary.vendors_with_hits,
            "raised": summary.hits_raised,
            "list_versions": summary.list_versions,
        },
    )
