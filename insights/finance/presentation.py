"""What the finance pages show besides the numbers: the links from each figure to its lines, the charts, the
freshness line and the CSV tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from insights.charts import Chart, Series, build_chart
from insights.filters import ReportFilters
from insights.finance.models import SummaryRefresh
from insights.finance.selectors.common import NONE, REFRESH_MINUTES, Group
from insights.finance.selectors.spend import MonthSpend, SpendReport

CHART_TOP = 10  # vendors in the top-vendors chart
TOP = 20  # rows of a breakdown on the page (its CSV has them all)


def link(name: str, **query: Any) -> str:
    """A page of this area with its query string (empty values left out)."""
    values = {key: str(value) for key, value in query.items() if value not in (None, "")}
    return (
        f"{reverse(f'insights:finance:{name}')}?{urlencode(values)}" if values else reverse(f"insights:finance:{name}")
    )


def facility_code(filters: ReportFilters) -> str:
    return filters.facility.code if filters.facility is not None else ""


@dataclass(frozen=True)
class Freshness:
    """How fresh a summary is, as the page says it."""

    refreshed_at: Any
    built: bool
    every_minutes: int = REFRESH_MINUTES


def freshness(refresh: SummaryRefresh | None) -> Freshness:
    return Freshness(timezone.localtime(refresh.refreshed_at) if refresh else None, refresh is not None)


def accrual_link(filters: ReportFilters, as_of: date, **narrowing: Any) -> str:
    """The PO lines behind an accrual figure."""
    return link("accrual_lines", facility=facility_code(filters), to=as_of.isoformat(), **narrowing)


def accrual_rows(filters: ReportFilters, as_of: date, groups: Sequence[Group], by: str) -> list[tuple[Group, str]]:
    """Each breakdown row with the link to its lines; `by` is facility, cost_center or vendor."""
    rows = []
    for group in groups:
        if by == "facility":
            href = link("accrual_lines", facility=group.label, to=as_of.isoformat())
        elif group.facility:
            href = link("accrual_lines", facility=group.facility, to=as_of.isoformat(), **{by: group.key})
        else:
            href = accrual_link(filters, as_of, **{by: group.key})
        rows.append((group, href))
    return rows


def spend_link(
    report: SpendReport,
    filters: ReportFilters,
    *,
    first: date | None = None,
    last: date | None = None,
    name: str = "spend_lines",
    facility: str | None = None,
    **narrowing: Any,
) -> str:
    """The invoice lines behind a spend or leakage figure (the report's whole months unless a month is given; the
    report's facility unless one is given)."""
    return link(
        name,
        facility=facility if facility is not None else facility_code(filters),
        **{"from": (first or report.date_from).isoformat(), "to": (last or report.date_to).isoformat()},
        **narrowing,
    )


def month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def month_links(report: SpendReport, filters: ReportFilters, **narrowing: Any) -> list[str]:
    return [spend_link(report, filters, first=m.month, last=month_end(m.month), **narrowing) for m in report.months]


def spend_charts(report: SpendReport, filters: ReportFilters) -> dict[str, Chart]:
    """Monthly spend (PO-backed and not), the PO-backed share by month, and the top vendors."""
    labels = [month.month.strftime("%b %y") for month in report.months]
    busiest: MonthSpend | None = max(report.months, key=lambda m: m.amount, default=None)
    monthly = build_chart(
        key="monthly",
        title="Paid spend by month",
        summary=f"Paid spend per month from {labels[0]} to {labels[-1]}, PO-backed and non-PO; "
        + (f"the largest month is {busiest.month:%B %Y}." if busiest and busiest.amount else "no spend."),
        categories=labels,
        series=[
            Series("PO-backed", tuple(month.po_backed for month in report.months)),
            Series("Non-PO", tuple(month.non_po for month in report.months)),
        ],
        unit="$",
        links=month_links(report, filters),
    )
    shares = tuple((100 * month.po_backed / month.amount) if month.amount else None for month in report.months)
    share_chart = build_chart(
        key="share",
        title="PO-backed share of paid spend by month",
        summary=f"The share of paid spend backed by a purchase order, month by month; over the period "
        f"{report.po_backed_share if report.po_backed_share is not None else '—'} %.",
        categories=labels,
        series=[Series("PO-backed share", shares)],
        kind="line",
        unit="%",
        links=month_links(report, filters, po="yes"),
    )
    top = report.by_vendor[:CHART_TOP]
    vendors = build_chart(
        key="vendors",
        title=f"Top {len(top)} vendors by paid spend",
        summary="The vendors paid most over the period: "
        + ", ".join(f"{group.label} {group.amount:,.2f}" for group in top[:3])
        + ("." if top else "none."),
        categories=[_short(group.label) for group in top],
        series=[Series("Paid spend", tuple(group.amount for group in top))],
        unit="$",
        links=[spend_link(report, filters, vendor=group.key) for group in top],
    )
    return {"monthly": monthly, "share": share_chart, "vendors": vendors}


def _short(label: str, room: int = 16) -> str:
    """A category label that fits under its bar (the chart's table has it whole)."""
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def accrual_chart(groups: Sequence[tuple[Group, str]], as_of: date) -> Chart:
    """Accrued amount by facility."""
    return build_chart(
        key="accrual-facilities",
        title=f"Accrued by facility as of {as_of:%d %b %Y}",
        summary="Received-not-invoiced amount per facility: "
        + ", ".join(f"{group.label} {group.amount:,.2f}" for group, _href in groups)
        + ("." if groups else "none."),
        categories=[group.label for group, _href in groups],
        series=[Series("Accrued", tuple(group.amount for group, _href in groups))],
        unit="$",
        links=[href for _group, href in groups],
    )


def group_csv(groups: Sequence[Group], first: str, detail: str) -> tuple[list[str], list[list[Any]]]:
    """A breakdown as a CSV table (key kept so the rows can be joined to the lines' CSV)."""
    header = [first, detail, "Amount", "Lines", "Share %", "Key"]
    rows = [[g.label, g.detail, g.amount, g.count, g.share, "" if g.key == NONE else g.key] for g in groups]
    return header, rows
