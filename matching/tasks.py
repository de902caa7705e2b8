"""Matching tasks: thin interfaces that take ids and call services."""

from __future__ import annotations

import logging

from celery import shared_task

from matching.services.rematch import BATCH, invoices_rematch, invoices_waiting_on_vendors

logger = logging.getLogger(__name__)


@shared_task(name="matching.rematch_invoices", ignore_result=True)
def rematch_invoices(invoice_ids: list[int]) -> None:
    """Match these invoices again (enqueued on commit when a receipt arrives)."""
    run = invoices_rematch(actor="task: matching.rematch_invoices", invoice_ids=invoice_ids)
    logger.info("invoices re-matched", extra={"invoices": run.invoices, "cleared": run.cleared})


@shared_task(name="matching.rematch_vendor_holds", ignore_result=True)
def rematch_vendor_holds() -> None:
    """Re-judge invoices held by supplier-master exceptions (a vendor activated, a cooling-off ended)."""
    ids = list(invoices_waiting_on_vendors().values_list("pk", flat=True)[: BATCH * 10])
    run = invoices_rematch(actor="task: matching.rematch_vendor_holds", invoice_ids=ids)
    logger.info("vendor holds re-matched", extra={"invoices": run.invoices, "cleared": run.cleared})


@shared_task(name="matching.workbench_sweep", ignore_result=True)
def workbench_sweep() -> None:
    """Expire leases, release holds at their review date, escalate SLA breaches."""
    from matching.services.workbench.sweep import work_items_sweep

    run = work_items_sweep()
    logger.info(
        "workbench swept",
        extra={"leases_expired": run.leases_expired, "holds_released": run.holds_released, "escalated": run.escalated},
    )
