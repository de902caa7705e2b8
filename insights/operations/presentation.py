"""How the dashboard shows its figures: the charts, and the link from every number to the list behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from insights.charts import Chart, Series, build_chart
from insights.filters import ReportFilters
from insights.operations.selectors import OperationsDashboard

# The per-code table shows each week's numbers up to this many weeks (a quarter and a bit); a longer range shows the
# totals, the weeks being in the chart's table and the CSV (a year would be nearly two thousand linked cells).
WEEKLY_CELLS_UP_TO = 16


@lru_cache(maxsize=32)
def _list_path(figure: str) -> str:
    return reverse("insights:operations:list", args=[figure])


def figure_url(filters: ReportFilters, figure: str, **extra: Any) -> str:
    """The drill-down list of one figure, with the dashboard's filters."""
    return f"{_list_path(figure)}?{urlencode(filters.query(**extra))}"


def week_url(filters: ReportFilters, figure: str, week: date, **extra: Any) -> str:
    """The list behind one week's figure (the filters narrowed to that Monday-to-Sunday)."""
    query = filters.query(**extra)
    query.update({"from": week.isoformat(), "to": (week + timedelta(days=6)).isoformat()})
    return f"{_list_path(figure)}?{urlencode(query)}"


def week_label(week: date) -> str:
    return f"{week:%d %b}"


def rate_chart(board: OperationsDashboard, filters: ReportFilters) -> Chart:
    """The touchless rate per week, a line."""
    rates = [week.rate for week in board.rate_weeks]
    known = [rate for rate in rates if rate is not None]
    trend = "no PO-backed invoice was judged in these weeks"
    if known:
        trend = f"from {known[0]:.1f} % in the first week with invoices to {known[-1]:.1f} % in the last"
    return build_chart(
        key="touchless",
        title="Touchless match rate per week",
        summary=f"Share of judged PO-backed invoices that went through without a person, {trend}.",
        categories=[week_label(week.week) for week in board.rate_weeks],
        series=[Series("Touchless rate", tuple(None if rate is None else round(rate, 1) for rate in rates))],
        kind="line",
        unit="%",
        links=[week_url(filters, "judged", week.week, touchless="yes") for week in board.rate_weeks],
    )


def exceptions_chart(board: OperationsDashboard, filters: ReportFilters) -> Chart:
    """Exceptions opened and resolved per week (all codes), bars side by side."""
    weeks = board.span.weeks
    opened = tuple(sum(trend.opened[index] for trend in board.exceptions) for index in range(len(weeks)))
    resolved = tuple(sum(trend.resolved[index] for trend in board.exceptions) for index in range(len(weeks)))
    return build_chart(
        key="exceptions",
        title="Exceptions opened and resolved per week",
        summary=f"{sum(opened)} exceptions opened and {sum(resolved)} resolved over {len(weeks)} weeks.",
        categories=[week_label(week) for week in weeks],
        series=[Series("Opened", opened), Series("Resolved", resolved)],
        links=[week_url(filters, "exceptions", week, event="opened") for week in weeks],
    )


def cycle_chart(board: OperationsDashboard, filters: ReportFilters) -> Chart:
    """Median and p90 hours of each stage, bars."""
    return build_chart(
        key="cycle",
        title="Cycle times (hours; whole days from 48 h)",
        summary="; ".join(
            f"{cycle.label}: median {cycle.median_hours} h, p90 {cycle.p90_hours} h"
            for cycle in board.cycles
            if cycle.invoices
        )
        or "No invoice finished a stage in these weeks.",
        categories=[cycle.label for cycle in board.cycles],
        series=[
            Series("Median", tuple(cycle.median_hours for cycle in board.cycles)),
            Series("p90", tuple(cycle.p90_hours for cycle in board.cycles)),
        ],
        links=[figure_url(filters, "cycle", stage=cycle.stage) for cycle in board.cycles],
    )


@dataclass(frozen=True)
class WeekCell:
    """One code's numbers in one week, with the lists behind them."""

    opened: int
    resolved: int
    opened_url: str
    resolved_url: str


def exception_rows(board: OperationsDashboard, filters: ReportFilters) -> list[dict[str, Any]]:
    """The by-code table: totals linked, and each week's opened/resolved linked."""
    rows = []
    weekly = len(board.span.weeks) <= WEEKLY_CELLS_UP_TO
    for trend in board.exceptions:
        rows.append(
            {
                "trend": trend,
                "opened_url": figure_url(filters, "exceptions", event="opened", code=trend.code),
                "resolved_url": figure_url(filters, "exceptions", event="resolved", code=trend.code),
                "weeks": [
                    WeekCell(
                        trend.opened[index],
                        trend.resolved[index],
                        week_url(filters, "exceptions", week, event="opened", code=trend.code),
                        week_url(filters, "exceptions", week, event="resolved", code=trend.code),
                    )
                    for index, week in enumerate(board.span.weeks)
                ]
                if weekly
                else [],
            }
        )
    return rows
