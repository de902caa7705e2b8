"""Celery tasks of the operations reports (thin: they call the service)."""

from __future__ import annotations

from celery import shared_task

from insights.operations.services import operations_summary_refresh

ACTOR = "task insights.operations_summary_refresh"


@shared_task(name="insights.operations_summary_refresh", ignore_result=True)
def refresh_summaries() -> None:
    """Rebuild the operations dashboard's weekly summaries (beat: every 15 minutes)."""
    operations_summary_refresh(actor=ACTOR)
