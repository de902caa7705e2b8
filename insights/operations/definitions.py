"""What each figure of the operations dashboard counts, as querysets over the records themselves (the "direct
count"). The summary refresh groups these same querysets by facility and week; the drill-down lists page through
them; so a figure, its summary and its list cannot drift apart. docs/insights-operations.md says it in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from matching.models import (
    DocumentType,
    ExceptionCode,
    ExceptionState,
    Invoice,
    InvoiceException,
    InvoiceStatus,
    ResolutionKind,
    WorkAction,
    WorkActionKind,
)
from matching.services.work_items import VARIANCE_CODES

HistoricalInvoice = Invoice.history.model


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in (weeks run Monday to Sunday, in the portal's time zone)."""
    return day - timedelta(days=day.weekday())


def week_of_moment(moment: datetime) -> date:
    """The Monday of the local week a moment falls in."""
    return week_of(timezone.localtime(moment).date())


@dataclass(frozen=True)
class Span:
    """Whole weeks covering a date range: the dashboard counts by week, so a range is widened to its weeks."""

    first_week: date
    last_week: date

    @classmethod
    def covering(cls, date_from: date, date_to: date) -> Span:
        return cls(week_of(date_from), week_of(date_to))

    @property
    def weeks(self) -> list[date]:
        count = (self.last_week - self.first_week).days // 7 + 1
        return [self.first_week + timedelta(weeks=index) for index in range(count)]

    @property
    def last_day(self) -> date:
        return self.last_week + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 of the first week (local time), inclusive."""
        return timezone.make_aware(datetime.combine(self.first_week, time.min))

    @property
    def end(self) -> datetime:
        """Monday 00:00 after the last week, exclusive."""
        return timezone.make_aware(datetime.combine(self.last_week + timedelta(days=7), time.min))


def _within(field: str, span: Span | None) -> Q:
    if span is None:
        return Q()
    return Q(**{f"{field}__gte": span.start, f"{field}__lt": span.end})


# --- Touchless match rate -------------------------------------------------------------------------------------
def po_invoices_judged(facility_ids: Sequence[int] | None, span: Span | None = None) -> QuerySet[Invoice]:
    """PO-backed invoices (not credit memos, not cancelled) that matching has judged, by the week received."""
    invoices = Invoice.objects.filter(document_type=DocumentType.INVOICE, matched_at__isnull=False)
    invoices = (
        invoices.exclude(po_number="").exclude(status=InvoiceStatus.CANCELLED).filter(_within("received_at", span))
    )
    return invoices if facility_ids is None else invoices.filter(facility_id__in=facility_ids)


def touchless_condition() -> Q:
    """No exception was ever raised on the invoice (resolved ones count: they were a person's work) and it
    reached `approved` (its history says so)."""
    raised = InvoiceException.objects.filter(invoice_id=OuterRef("pk"))
    approved = HistoricalInvoice.objects.filter(id=OuterRef("pk"), status=InvoiceStatus.APPROVED)
    return Q(~Exists(raised)) & Q(Exists(approved))


# --- Exceptions opened and resolved ---------------------------------------------------------------------------
def exceptions_opened(facility_ids: Sequence[int] | None, span: Span | None = None) -> QuerySet[InvoiceException]:
    """Exceptions raised in the span (one per code and line, as matching raises them)."""
    found = InvoiceException.objects.filter(_within("raised_at", span))
    return found if facility_ids is None else found.filter(invoice__facility_id__in=facility_ids)


def exceptions_open(facility_ids: Sequence[int] | None) -> QuerySet[InvoiceException]:
    """Exceptions open now, whenever they were raised."""
    found = InvoiceException.objects.filter(state=ExceptionState.OPEN)
    return found if facility_ids is None else found.filter(invoice__facility_id__in=facility_ids)


def exceptions_resolved(facility_ids: Sequence[int] | None, span: Span | None = None) -> QuerySet[InvoiceException]:
    """Exceptions resolved in the span, whatever resolved them (a person's decision or a re-match)."""
    found = InvoiceException.objects.filter(state=ExceptionState.RESOLVED, resolved_at__isnull=False)
    found = found.filter(_within("resolved_at", span))
    return found if facility_ids is None else found.filter(invoice__facility_id__in=facility_ids)


# --- Cycle times ------------------------------------------------------------------------------------------------
def _first_time(status: str) -> Subquery:
    """When the invoice first had `status`, from its history table."""
    rows = HistoricalInvoice.objects.filter(id=OuterRef("pk"), status=status).order_by()
    return Subquery(rows.values("id").annotate(first=Min("history_date")).values("first")[:1])


# Stage: (the milestone it starts at, the milestone it ends at).
STAGES: dict[str, tuple[str, str]] = {
    "received_approved": ("received_at", "approved_at"),
    "approved_posted": ("approved_at", "posted_at"),
    "posted_paid": ("posted_at", "paid_at"),
    "received_paid": ("received_at", "paid_at"),
}


def invoices_with_milestones(facility_ids: Sequence[int] | None) -> QuerySet[Invoice]:
    """Invoices (not credit memos, not cancelled) with when each first became approved, posted and paid."""
    invoices = Invoice.objects.filter(document_type=DocumentType.INVOICE).exclude(status=InvoiceStatus.CANCELLED)
    if facility_ids is not None:
        invoices = invoices.filter(facility_id__in=facility_ids)
    return invoices.annotate(
        approved_at=_first_time(InvoiceStatus.APPROVED),
        posted_at=_first_time(InvoiceStatus.POSTED),
        paid_at=_first_time(InvoiceStatus.PAID),
    )


def stage_invoices(stage: str, facility_ids: Sequence[int] | None, span: Span | None = None) -> QuerySet[Invoice]:
    """Invoices that finished `stage` in the span (both its milestones reached), with the stage's length."""
    begin, finish = STAGES[stage]
    invoices = invoices_with_milestones(facility_ids).filter(**{f"{begin}__isnull": False, f"{finish}__isnull": False})
    return invoices.filter(_within(finish, span)).annotate(stage_length=F(finish) - F(begin))


# Lengths are counted in whole hours up to two days, in whole days (24-hour steps) beyond: the precision a reader
# needs at each scale, and it keeps the histogram to about a hundred values per facility, week and stage whatever
# the number of invoices (whole hours over a year of history would be a row per invoice).
HOURLY_UP_TO = 48


def length_hours(length: timedelta) -> int:
    """A stage's length as the dashboard counts it: whole hours below 48 h, else whole days in hours (truncated;
    never below 0)."""
    hours = max(int(length.total_seconds() // 3600), 0)
    return hours if hours < HOURLY_UP_TO else hours // 24 * 24


# --- Duplicates caught ------------------------------------------------------------------------------------------
DUPLICATE_OUTCOMES = (ResolutionKind.CONFIRMED, ResolutionKind.DISMISSED)


def duplicates_decided(
    facility_ids: Sequence[int] | None, span: Span | None, outcome: str
) -> QuerySet[InvoiceException]:
    """Duplicate suspicions a person decided in the span: `confirmed` (the invoice rejected, never paid) or
    `dismissed` (not a duplicate after all); the money is the suspected invoice's total."""
    decided = InvoiceException.objects.filter(
        code=ExceptionCode.DUPLICATE_SUSPECT, state=ExceptionState.RESOLVED, resolution_kind=outcome
    ).filter(_within("resolved_at", span))
    return decided if facility_ids is None else decided.filter(invoice__facility_id__in=facility_ids)


# --- Variances accepted vs recovered ---------------------------------------------------------------------------
ACCEPTING_ACTIONS = (WorkActionKind.ACCEPT_VARIANCE, WorkActionKind.VARIANCE_APPROVED)


def variances_accepted(facility_ids: Sequence[int] | None, span: Span | None) -> QuerySet[WorkAction]:
    """Decisions to pay a variance in the span: accepted within a clerk's or manager's authority, or approved by a
    manager above it. The amount is the one the decision was taken on (the work action's)."""
    actions = WorkAction.objects.filter(kind__in=ACCEPTING_ACTIONS).filter(_within("occurred_at", span))
    return actions if facility_ids is None else actions.filter(facility_id__in=facility_ids)


def variances_recovered(facility_ids: Sequence[int] | None, span: Span | None) -> QuerySet[Invoice]:
    """Invoices whose variances a credit memo made up, counted when the last of them was recovered
    (`recovered_at`, in the span), with `recovered_amount`: the variance the credit memo was asked for (the latest
    request's amount)."""
    recovered = InvoiceException.objects.filter(
        code__in=VARIANCE_CODES, state=ExceptionState.RESOLVED, resolution_kind=ResolutionKind.RECOVERED
    )
    last = (
        recovered.filter(invoice_id=OuterRef("pk"))
        .order_by()
        .values("invoice_id")
        .annotate(last=Max("resolved_at"))
        .values("last")[:1]
    )
    requested = WorkAction.objects.filter(invoice_id=OuterRef("pk"), kind=WorkActionKind.REQUEST_CREDIT_MEMO).order_by(
        "-occurred_at", "-id"
    )
    invoices = Invoice.objects.filter(pk__in=recovered.values("invoice_id")).annotate(
        recovered_at=Subquery(last), recovered_amount=Subquery(requested.values("amount")[:1])
    )
    invoices = invoices.filter(_within("recovered_at", span))
    return invoices if facility_ids is None else invoices.filter(facility_id__in=facility_ids)


# --- SLA breaches -----------------------------------------------------------------------------------------------
def escalations(facility_ids: Sequence[int] | None, span: Span | None) -> QuerySet[WorkAction]:
    """Work items the sweep escalated in the span because they passed their due time (once per item and breach)."""
    actions = WorkAction.objects.filter(kind=WorkActionKind.ESCALATE).filter(_within("occurred_at", span))
    return actions if facility_ids is None else actions.filter(facility_id__in=facility_ids)
