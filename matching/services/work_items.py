"""Work items follow matching: an invoice left in exception gets one, routed to a queue by its open codes; one that
matching moves on closes it; a credit memo for an invoice waiting on one settles what it covers. Called by the batch
matcher inside its transaction, in a few queries for the whole batch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Sum
from simple_history.utils import bulk_update_with_history

from matching.models import (
    ACTIVE_STATES,
    ExceptionCode,
    ExceptionState,
    Invoice,
    InvoiceException,
    QueuePriority,
    ResolutionKind,
    WorkAction,
    WorkActionKind,
    WorkItem,
    WorkItemState,
    WorkQueue,
)
from matching.services.bulk_writes import instances_insert
from matching.services.invoice_events import invoices_approved_record
from matching.services.key_sets import any_of
from p2p_portal.audit.context import acting_as
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from p2p_portal.services import system_user
from p2p_portal.tasking import enqueue_on_commit

# The variances a clerk accepts (or a credit memo makes up for); the other codes are resolved otherwise.
VARIANCE_CODES = (
    ExceptionCode.PRICE_VARIANCE,
    ExceptionCode.QTY_OVER_ORDERED,
    ExceptionCode.QTY_OVER_RECEIVED,
    ExceptionCode.TOTAL_MISMATCH,
)


@dataclass(frozen=True)
class QueueDefault:
    """One of the queues every facility gets unless the network configures its own."""

    key: str
    name: str
    codes: tuple[str, ...]
    priority: str
    position: int


# Routing order: what must stop a payment first (duplicates, vendor problems), then PO problems, variances and
# the wait for receipts. Every exception code has a home.
DEFAULT_QUEUES = (
    QueueDefault("duplicates", "Duplicates", (ExceptionCode.DUPLICATE_SUSPECT,), QueuePriority.URGENT, 10),
    QueueDefault(
        "vendor",
        "Vendor issues",
        (
            ExceptionCode.VENDOR_UNKNOWN,
            ExceptionCode.VENDOR_NOT_ACTIVE,
            ExceptionCode.VENDOR_EXCLUDED,
            ExceptionCode.BANK_UNVERIFIED,
        ),
        QueuePriority.HIGH,
        20,
    ),
    QueueDefault(
        "po",
        "Missing or closed PO",
        (
            ExceptionCode.PO_MISSING,
            ExceptionCode.PO_NOT_FOUND,
            ExceptionCode.PO_CLOSED,
            ExceptionCode.VENDOR_MISMATCH,
            ExceptionCode.CURRENCY_MISMATCH,
            ExceptionCode.LINE_NOT_ON_PO,
        ),
        QueuePriority.NORMAL,
        30,
    ),
    QueueDefault(
        "variances",
        "Price & quantity variances",
        (*VARIANCE_CODES, ExceptionCode.UOM_MISMATCH),
        QueuePriority.NORMAL,
        40,
    ),
    QueueDefault("receipt", "Waiting for receipt", (ExceptionCode.NO_RECEIPT,), QueuePriority.LOW, 50),
)


def sla_due(opened_at: datetime, queue: WorkQueue | None) -> datetime:
    """When an item opened at `opened_at` in `queue` is due (the normal priority's SLA when it has no queue)."""
    priority = queue.priority if queue is not None else QueuePriority.NORMAL
    return opened_at + timedelta(hours=settings.WORKBENCH_SLA_HOURS[priority])


@transaction.atomic
def work_queue_defaults_ensure(*, facility: Facility) -> list[WorkQueue]:
    """Give a facility the default queues when no active queue serves it yet (a network's own queues are left
    alone); returns the queues created."""
    # Two first batches at one facility at once: the facility's row lock makes the second wait and then see the
    # first one's queues, instead of both creating them (the second would fail on the unique queue code).
    Facility.objects.select_for_update().filter(pk=facility.pk).first()
    serving = WorkQueue.objects.filter(active=True)
    if serving.filter(facilities=facility).exists() or serving.filter(facilities__isnull=True).exists():
        return []
    group = Group.objects.get(name=Role.AP_CLERK)
    created = []
    with acting_as("system: workbench defaults", reason=f"default queues for {facility.code}"):
        for default in DEFAULT_QUEUES:
            queue = WorkQueue(
                code=f"{facility.code.lower()}-{default.key}"[:40],
                name=f"{facility.code} · {default.name}",
                exception_codes=list(default.codes),
                priority=default.priority,
                group=group,
                position=default.position,
            )
            queue.full_clean()
            queue.save()
            queue.facilities.add(facility)
            created.append(queue)
    return created


class QueueRouter:
    """The active queues, loaded once, and which one takes an invoice with these open codes at this facility."""

    def __init__(self) -> None:
        self.queues = list(WorkQueue.objects.filter(active=True).prefetch_related("facilities"))
        self.facilities = {queue.pk: {facility.pk for facility in queue.facilities.all()} for queue in self.queues}

    def _serves(self, queue: WorkQueue, facility_id: int) -> bool:
        return not self.facilities[queue.pk] or facility_id in self.facilities[queue.pk]

    def route(self, facility_id: int, codes: Iterable[str]) -> WorkQueue | None:
        """The first queue by position at the facility that takes one of the codes (defaults made when none serve
        the facility at all)."""
        wanted = set(codes)
        served = any(self._serves(queue, facility_id) for queue in self.queues)
        if not served and work_queue_defaults_ensure(facility=Facility.objects.get(pk=facility_id)):
            self.__init__()  # type: ignore[misc]
        for queue in self.queues:
            if self._serves(queue, facility_id) and wanted.intersection(queue.exception_codes):
                return queue
        return None


def work_items_sync(*, invoices: list[Invoice], now: datetime, columns: dict[str, Any]) -> None:
    """Open, re-route or close the work items of freshly matched invoices (a few queries for the whole batch)."""
    if not invoices:
        return
    keys = [invoice.pk for invoice in invoices]
    items = {item.invoice_id: item for item in WorkItem.objects.select_for_update().filter(any_of("invoice_id", keys))}
    in_exception = [invoice for invoice in invoices if invoice.status == "exception"]
    codes: dict[int, set[str]] = {}
    if in_exception:
        for invoice_id, code in InvoiceException.objects.filter(
            any_of("invoice_id", [invoice.pk for invoice in in_exception]), state=ExceptionState.OPEN
        ).values_list("invoice_id", "code"):
            codes.setdefault(invoice_id, set()).add(code)
    router: QueueRouter | None = None  # loaded at the first invoice that needs a queue
    created: list[WorkItem] = []
    created_reasons: list[str] = []
    changed: list[WorkItem] = []
    for invoice in invoices:
        item = items.get(invoice.pk)
        if invoice.status == "exception":
            router = router or QueueRouter()
            queue = router.route(invoice.facility_id, codes.get(invoice.pk, ()))
            if item is None:
                created.append(
                    WorkItem(
                        invoice=invoice,
                        facility_id=invoice.facility_id,
                        queue=queue,
                        opened_at=now,
                        due_at=sla_due(now, queue),
                    )
                )
                created_reasons.append(f"{invoice.invoice_number} needs a person")
            elif item.state == WorkItemState.CLOSED:
                item.state, item.queue, item.opened_at, item.due_at = (
                    WorkItemState.OPEN,
                    queue,
                    now,
                    sla_due(now, queue),
                )
                item.closed_at = item.claimed_by = item.claimed_at = item.lease_expires_at = None
                item.escalated_at = None
                item._change_reason = "reopened by a re-match"  # type: ignore[attr-defined]
                changed.append(item)
            elif item.queue_id != (queue.pk if queue else None):
                item.queue, item.due_at = queue, sla_due(item.opened_at, queue)
                item._change_reason = f"routed to {queue or 'no queue'}"  # type: ignore[attr-defined]
                changed.append(item)
        elif item is not None and item.state in ACTIVE_STATES:
            item.state, item.closed_at = WorkItemState.CLOSED, now
            item.claimed_by = item.claimed_at = item.lease_expires_at = None
            item._change_reason = f"closed: invoice {invoice.status}"  # type: ignore[attr-defined]
            changed.append(item)
    instances_insert(WorkItem, created, created_reasons, columns)
    if changed:
        bulk_update_with_history(
            changed,
            WorkItem,
            [
                "state", "queue", "opened_at", "due_at", "closed_at", "claimed_by", "claimed_at",
                "lease_expires_at", "escalated_at",
            ],
            custom_historical_attrs=columns,
        )  # fmt: skip
    _credit_memos_settle([invoice for invoice in invoices if invoice.document_type == "credit_memo"], now)
    invoices_approved_record(invoices=invoices, columns=columns)


def _credit_memos_settle(credit_memos: list[Invoice], now: datetime) -> None:
    """A credit memo for an invoice that waits on one: when the credits since the request cover the variance, its
    variance exceptions are resolved as recovered and the invoice is matched again; otherwise it goes back to its
    queue with what is still missing."""
    originals = {memo.original_invoice_id for memo in credit_memos if memo.original_invoice_id}
    if not originals:
        return
    waiting = list(
        WorkItem.objects.select_for_update()
        .select_related("invoice")
        # Waiting for it, or put on hold (or back in the queue after a partial credit) meanwhile: a credit counts.
        .filter(
            invoice_id__in=originals,
            credit_expected__isnull=False,
            state__in=(WorkItemState.WAITING_CREDIT_MEMO, WorkItemState.ON_HOLD, WorkItemState.OPEN),
        )
    )
    if not waiting:
        return
    from matching.tasks import rematch_invoices  # tasks import the services: imported late, at the one use

    system = system_user()
    for item in waiting:
        credited = Invoice.objects.filter(
            original_invoice_id=item.invoice_id,
            document_type="credit_memo",
            received_at__gte=item.waiting_since or item.opened_at,
        ).exclude(status__in=("rejected", "cancelled")).aggregate(total=Sum("total_amount"))["total"] or Decimal(0)
        expected = item.credit_expected or Decimal(0)
        numbers = ", ".join(memo.invoice_number for memo in credit_memos if memo.original_invoice_id == item.invoice_id)
        with acting_as(system, reason=f"credit memo {numbers} received"):
            if credited >= expected:
                for exception in item.invoice.exceptions.filter(state=ExceptionState.OPEN, code__in=VARIANCE_CODES):
                    exception.state, exception.resolved_at = ExceptionState.RESOLVED, now
                    exception.resolution_kind = ResolutionKind.RECOVERED
                    exception.resolution = f"Recovered by credit memo {numbers} ({credited} of {expected})."
                    exception.save()
                enqueue_on_commit(rematch_invoices, [item.invoice_id])
            if item.state == WorkItemState.WAITING_CREDIT_MEMO:
                item.state = WorkItemState.OPEN
            if credited >= expected:
                item.credit_expected = None
            item.save()
            WorkAction(
                item=item,
                invoice_id=item.invoice_id,
                facility_id=item.facility_id,
                kind=WorkActionKind.CREDIT_RECOVERED,
                note=(
                    f"Credit memo {numbers}: {credited} credited of {expected} expected"
                    + ("." if credited >= expected else f"; {expected - credited} still missing.")
                ),
                actor=system,
                occurred_at=now,
                amount=credited,
            ).save()
