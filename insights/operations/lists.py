"""The lists behind the dashboard's figures: for each figure, exactly the records it counts (the definitions'
querysets), with the columns a reader checks them by. Each row count equals its figure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import timezone

from approvals.models import ApprovalRequest
from insights.filters import ReportFilters
from insights.operations.definitions import (
    DUPLICATE_OUTCOMES,
    STAGES,
    Span,
    duplicates_decided,
    escalations,
    exceptions_open,
    exceptions_opened,
    exceptions_resolved,
    length_hours,
    po_invoices_judged,
    stage_invoices,
    touchless_condition,
    variances_accepted,
    variances_recovered,
)
from insights.operations.models import CycleStage
from insights.operations.selectors import WAITING_STATES, overdue_approval_ids
from matching.models import ACTIVE_STATES, ExceptionCode, Invoice, WorkItem, WorkItemState
from matching.workbench_selectors import AGING_BUCKETS, aging_bucket_conditions

Cell = tuple[str, str]  # (text, link or "")


@dataclass(frozen=True)
class FigureList:
    """A drill-down: its title, what it lists, its columns and its rows (a queryset, paged by the view)."""

    title: str
    explains: str
    header: tuple[str, ...]
    records: QuerySet[Any]
    row: Callable[[Any], tuple[Cell, ...]]
    as_of: bool = False  # counted now, not over the date range


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _money(amount: Decimal | None) -> str:
    return f"{amount:,.2f}" if amount is not None else ""


def _item_link(invoice: Invoice) -> str:
    if hasattr(invoice, "work_item_id"):  # annotated by _invoices
        item_id = invoice.work_item_id
        return reverse("matching:item", args=[item_id]) if item_id else ""
    return _work_item_of(invoice)


def _invoice_cells(invoice: Invoice) -> tuple[Cell, ...]:
    return (
        (invoice.invoice_number, _item_link(invoice)),
        (invoice.facility.code, ""),
        (str(invoice.vendor or invoice.vendor_reference.get("number", "")), ""),
        (invoice.po_number, ""),
        (_money(invoice.total_amount), ""),
        (invoice.status, ""),
    )


INVOICE_HEADER = ("Invoice", "Facility", "Vendor", "PO", "Total", "Status")


def _invoices(records: QuerySet[Invoice]) -> QuerySet[Invoice]:
    return records.select_related("facility", "vendor").annotate(work_item_id=F("work_item__id"))


def _choice(params: QueryDict, name: str, allowed: Iterable[str]) -> str:
    value = params.get(name, "")
    if value not in allowed:
        raise Http404(f"No such {name}.")
    return value


def _judged(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    touchless = _choice(params, "touchless", ("", "yes", "no"))
    records = po_invoices_judged(filters.facility_ids, span).annotate(
        is_touchless=ExpressionWrapper(touchless_condition(), output_field=BooleanField())
    )
    title = "PO-backed invoices judged"
    if touchless == "yes":
        records, title = records.filter(touchless_condition()), "Touchless invoices"
    elif touchless == "no":
        records, title = records.exclude(touchless_condition()), "PO-backed invoices a person touched"
    return FigureList(
        title,
        "PO-backed invoices (not credit memos, not cancelled) received in these weeks that matching has judged;"
        " touchless ones never had an exception and reached approved.",
        ("Received", *INVOICE_HEADER, "Touchless"),
        _invoices(records).order_by("received_at", "id"),
        lambda invoice: (
            (_when(invoice.received_at), ""),
            *_invoice_cells(invoice),
            ("yes" if invoice.is_touchless else "no", ""),
        ),
    )


def _exceptions(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    event = _choice(params, "event", ("opened", "resolved", "open"))
    code = _choice(params, "code", ("", *ExceptionCode.values))
    if event == "open":
        records = exceptions_open(filters.facility_ids)
    else:
        records = (exceptions_opened if event == "opened" else exceptions_resolved)(filters.facility_ids, span)
    if code:
        records = records.filter(code=code)
    field = "resolved_at" if event == "resolved" else "raised_at"
    when = "now" if event == "open" else "in these weeks"
    return FigureList(
        f"Exceptions {event}" + (f": {code}" if code else ""),
        f"Exceptions {event} {when}" + (f" with code {code}." if code else ", every code."),
        ("Raised", "Resolved", "Code", "Line", "Invoice", "Facility", "State", "Resolution"),
        records.select_related("invoice__facility", "invoice__work_item").order_by(field, "id"),
        lambda exception: (
            (_when(exception.raised_at), ""),
            (_when(exception.resolved_at), ""),
            (exception.code, ""),
            (str(exception.line_number or ""), ""),
            (exception.invoice.invoice_number, _work_item_of(exception.invoice)),
            (exception.invoice.facility.code, ""),
            (exception.state, ""),
            (exception.resolution_kind, ""),
        ),
        as_of=event == "open",
    )


def _work_item_of(invoice: Invoice) -> str:
    try:
        return reverse("matching:item", args=[invoice.work_item.pk])
    except WorkItem.DoesNotExist:
        return ""


def _cycle(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    stage = _choice(params, "stage", CycleStage.values)
    begin, finish = STAGES[stage]
    records = _invoices(stage_invoices(stage, filters.facility_ids, span)).order_by(F("stage_length").asc(), "id")

    def row(invoice: Invoice) -> tuple[Cell, ...]:
        length: timedelta = invoice.stage_length  # type: ignore[attr-defined]
        return (
            *_invoice_cells(invoice),
            (_when(getattr(invoice, begin)), ""),
            (_when(getattr(invoice, finish)), ""),
            (str(length_hours(length)), ""),
        )

    return FigureList(
        f"Cycle time {CycleStage(stage).label}",
        "Invoices (not credit memos, not cancelled) that reached the stage's end in these weeks, shortest first;"
        " the median and p90 are the middle and the 90th-percentile rows of this list.",
        (*INVOICE_HEADER, "From", "To", "Hours (counted)"),
        records,
        row,
    )


def _duplicates(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    outcome = _choice(params, "outcome", DUPLICATE_OUTCOMES)
    return FigureList(
        f"Duplicates {outcome}",
        "Suspected duplicates a person "
        + (
            "confirmed in these weeks (rejected, never paid)."
            if outcome == "confirmed"
            else "dismissed in these weeks."
        ),
        ("Decided", *INVOICE_HEADER),
        duplicates_decided(filters.facility_ids, span, outcome)
        .select_related("invoice__facility", "invoice__vendor", "invoice__work_item")
        .order_by("resolved_at", "id"),
        lambda exception: ((_when(exception.resolved_at), ""), *_invoice_cells(exception.invoice)),
    )


def _accepted(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    return FigureList(
        "Variances accepted",
        "Variances accepted within someone's authority, or approved by a manager above it, in these weeks.",
        ("When", "Decision", "Invoice", "Facility", "By", "Amount"),
        variances_accepted(filters.facility_ids, span)
        .select_related("invoice", "facility", "actor")
        .order_by("occurred_at", "id"),
        lambda action: (
            (_when(action.occurred_at), ""),
            (action.get_kind_display(), ""),
            (action.invoice.invoice_number, reverse("matching:item", args=[action.item_id])),
            (action.facility.code, ""),
            (str(action.actor), ""),
            (_money(action.amount), ""),
        ),
    )


def _recovered(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    return FigureList(
        "Variances recovered through credit memos",
        "Invoices whose variances a vendor's credit memo made up in these weeks, with the variance it was asked for.",
        ("Recovered on", *INVOICE_HEADER, "Recovered"),
        _invoices(variances_recovered(filters.facility_ids, span)).order_by(F("recovered_at").asc(), "id"),
        lambda invoice: (
            (_when(invoice.recovered_at), ""),
            *_invoice_cells(invoice),
            (_money(invoice.recovered_amount), ""),
        ),
    )


def _escalated(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    return FigureList(
        "SLA breaches escalated",
        "Work items the sweep escalated to AP managers in these weeks because they passed their due time.",
        ("When", "Invoice", "Facility", "Note"),
        escalations(filters.facility_ids, span).select_related("invoice", "facility").order_by("occurred_at", "id"),
        lambda action: (
            (_when(action.occurred_at), ""),
            (action.invoice.invoice_number, reverse("matching:item", args=[action.item_id])),
            (action.facility.code, ""),
            (action.note, ""),
        ),
    )


def work_items_behind(filters: ReportFilters, params: QueryDict, now: datetime) -> QuerySet[WorkItem]:
    """Active work items at the reader's facilities, by queue, state view, aging bucket or breach."""
    items = WorkItem.objects.filter(facility_id__in=filters.facility_ids, state__in=ACTIVE_STATES)
    queue = params.get("queue", "")
    if queue == "none":
        items = items.filter(queue__isnull=True)
    elif queue:
        if not queue.isdigit():
            raise Http404("No such queue.")
        items = items.filter(queue_id=int(queue))
    view = _choice(params, "view", ("", "open", "waiting", "on_hold"))
    states = {"open": (WorkItemState.OPEN,), "waiting": WAITING_STATES, "on_hold": (WorkItemState.ON_HOLD,)}
    if view:
        items = items.filter(state__in=states[view])
    bucket = _choice(params, "bucket", ("", *[name for name, _, _ in AGING_BUCKETS]))
    if bucket:
        items = items.filter(Q(state=WorkItemState.OPEN) & aging_bucket_conditions(now)[bucket])
    if params.get("breached") == "1":
        items = items.filter(due_at__lt=now)
    return items


def _work_items(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    now = timezone.now()
    items = work_items_behind(filters, params, now)
    return FigureList(
        "Work items",
        "Active work items at these facilities now (open, waiting or on hold), oldest first; ages in whole days"
        " since the invoice first needed a person, as the workbench counts them.",
        ("Opened", "Age (days)", "Due", "Queue", "State", "Invoice", "Facility"),
        items.select_related("invoice", "facility", "queue").order_by("opened_at", "id"),
        lambda item: (
            (_when(item.opened_at), ""),
            (str((now - item.opened_at).days), ""),
            (_when(item.due_at), ""),
            (item.queue.name if item.queue else "Unrouted", ""),
            (item.get_state_display(), ""),
            (item.invoice.invoice_number, reverse("matching:item", args=[item.pk])),
            (item.facility.code, ""),
        ),
        as_of=True,
    )


def _approvals(filters: ReportFilters, span: Span, params: QueryDict) -> FigureList:
    overdue = overdue_approval_ids(facility_ids=filters.facility_ids)
    document_type = params.get("document_type", "")
    ids = [pk for pk, kind in overdue.items() if not document_type or kind == document_type]
    return FigureList(
        "Approvals overdue",
        "Pending approval requests whose current step is past its due time (its SLA in business days).",
        ("Submitted", "Document", "Summary", "Facility", "Amount", "Step"),
        ApprovalRequest.objects.filter(pk__in=ids).select_related("facility").order_by("submitted_at", "id"),
        lambda request: (
            (_when(request.submitted_at), ""),
            (request.document_type, ""),
            (request.summary, ""),
            (request.facility.code, ""),
            (_money(request.amount), ""),
            (str(request.current_step or ""), ""),
        ),
        as_of=True,
    )


FIGURES: dict[str, Callable[[ReportFilters, Span, QueryDict], FigureList]] = {
    "judged": _judged,
    "exceptions": _exceptions,
    "cycle": _cycle,
    "duplicates": _duplicates,
    "accepted": _accepted,
    "recovered": _recovered,
    "escalated": _escalated,
    "work-items": _work_items,
    "approvals-overdue": _approvals,
}


def figure_list(*, filters: ReportFilters, figure: str, params: QueryDict) -> FigureList:
    """The records behind one figure for these filters (404 for an unknown figure or parameter)."""
    build = FIGURES.get(figure)
    if build is None:
        raise Http404("No such figure.")
    return build(filters, Span.covering(filters.date_from, filters.date_to), params)


def cells_text(cells: tuple[Cell, ...]) -> list[str]:
    return [text for text, _ in cells]
