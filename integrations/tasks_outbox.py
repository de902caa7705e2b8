"""Outbox tasks: thin interfaces over integrations/services/outbox.py (registered through CELERY_IMPORTS)."""

from __future__ import annotations

import logging
import math

from celery import shared_task

from integrations.models import ExternalSystem
from integrations.services.outbox import DISPATCH_BATCH, outbox_deliver_due, outbox_fanout, systems_with_due_deliveries

logger = logging.getLogger(__name__)


@shared_task(name="integrations.outbox_fanout", ignore_result=True)
def outbox_fanout_task() -> None:
    """New events become deliveries; each system with due deliveries gets up to `max_concurrency` dispatchers
    (sent by beat every 15 s, which also picks up deliveries whose backoff has run out)."""
    fanout = outbox_fanout(actor="task: integrations.outbox_fanout")
    for system, due in systems_with_due_deliveries():
        for _ in range(min(max(1, system.max_concurrency), math.ceil(due / DISPATCH_BATCH))):
            outbox_dispatch.delay(system.pk)
    logger.info("outbox fanned out", extra={"events": fanout.events, "deliveries": fanout.deliveries})


@shared_task(name="integrations.outbox_dispatch", ignore_result=True)
def outbox_dispatch(system_id: int) -> None:
    """Deliver one batch of the system's due deliveries; send itself again while a full batch went out."""
    system = ExternalSystem.objects.filter(pk=system_id, enabled=True).first()
    if system is None:
        return
    run = outbox_deliver_due(system=system, actor="task: integrations.outbox_dispatch")
    logger.info(
        "outbox dispatched",
        extra={"system": system.code, "delivered": run.delivered, "retried": run.retried, "dead": run.dead},
    )
    if run.more and not run.busy:
        outbox_dispatch.delay(system_id)


@shared_task(name="integrations.payments_pull", ignore_result=True)
def payments_pull_task(system_id: int | None = None) -> None:
    """Pull payment state from one ERP system, or from every enabled one (beat)."""
    from integrations.models import SystemKind
    from integrations.services.payments import payments_pull

    systems = ExternalSystem.objects.filter(kind=SystemKind.ERP, enabled=True)
    if system_id is not None:
        systems = systems.filter(pk=system_id)
    for system in systems:
        run = payments_pull(actor="task: integrations.payments_pull", system=system)
        logger.info("payments pulled", extra={"system": system.code, "status": run.status, "updated": run.updated})
