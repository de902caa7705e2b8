"""Sync tasks: thin interfaces that take ids and call the sync service. Retries belong to the run (the connector's
RetryPolicy), not to Celery: a failed run is a SyncRun row, and the next scheduled run resumes from the cursor."""

from __future__ import annotations

import logging

from celery import chain, shared_task
from django.core.cache import cache

from integrations.models import ExternalSystem
from integrations.services.sync import sync_entity_run, syncs_due

logger = logging.getLogger(__name__)


@shared_task(name="integrations.sync_entity", ignore_result=True)
def sync_entity(system_id: int, entity: str, triggered_by: str = "beat") -> None:
    """Run one inbound sync of `entity` from the system (skipped when the system is gone or disabled)."""
    system = ExternalSystem.objects.filter(pk=system_id, enabled=True).select_related("facility").first()
    if system is None:
        return
    if entity == "payment":  # payment state has its own pull (integrations/services/payments.py)
        from integrations.services.payments import payments_pull

        run = payments_pull(actor=f"sync {system.code}", system=system, triggered_by=triggered_by)
    else:
        run = sync_entity_run(actor=f"sync {system.code}", system=system, entity=entity, triggered_by=triggered_by)
    logger.info(
        "sync run finished",
        extra={"system": system.code, "entity": entity, "run": run.pk, "status": run.status, "fetched": run.fetched},
    )


@shared_task(name="integrations.schedule_syncs", ignore_result=True)
def schedule_syncs() -> None:
    """Enqueue the due syncs of every enabled system, one chain per system in entity order (supplier, purchase
    order, receipt, then payment for an ERP), so that a PO's supplier is there before the PO. A chain is not
    enqueued again while the previous one may still wait in the queue (a cache key lasting the system's interval)."""
    for system, entities in syncs_due():
        if not cache.add(
            f"integrations:sync-chain:{system.pk}", 1, timeout=max(30, system.sync_interval_minutes * 60 - 5)
        ):
            continue
        chain(*(sync_entity.si(system.pk, entity, "beat") for entity in entities)).apply_async()
        logger.info("syncs enqueued", extra={"system": system.code, "entities": list(entities)})
