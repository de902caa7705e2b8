"""Writes of the operations reports: rebuilding the weekly summaries the dashboard reads."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from insights.operations.definitions import (
    STAGES,
    duplicates_decided,
    escalations,
    exceptions_opened,
    invoices_with_milestones,
    length_hours,
    po_invoices_judged,
    touchless_condition,
    variances_accepted,
    variances_recovered,
    week_of_moment,
)
from insights.operations.models import (
    CycleTimeBin,
    Decision,
    DecisionWeek,
    ExceptionWeek,
    MatchWeek,
    SummaryRefresh,
)
from matching.models import ExceptionState

BATCH = 5000  # rows per INSERT and per fetch: bounded memory on a million invoices


def _actor_label(actor: Any) -> str:
    return str(getattr(actor, "username", None) or actor)[:150]


def _match_weeks() -> list[MatchWeek]:
    counts: Counter[tuple[int, Any, bool]] = Counter()
    rows = (
        po_invoices_judged(None)
        .annotate(is_touchless=ExpressionWrapper(touchless_condition(), output_field=BooleanField()))
        .values_list("facility_id", "received_at", "is_touchless")
        .order_by()
    )
    for facility_id, received_at, is_touchless in rows.iterator(chunk_size=BATCH):
        counts[(facility_id, week_of_moment(received_at), bool(is_touchless))] += 1
    weeks = {(facility_id, week) for facility_id, week, _ in counts}
    return [
        MatchWeek(
            facility_id=facility_id,
            week=week,
            judged=counts[(facility_id, week, True)] + counts[(facility_id, week, False)],
            touchless=counts[(facility_id, week, True)],
        )
        for facility_id, week in sorted(weeks)
    ]


def _exception_weeks() -> list[ExceptionWeek]:
    opened: Counter[tuple[int, Any, str]] = Counter()
    resolved: Counter[tuple[int, Any, str]] = Counter()
    rows = exceptions_opened(None).values_list("invoice__facility_id", "code", "raised_at", "state", "resolved_at")
    for facility_id, code, raised_at, state, resolved_at in rows.order_by().iterator(chunk_size=BATCH):
        opened[(facility_id, week_of_moment(raised_at), code)] += 1
        if state == ExceptionState.RESOLVED and resolved_at is not None:
            resolved[(facility_id, week_of_moment(resolved_at), code)] += 1
    keys = sorted(set(opened) | set(resolved))
    return [
        ExceptionWeek(facility_id=f, week=w, code=c, opened=opened[(f, w, c)], resolved=resolved[(f, w, c)])
        for f, w, c in keys
    ]


def _cycle_bins() -> list[CycleTimeBin]:
    counts: Counter[tuple[int, Any, str, int]] = Counter()
    # The milestones are annotations the type checker cannot see on Invoice.
    milestones: Any = invoices_with_milestones(None)
    rows = (
        milestones.filter(approved_at__isnull=False)
        .values_list("facility_id", "received_at", "approved_at", "posted_at", "paid_at")
        .order_by()
    )
    for facility_id, received_at, approved_at, posted_at, paid_at in rows.iterator(chunk_size=BATCH):
        moments = {"received_at": received_at, "approved_at": approved_at, "posted_at": posted_at, "paid_at": paid_at}
        for stage, (begin, finish) in STAGES.items():
            start, end = moments[begin], moments[finish]
            if start is None or end is None:
                continue
            counts[(facility_id, week_of_moment(end), stage, length_hours(end - start))] += 1
    return [
        CycleTimeBin(facility_id=f, week=w, stage=s, hours=h, invoices=n) for (f, w, s, h), n in sorted(counts.items())
    ]


def _decision_weeks() -> list[DecisionWeek]:
    totals: dict[tuple[int, Any, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    recovered: Any = variances_recovered(None, None)  # its annotations are invisible to the type checker
    sources: list[tuple[str, Any]] = [
        (
            Decision.DUPLICATE_CONFIRMED,
            duplicates_decided(None, None, "confirmed").values_list(
                "invoice__facility_id", "resolved_at", "invoice__total_amount"
            ),
        ),
        (
            Decision.DUPLICATE_DISMISSED,
            duplicates_decided(None, None, "dismissed").values_list(
                "invoice__facility_id", "resolved_at", "invoice__total_amount"
            ),
        ),
        (
            Decision.VARIANCE_ACCEPTED,
            variances_accepted(None, None).values_list("facility_id", "occurred_at", "amount"),
        ),
        (
            Decision.VARIANCE_RECOVERED,
            recovered.values_list("facility_id", "recovered_at", "recovered_amount"),
        ),
        (Decision.ESCALATED, escalations(None, None).values_list("facility_id", "occurred_at", "amount")),
    ]
    for decision, rows in sources:
        for facility_id, moment, amount in rows.order_by().iterator(chunk_size=BATCH):
            total = totals[(facility_id, week_of_moment(moment), decision)]
            total[0] += 1
            total[1] += amount or Decimal(0)
    return [
        DecisionWeek(facility_id=f, week=w, decision=d, count=count, amount=amount)
        for (f, w, d), (count, amount) in sorted(totals.items())
    ]


@transaction.atomic
def operations_summary_refresh(*, actor: Any) -> SummaryRefresh:
    """Rebuild every weekly summary of the operations dashboard from the records, in one transaction (readers see
    the previous summaries until it commits), and record who refreshed it and when."""
    started, clock = timezone.now(), time.monotonic()
    match_weeks, exception_weeks, bins = _match_weeks(), _exception_weeks(), _cycle_bins()
    decision_weeks = _decision_weeks()
    for model in (MatchWeek, ExceptionWeek, CycleTimeBin, DecisionWeek):
        model.objects.all().delete()
    MatchWeek.objects.bulk_create(match_weeks, batch_size=BATCH)
    ExceptionWeek.objects.bulk_create(exception_weeks, batch_size=BATCH)
    CycleTimeBin.objects.bulk_create(bins, batch_size=BATCH)
    DecisionWeek.objects.bulk_create(decision_weeks, batch_size=BATCH)
    refresh = SummaryRefresh(
        actor=_actor_label(actor),
        started_at=started,
        finished_at=timezone.now(),
        duration_ms=int((time.monotonic() - clock) * 1000),
        rows=len(match_weeks) + len(exception_weeks) + len(bins) + len(decision_weeks),
    )
    refresh.full_clean()
    refresh.save()
    # Only the latest runs matter for freshness; keep a day's worth (96 at one per 15 minutes) as a trace.
    stale = SummaryRefresh.objects.order_by("-finished_at", "-id").values_list("pk", flat=True)[96:]
    SummaryRefresh.objects.filter(pk__in=list(stale)).delete()
    return refresh
