"""Scoped reads of the AP workbench, shared by the browser and the API: queue health, a queue's items, one item
with everything a clerk needs to decide, and its timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from approvals.models import ApprovalDecision, ApprovalRequest
from matching.models import (
    ACTIVE_STATES,
    ExceptionState,
    Invoice,
    InvoiceException,
    InvoiceLine,
    LineMatch,
    PurchaseOrderLine,
    Receipt,
    WorkAction,
    WorkItem,
    WorkItemState,
    WorkQueue,
)
from matching.services.work_items import VARIANCE_CODES
from matching.services.workbench.authority import variance_amounts
from matching.services.workbench.claims import workable_condition
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for
from vendors.selectors import cooling_off_until, vendor_flags

# Who sees the workbench: those who work it, and auditors (read-only).
WORKBENCH_READER_ROLES = (Role.AP_CLERK, Role.AP_MANAGER, Role.AUDITOR)
# Aging buckets of the queue page, in whole days since an item first needed a person.
AGING_BUCKETS = (("0-2", 0, 2), ("3-5", 3, 5), ("6-10", 6, 10), (">10", 11, None))


def work_item_readable(principal: Any) -> QuerySet[WorkItem]:
    """Work items at the facilities where the principal is a clerk, manager or auditor."""
    if not getattr(principal, "is_authenticated", False):
        return WorkItem.objects.none()
    if getattr(principal, "is_superuser", False):
        return WorkItem.objects.all()
    return WorkItem.objects.filter(facility__in=facilities_for(principal, WORKBENCH_READER_ROLES).values("pk"))


@dataclass
class QueueHealth:
    """A queue as its page and the overview show it: counts, oldest age, SLA breaches, aging buckets."""

    queue: WorkQueue | None
    open: int = 0
    claimed: int = 0
    waiting: int = 0
    on_hold: int = 0
    breaches: int = 0
    oldest_opened_at: datetime | None = None
    buckets: dict[str, int] = field(default_factory=dict)

    @property
    def oldest_age_days(self) -> int | None:
        """Whole days since the oldest open item needed a person."""
        return (timezone.now() - self.oldest_opened_at).days if self.oldest_opened_at else None


def aging_bucket_conditions(now: datetime) -> dict[str, Q]:
    """Each aging bucket as a condition on work items (the workbench and the operations dashboard count alike)."""
    conditions = {}
    for name, low, high in AGING_BUCKETS:
        condition = Q(opened_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(opened_at__gt=now - timedelta(days=high + 1))
        conditions[name] = condition
    return conditions


def work_queue_health(*, user: Any, queue: WorkQueue | None = None) -> list[QueueHealth]:
    """Health of every queue with items the user may see (or of one queue), in one aggregate query."""
    now = timezone.now()
    items = work_item_readable(user).filter(state__in=ACTIVE_STATES)
    if queue is not None:
        items = items.filter(queue=queue)
    open_items = Q(state=WorkItemState.OPEN)
    aggregates: dict[str, Any] = {
        "open": Count("pk", filter=open_items),
        "claimed": Count("pk", filter=open_items & Q(claimed_by__isnull=False, lease_expires_at__gt=now)),
        "waiting": Count(
            "pk",
            filter=Q(
                state__in=(
                    WorkItemState.WAITING_CREDIT_MEMO,
                    WorkItemState.WAITING_RECEIPT,
                    WorkItemState.AWAITING_APPROVAL,
                )
            ),
        ),
        "on_hold": Count("pk", filter=Q(state=WorkItemState.ON_HOLD)),
        "breaches": Count("pk", filter=Q(due_at__lt=now)),
        "oldest": Min("opened_at", filter=open_items),
    }
    for name, condition in aging_bucket_conditions(now).items():
        aggregates[f"bucket_{name}"] = Count("pk", filter=open_items & condition)
    rows: dict[int | None, dict[str, Any]] = {
        row["queue"]: dict(row) for row in items.values("queue").annotate(**aggregates).order_by()
    }
    if queue is not None:
        queues = [queue]
    else:
        queues = list(work_queue_list(user=user).filter(Q(pk__in=[pk for pk in rows if pk]) | Q(active=True)))
    health = [_health(each, rows.get(each.pk, {})) for each in queues]
    if queue is None and None in rows:  # items whose codes no queue takes: shown, so that none is forgotten
        health.append(_health(None, rows[None]))
    return health


def _health(queue: WorkQueue | None, row: dict[str, Any]) -> QueueHealth:
    return QueueHealth(
        queue=queue,
        open=row.get("open", 0),
        claimed=row.get("claimed", 0),
        waiting=row.get("waiting", 0),
        on_hold=row.get("on_hold", 0),
        breaches=row.get("breaches", 0),
        oldest_opened_at=row.get("oldest"),
        buckets={name: row.get(f"bucket_{name}", 0) for name, _, _ in AGING_BUCKETS},
    )


def work_queue_list(*, user: Any) -> QuerySet[WorkQueue]:
    """Queues the user sees: those serving a facility where they read the workbench (all for superusers)."""
    queues = WorkQueue.objects.select_related("group").order_by("position", "name")
    if getattr(user, "is_superuser", False):
        return queues
    if not getattr(user, "is_authenticated", False):
        return queues.none()
    facilities = facilities_for(user, WORKBENCH_READER_ROLES).values("pk")
    return queues.filter(Q(facilities__isnull=True) | Q(facilities__in=facilities)).distinct()


def work_queue_get(*, user: Any, pk: int) -> WorkQueue:
    """One queue the user sees (404 otherwise)."""
    queue = work_queue_list(user=user).filter(pk=pk).first()
    if queue is None:
        raise Http404("No such queue.")
    return queue


# Item filters of the queue page (and the API): which states a "view" shows.
VIEW_STATES: dict[str, tuple[str, ...]] = {
    "open": (WorkItemState.OPEN,),
    "waiting": (WorkItemState.WAITING_CREDIT_MEMO, WorkItemState.WAITING_RECEIPT, WorkItemState.AWAITING_APPROVAL),
    "on_hold": (WorkItemState.ON_HOLD,),
    "all": tuple(ACTIVE_STATES),
}


def work_item_list(
    *, user: Any, queue: WorkQueue | None = None, view: str = "open", mine: bool = False
) -> QuerySet[WorkItem]:
    """Items the user sees, oldest first, with what a list row shows loaded in a constant number of queries."""
    items = work_item_readable(user).filter(state__in=VIEW_STATES.get(view, VIEW_STATES["open"]))
    if queue is not None:
        items = items.filter(queue=queue)
    if mine:
        items = items.filter(claimed_by=user, lease_expires_at__gt=timezone.now())
    return (
        items.select_related("invoice__vendor", "facility", "queue", "claimed_by")
        .prefetch_related(
            Prefetch(
                "invoice__exceptions",
                queryset=InvoiceException.objects.filter(state=ExceptionState.OPEN).order_by("line_number", "code"),
                to_attr="open_exceptions",
            )
        )
        .order_by("opened_at", "id")
    )


def work_item_get(*, user: Any, pk: int) -> WorkItem:
    """One item the user sees, with its invoice, queue and holder (404 otherwise)."""
    # A lean join: planning a twelve-table join cost more than running it, and the raw document (loaded only by the
    # item page's detail) would travel on every renew and action.
    found = list(
        work_item_readable(user)
        .select_related("invoice__vendor", "invoice__purchase_order", "facility", "queue__group", "claimed_by")
        .filter(pk=pk)
        .order_by()[:1]
    )
    if not found:
        raise Http404("No such work item.")
    item = found[0]
    item.invoice.facility = item.facility  # the same facility: spares a query wherever the invoice's is read
    return item


def work_item_workable(*, user: Any) -> QuerySet[WorkItem]:
    """Items the user may act on (their queues at their facilities)."""
    return WorkItem.objects.filter(workable_condition(user))


@dataclass(frozen=True)
class LineView:
    """An invoice line beside the PO line it matched, with its match figures."""

    line: InvoiceLine
    match: LineMatch | None
    po_line: PurchaseOrderLine | None
    exceptions: list[InvoiceException]


@dataclass(frozen=True)
class TimelineEntry:
    """One dated event in an invoice's life: a change, an action or a decision."""

    when: datetime
    who: str
    what: str
    note: str = ""
    kind: str = "change"


@dataclass
class ItemDetail:
    """Everything the item page shows: the invoice beside its PO and receipts, the variances and the rules that
    judged them, the vendor's state, the duplicate it resembles, the raw document and the timeline."""

    item: WorkItem
    invoice: Invoice
    lines: list[LineView]
    header_exceptions: list[InvoiceException]
    open_exceptions: list[InvoiceException]
    po_lines: list[PurchaseOrderLine]
    receipts: list[Receipt]
    vendor_flags: list[str]
    cooling_off_until: datetime | None
    duplicate: Invoice | None
    raw_document: str
    timeline: list[TimelineEntry]
    variance_total: Decimal = Decimal(0)


RAW_PREVIEW_BYTES = 20000


def work_item_detail(item: WorkItem) -> ItemDetail:
    """Load the item page's contents (a fixed number of queries whatever the invoice's size)."""
    invoice = item.invoice
    lines = list(invoice.lines.select_related("match__po_line", "match__rule").order_by("line_number"))
    exceptions = list(invoice.exceptions.select_related("rule", "duplicate_of").order_by("line_number", "code"))
    open_exceptions = [exception for exception in exceptions if exception.state == ExceptionState.OPEN]
    views = []
    for line in lines:
        match = getattr(line, "match", None)
        views.append(
            LineView(
                line=line,
                match=match,
                po_line=match.po_line if match is not None else None,
                exceptions=[e for e in exceptions if e.line_number == line.line_number],
            )
        )
    order = invoice.purchase_order
    po_lines = list(order.lines.order_by("line_number")) if order is not None else []
    receipts = (
        list(order.receipts.prefetch_related("lines__po_line").order_by("received_on", "id"))
        if order is not None
        else []
    )
    vendor = invoice.vendor
    duplicate = next((e.duplicate_of for e in open_exceptions if e.duplicate_of_id), None) or next(
        (e.duplicate_of for e in exceptions if e.duplicate_of_id), None
    )
    if duplicate is not None:
        duplicate = Invoice.objects.select_related("vendor").prefetch_related("lines").get(pk=duplicate.pk)
    raw = ""
    if invoice.inbound_document is not None:
        raw = bytes(invoice.inbound_document.raw[:RAW_PREVIEW_BYTES]).decode("utf-8", errors="replace")
    variances = [e for e in open_exceptions if e.code in VARIANCE_CODES]
    return ItemDetail(
        item=item,
        invoice=invoice,
        lines=views,
        header_exceptions=[e for e in exceptions if e.line_number is None],
        open_exceptions=open_exceptions,
        po_lines=po_lines,
        receipts=receipts,
        vendor_flags=vendor_flags(vendor) if vendor is not None else [],
        cooling_off_until=cooling_off_until(vendor) if vendor is not None else None,
        duplicate=duplicate,
        raw_document=raw,
        timeline=invoice_timeline(invoice, item),
        variance_total=sum(variance_amounts(invoice, variances).values(), Decimal(0)) if variances else Decimal(0),
    )


def _who(record: Any) -> str:
    user = getattr(record, "history_user", None)
    return str(user) if user is not None else (getattr(record, "history_actor_label", "") or "portal")


def invoice_timeline(invoice: Invoice, item: WorkItem | None = None) -> list[TimelineEntry]:
    """The invoice's history, its exceptions' history, the work item's actions and the approval decisions on it,
    newest first."""
    entries: list[TimelineEntry] = []
    for record in invoice.history.select_related("history_user").order_by("history_date"):
        entries.append(
            TimelineEntry(
                record.history_date, _who(record), f"Invoice {record.status}", record.history_change_reason or ""
            )
        )
    for record in InvoiceException.history.filter(invoice_id=invoice.pk).select_related("history_user"):
        what = f"{record.code}{f' line {record.line_number}' if record.line_number else ''} {record.state}"
        entries.append(TimelineEntry(record.history_date, _who(record), what, record.resolution or record.detail))
    if item is not None:
        for action in WorkAction.objects.filter(item=item).select_related("actor"):
            label = action.get_kind_display()
            amount = f" ({action.amount})" if action.amount is not None else ""
            reason = f"[{action.reason_code}] " if action.reason_code else ""
            entries.append(
                TimelineEntry(
                    action.occurred_at, str(action.actor), f"{label}{amount}", f"{reason}{action.note}", "action"
                )
            )
        requests = ApprovalRequest.objects.filter(
            Q(document_type="invoice_variance", document_id=str(item.pk))
            | Q(document_type="invoice", document_id=str(invoice.pk))
        )
        for decision in ApprovalDecision.objects.filter(request__in=requests).select_related("actor"):
            entries.append(
                TimelineEntry(
                    decision.decided_at,
                    str(decision.actor),
                    f"Approval {decision.decision}",
                    decision.comment,
                    "decision",
                )
            )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries
