"""Scoped reads of the operations dashboard: the weekly summaries for the reader's facilities and range, and the
live figures (work items, approvals, integrations) that are small enough to count on every request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from approvals.models import ApprovalRequest, PolicyStep, RequestStatus
from approvals.selectors import add_business_days
from insights.filters import ReportFilters
from insights.operations.definitions import Span, exceptions_open
from insights.operations.models import (
    CycleStage,
    CycleTimeBin,
    Decision,
    DecisionWeek,
    ExceptionWeek,
    MatchWeek,
    SummaryRefresh,
)
from integrations.models import ExternalSystem
from integrations.selectors import SystemHealth, health_of
from matching.models import ACTIVE_STATES, ExceptionCode, WorkItem, WorkItemState, WorkQueue
from matching.workbench_selectors import AGING_BUCKETS, aging_bucket_conditions
from p2p_portal.roles import Role

# Who reads the operations dashboard: AP managers run it, auditors read it.
READER_ROLES = (Role.AP_MANAGER, Role.AUDITOR)
WAITING_STATES = (WorkItemState.WAITING_CREDIT_MEMO, WorkItemState.WAITING_RECEIPT, WorkItemState.AWAITING_APPROVAL)
CODE_LABELS = dict(ExceptionCode.choices)


@dataclass(frozen=True)
class RateWeek:
    """One week of the touchless trend."""

    week: date
    judged: int
    touchless: int

    @property
    def rate(self) -> float | None:
        return 100.0 * self.touchless / self.judged if self.judged else None


@dataclass(frozen=True)
class ExceptionTrend:
    """One exception code's weekly counts over the span."""

    code: str
    opened: tuple[int, ...]
    resolved: tuple[int, ...]

    @property
    def label(self) -> str:
        return CODE_LABELS.get(self.code, self.code)

    @property
    def opened_total(self) -> int:
        return sum(self.opened)

    @property
    def resolved_total(self) -> int:
        return sum(self.resolved)


@dataclass(frozen=True)
class QueueLoad:
    """Active work items of one queue (None: unrouted) at the reader's facilities, open ones by aging bucket."""

    queue: WorkQueue | None
    open: int
    waiting: int
    on_hold: int
    breaches: int
    buckets: tuple[tuple[str, int], ...]

    @property
    def name(self) -> str:
        return self.queue.name if self.queue is not None else "Unrouted"

    @property
    def key(self) -> str:
        return str(self.queue.pk) if self.queue is not None else "none"


@dataclass(frozen=True)
class CycleTime:
    """Median and p90 (nearest rank, whole hours) of a stage over the invoices that finished it in the span."""

    stage: str
    invoices: int
    median_hours: int | None
    p90_hours: int | None

    @property
    def label(self) -> str:
        return str(CycleStage(self.stage).label)


@dataclass(frozen=True)
class MoneyFigure:
    """How many records, for how much money."""

    count: int
    amount: Decimal


@dataclass
class OperationsDashboard:
    """Every figure of the operations dashboard for one reader's filters."""

    span: Span
    rate_weeks: list[RateWeek]
    exceptions: list[ExceptionTrend]
    queues: list[QueueLoad]
    escalated: int
    open_exceptions: int
    cycles: list[CycleTime]
    duplicates: dict[str, MoneyFigure]
    accepted: MoneyFigure
    recovered: MoneyFigure
    approvals_overdue: dict[str, int]
    systems: list[SystemHealth]
    refreshed: SummaryRefresh | None
    as_of: datetime = field(default_factory=timezone.now)

    @property
    def judged(self) -> int:
        return sum(week.judged for week in self.rate_weeks)

    @property
    def touchless(self) -> int:
        return sum(week.touchless for week in self.rate_weeks)

    @property
    def rate(self) -> float | None:
        return 100.0 * self.touchless / self.judged if self.judged else None

    @property
    def open_items(self) -> int:
        return sum(queue.open for queue in self.queues)

    @property
    def active_items(self) -> int:
        return sum(queue.open + queue.waiting + queue.on_hold for queue in self.queues)

    @property
    def breaches(self) -> int:
        return sum(queue.breaches for queue in self.queues)

    @property
    def overdue_total(self) -> int:
        return sum(self.approvals_overdue.values())


def nearest_rank(histogram: Sequence[tuple[int, int]], percent: int) -> int | None:
    """The nearest-rank percentile of a histogram of (value, how many), sorted by value: the smallest value with at
    least `percent` % of the observations at or below it."""
    total = sum(count for _, count in histogram)
    if not total:
        return None
    rank = -(-total * percent // 100)  # ceil without floats
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    return histogram[-1][0]


def match_rate_weeks(*, filters: ReportFilters, span: Span) -> list[RateWeek]:
    """Judged and touchless PO-backed invoices per week of the span, from the summary (every week, zeros too)."""
    rows = (
        MatchWeek.objects.filter(facility_id__in=filters.facility_ids, week__gte=span.first_week)
        .filter(week__lte=span.last_week)
        .values("week")
        .annotate(judged=Sum("judged"), touchless=Sum("touchless"))
        .order_by()
    )
    found: dict[date, tuple[int, int]] = {row["week"]: (row["judged"], row["touchless"]) for row in rows}
    return [RateWeek(week, *found.get(week, (0, 0))) for week in span.weeks]


def exception_trends(*, filters: ReportFilters, span: Span) -> list[ExceptionTrend]:
    """Opened and resolved exceptions per code and week of the span, from the summary (codes seen only)."""
    rows = (
        ExceptionWeek.objects.filter(facility_id__in=filters.facility_ids, week__gte=span.first_week)
        .filter(week__lte=span.last_week)
        .values("code", "week")
        .annotate(opened=Sum("opened"), resolved=Sum("resolved"))
        .order_by()
    )
    by_code: dict[str, dict[date, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        by_code[row["code"]][row["week"]] = (row["opened"], row["resolved"])
    order = list(ExceptionCode.values)
    return [
        ExceptionTrend(
            code,
            tuple(by_code[code].get(week, (0, 0))[0] for week in span.weeks),
            tuple(by_code[code].get(week, (0, 0))[1] for week in span.weeks),
        )
        for code in sorted(by_code, key=lambda code: order.index(code) if code in order else len(order))
    ]


def cycle_times(*, filters: ReportFilters, span: Span) -> list[CycleTime]:
    """Median and p90 of each stage, from the hour histograms of the span's weeks."""
    rows = (
        CycleTimeBin.objects.filter(facility_id__in=filters.facility_ids, week__gte=span.first_week)
        .filter(week__lte=span.last_week)
        .values("stage", "hours")
        .annotate(invoices=Sum("invoices"))
        .order_by("stage", "hours")
    )
    histograms: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        histograms[row["stage"]].append((row["hours"], row["invoices"]))
    result = []
    for stage in CycleStage.values:
        histogram = histograms.get(stage, [])
        result.append(
            CycleTime(
                stage,
                sum(count for _, count in histogram),
                nearest_rank(histogram, 50),
                nearest_rank(histogram, 90),
            )
        )
    return result


def queue_loads(*, filters: ReportFilters, now: datetime | None = None) -> list[QueueLoad]:
    """Active work items at the reader's facilities per queue, as the workbench counts them (same aging buckets,
    breaches = active items past their due time), in one aggregate query."""
    now = now or timezone.now()
    open_items = Q(state=WorkItemState.OPEN)
    aggregates: dict[str, Any] = {
        "open": Count("pk", filter=open_items),
        "waiting": Count("pk", filter=Q(state__in=WAITING_STATES)),
        "on_hold": Count("pk", filter=Q(state=WorkItemState.ON_HOLD)),
        "breaches": Count("pk", filter=Q(due_at__lt=now)),
    }
    for name, condition in aging_bucket_conditions(now).items():
        aggregates[f"bucket_{name}"] = Count("pk", filter=open_items & condition)
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in WorkItem.objects.filter(facility_id__in=filters.facility_ids, state__in=ACTIVE_STATES)
        .values("queue")
        .annotate(**aggregates)
        .order_by()
    ]
    queues = WorkQueue.objects.in_bulk([row["queue"] for row in rows if row["queue"] is not None])
    loads = [
        QueueLoad(
            queue=queues.get(row["queue"]) if row["queue"] is not None else None,
            open=row["open"],
            waiting=row["waiting"],
            on_hold=row["on_hold"],
            breaches=row["breaches"],
            buckets=tuple((name, row[f"bucket_{name}"]) for name, _, _ in AGING_BUCKETS),
        )
        for row in rows
    ]
    return sorted(loads, key=lambda load: (load.queue is None, load.queue.position if load.queue else 0, load.name))


def overdue_approval_ids(*, facility_ids: Sequence[int], now: datetime | None = None) -> dict[int, str]:
    """Pending approval requests at the facilities whose current step is past its due time (the step's SLA in
    business days from when it began waiting, as the approvals inbox computes it): id -> document type."""
    now = now or timezone.now()
    pending = list(
        ApprovalRequest.objects.filter(
            status=RequestStatus.PENDING, facility_id__in=facility_ids, current_step__isnull=False
        ).values_list("pk", "document_type", "policy_id", "current_step", "step_started_at", "submitted_at")
    )
    slas = {
        (policy_id, position): days
        for policy_id, position, days in PolicyStep.objects.filter(
            policy_id__in={row[2] for row in pending}
        ).values_list("policy_id", "position", "sla_business_days")
    }
    overdue: dict[int, str] = {}
    for pk, document_type, policy_id, position, step_started_at, submitted_at in pending:
        days = slas.get((policy_id, position)) if position is not None else None
        started = step_started_at or submitted_at
        if days is not None and started is not None and add_business_days(started, days) <= now:
            overdue[pk] = document_type
    return overdue


def decisions(*, filters: ReportFilters, span: Span) -> dict[str, MoneyFigure]:
    """Each kind of decision over the span at the reader's facilities, from the summary (zeros too)."""
    rows = (
        DecisionWeek.objects.filter(facility_id__in=filters.facility_ids, week__gte=span.first_week)
        .filter(week__lte=span.last_week)
        .values("decision")
        .annotate(count=Sum("count"), amount=Sum("amount"))
        .order_by()
    )
    found = {row["decision"]: MoneyFigure(int(row["count"]), Decimal(row["amount"])) for row in rows}
    return {decision: found.get(decision, MoneyFigure(0, Decimal(0))) for decision in Decision.values}


def operations_dashboard(*, filters: ReportFilters) -> OperationsDashboard:
    """The dashboard for these filters: summaries for the weekly figures, live counts for the rest."""
    span = Span.covering(filters.date_from, filters.date_to)
    ids = filters.facility_ids
    decided = decisions(filters=filters, span=span)
    overdue: dict[str, int] = defaultdict(int)
    for document_type in overdue_approval_ids(facility_ids=ids).values():
        overdue[document_type] += 1
    return OperationsDashboard(
        span=span,
        rate_weeks=match_rate_weeks(filters=filters, span=span),
        exceptions=exception_trends(filters=filters, span=span),
        queues=queue_loads(filters=filters),
        escalated=decided[Decision.ESCALATED].count,
        open_exceptions=exceptions_open(ids).count(),
        cycles=cycle_times(filters=filters, span=span),
        duplicates={
            "confirmed": decided[Decision.DUPLICATE_CONFIRMED],
            "dismissed": decided[Decision.DUPLICATE_DISMISSED],
        },
        accepted=decided[Decision.VARIANCE_ACCEPTED],
        recovered=decided[Decision.VARIANCE_RECOVERED],
        approvals_overdue=dict(sorted(overdue.items())),
        # External systems are network-wide (integrations.selectors): every reader sees the same health.
        systems=health_of(list(ExternalSystem.objects.select_related("facility").order_by("code"))),
        refreshed=SummaryRefresh.objects.order_by("-finished_at", "-id").first(),
    )
