"""Each figure of the operations dashboard equals a count made by hand on the known data set, and the weekly
summaries equal the direct computation from the records."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory

from insights.filters import ReportFilters, report_filters
from insights.operations.definitions import (
    Span,
    duplicates_decided,
    escalations,
    exceptions_opened,
    exceptions_resolved,
    length_hours,
    po_invoices_judged,
    stage_invoices,
    touchless_condition,
    variances_accepted,
    variances_recovered,
    week_of_moment,
)
from insights.operations.models import CycleTimeBin, DecisionWeek, ExceptionWeek, MatchWeek, SummaryRefresh
from insights.operations.selectors import READER_ROLES, nearest_rank, operations_dashboard
from insights.operations.services import operations_summary_refresh
from matching.models import Invoice
from tests.insights.operations.conftest import DataSet

pytestmark = pytest.mark.django_db


def filters_for(data: DataSet, who: str, **extra: str) -> ReportFilters:
    request = RequestFactory().get("/", {**data.query, **extra})
    request.user = data.people[who]
    return report_filters(request, roles=READER_ROLES)


@pytest.fixture
def refreshed(dataset: DataSet) -> DataSet:
    operations_summary_refresh(actor="tests")
    return dataset


def test_touchless_rate_counts_po_backed_judged_invoices_only(refreshed: DataSet) -> None:
    board = operations_dashboard(filters=filters_for(refreshed, "manager"))
    # Judged PO-backed at NORTH in the two weeks: T1 T2 X1 R1 (week 1), X2 D1 D2 (week 2); credit memo, cancelled,
    # non-PO, unmatched and the invoice received before the range are not; touchless: T1 and T2.
    assert [(week.judged, week.touchless) for week in board.rate_weeks] == [(4, 2), (3, 0)]
    assert (board.judged, board.touchless) == (7, 2)
    assert board.rate == pytest.approx(100 * 2 / 7)
    assert board.span == Span(refreshed.monday, refreshed.monday + timedelta(weeks=1))


def test_exceptions_by_code_and_week(refreshed: DataSet) -> None:
    board = operations_dashboard(filters=filters_for(refreshed, "manager"))
    trends = {trend.code: (trend.opened, trend.resolved) for trend in board.exceptions}
    assert trends == {
        "duplicate_suspect": ((0, 2), (0, 2)),
        "price_variance": ((1, 0), (0, 1)),
        "qty_over_received": ((1, 0), (0, 1)),
        "no_receipt": ((0, 1), (0, 0)),
    }


def test_cycle_times_are_nearest_rank_medians_and_p90_in_counted_hours(refreshed: DataSet) -> None:
    board = operations_dashboard(filters=filters_for(refreshed, "manager"))
    cycles = {cycle.stage: (cycle.invoices, cycle.median_hours, cycle.p90_hours) for cycle in board.cycles}
    # received -> approved: T1 2, T2 5, D2 30, NP 50, R1 100, X1 120, O1 200 h (credit memo and cancelled left out),
    # counted in whole days from 48 h: 2, 5, 30, 48, 96, 120, 192.
    assert cycles["received_approved"] == (7, 48, 192)
    assert cycles["approved_posted"] == (1, 24, 24)  # T1 only: T2 was paid straight from approved
    assert cycles["posted_paid"] == (1, 48, 48)
    assert cycles["received_paid"] == (2, 29, 72)  # T2 29 h, T1 74 h (three whole days)


def test_money_figures_duplicates_variances_and_escalations(refreshed: DataSet) -> None:
    board = operations_dashboard(filters=filters_for(refreshed, "manager"))
    assert (board.duplicates["confirmed"].count, board.duplicates["confirmed"].amount) == (1, Decimal("250.00"))
    assert (board.duplicates["dismissed"].count, board.duplicates["dismissed"].amount) == (1, Decimal("80.00"))
    # Accepted: X1's 40.00 (the request for approval of 500.00 is no decision; SOUTH's 900.00 is not NORTH's).
    assert (board.accepted.count, board.accepted.amount) == (1, Decimal("40.00"))
    # Recovered: R1, at its latest credit-memo request (30.00, not the earlier 45.00).
    assert (board.recovered.count, board.recovered.amount) == (1, Decimal("30.00"))
    assert board.escalated == 1


def test_queue_load_aging_and_breaches_as_the_workbench_counts_them(refreshed: DataSet) -> None:
    board = operations_dashboard(filters=filters_for(refreshed, "manager"))
    loads = {load.name: load for load in board.queues}
    receipt = loads["Waiting for receipt"]
    assert (receipt.open, receipt.waiting, receipt.on_hold, receipt.breaches) == (1, 1, 0, 1)
    assert dict(receipt.buckets) == {"0-2": 0, "3-5": 1, "6-10": 0, ">10": 0}  # waiting items are not aged
    assert dict(loads["Unrouted"].buckets)["0-2"] == 1
    assert (board.open_items, board.breaches, board.active_items) == (2, 1, 3)
    assert board.open_exceptions == 1  # X2's no_receipt (SOUTH's open price variance is not NORTH's)
    assert board.approvals_overdue == {"invoice": 1}


def test_another_facilitys_reader_sees_none_of_norths_figures(refreshed: DataSet) -> None:
    board = operations_dashboard(filters=filters_for(refreshed, "outsider"))
    assert (board.judged, board.touchless) == (2, 1)  # S1 touchless, S2 not
    assert board.accepted.amount == Decimal("900.00")
    assert board.duplicates["confirmed"].count == 0
    assert [load.open for load in board.queues] == [1]
    assert board.approvals_overdue == {"invoice": 1}
    assert {trend.code for trend in board.exceptions} == {"price_variance"}


def test_an_auditor_of_both_facilities_sees_their_sum_and_may_narrow_to_one(refreshed: DataSet) -> None:
    both = operations_dashboard(filters=filters_for(refreshed, "auditor"))
    assert (both.judged, both.touchless) == (9, 3)
    assert both.approvals_overdue == {"invoice": 2}
    north = operations_dashboard(filters=filters_for(refreshed, "auditor", facility="NORTH"))
    assert (north.judged, north.touchless) == (7, 2)


def test_summaries_equal_the_direct_computation(refreshed: DataSet) -> None:
    everywhere = None
    judged: Counter[tuple[int, object]] = Counter()
    touchless: Counter[tuple[int, object]] = Counter()
    for invoice in po_invoices_judged(everywhere):
        judged[(invoice.facility_id, week_of_moment(invoice.received_at))] += 1
    for invoice in po_invoices_judged(everywhere).filter(touchless_condition()):
        touchless[(invoice.facility_id, week_of_moment(invoice.received_at))] += 1
    assert {(row.facility_id, row.week): (row.judged, row.touchless) for row in MatchWeek.objects.all()} == {
        key: (count, touchless[key]) for key, count in judged.items()
    }
    opened = Counter((e.invoice.facility_id, week_of_moment(e.raised_at), e.code) for e in exceptions_opened(None))
    resolved = Counter(
        (e.invoice.facility_id, week_of_moment(e.resolved_at), e.code) for e in exceptions_resolved(None)
    )
    assert {(r.facility_id, r.week, r.code): (r.opened, r.resolved) for r in ExceptionWeek.objects.all()} == {
        key: (opened[key], resolved[key]) for key in set(opened) | set(resolved)
    }
    bins: Counter[tuple[int, object, str, int]] = Counter()
    for stage in ("received_approved", "approved_posted", "posted_paid", "received_paid"):
        for invoice in stage_invoices(stage, None):
            finish = {"received_approved": "approved_at", "approved_posted": "posted_at"}.get(stage, "paid_at")
            week = week_of_moment(getattr(invoice, finish))
            bins[(invoice.facility_id, week, stage, length_hours(invoice.stage_length))] += 1
    assert {(b.facility_id, b.week, b.stage, b.hours): b.invoices for b in CycleTimeBin.objects.all()} == dict(bins)


def test_decision_summaries_equal_the_direct_computation(refreshed: DataSet) -> None:
    expected: dict[tuple[int, object, str], tuple[int, Decimal]] = {}

    def add(decision: str, facility_id: int, moment: Any, amount: Decimal | None) -> None:
        key = (facility_id, week_of_moment(moment), decision)
        count, total = expected.get(key, (0, Decimal(0)))
        expected[key] = (count + 1, total + (amount or Decimal(0)))

    for outcome in ("confirmed", "dismissed"):
        for exception in duplicates_decided(None, None, outcome).select_related("invoice"):
            add(
                f"duplicate_{outcome}",
                exception.invoice.facility_id,
                exception.resolved_at,
                exception.invoice.total_amount,
            )
    for action in variances_accepted(None, None):
        add("variance_accepted", action.facility_id, action.occurred_at, action.amount)
    for invoice in variances_recovered(None, None):
        add("variance_recovered", invoice.facility_id, invoice.recovered_at, invoice.recovered_amount)
    for action in escalations(None, None):
        add("escalated", action.facility_id, action.occurred_at, action.amount)
    stored = {(row.facility_id, row.week, row.decision): (row.count, row.amount) for row in DecisionWeek.objects.all()}
    assert stored == expected
    assert len(stored) == 6  # D1 confirmed, D2 dismissed, X1 and SOUTH's S2 accepted, R1 recovered, X2 escalated


def test_a_refresh_replaces_the_summaries_and_records_itself(refreshed: DataSet) -> None:
    before = MatchWeek.objects.count()
    late = Invoice.objects.get(invoice_number="UN")
    Invoice.objects.filter(pk=late.pk).update(matched_at=late.received_at)  # matching judged it since
    refresh = operations_summary_refresh(actor="tests again")
    assert MatchWeek.objects.count() == before
    board = operations_dashboard(filters=filters_for(refreshed, "manager"))
    assert board.judged == 8
    assert board.refreshed == refresh
    assert refresh.actor == "tests again"
    assert SummaryRefresh.objects.count() == 2


def test_nearest_rank() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([(1, 1), (2, 1), (3, 1), (4, 1)], 50) == 2
    assert nearest_rank([(1, 1), (2, 1), (3, 1), (4, 1)], 90) == 4
    assert nearest_rank([(5, 10)], 90) == 5


def test_lengths_are_hours_below_two_days_then_whole_days() -> None:
    assert length_hours(timedelta(minutes=59)) == 0
    assert length_hours(timedelta(hours=47, minutes=59)) == 47
    assert length_hours(timedelta(hours=48)) == 48
    assert length_hours(timedelta(hours=71, minutes=59)) == 48
    assert length_hours(timedelta(hours=72)) == 72
    assert length_hours(timedelta(seconds=-5)) == 0
