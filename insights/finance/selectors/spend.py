"""Scoped reads of the spend and leakage report (from the monthly summaries) and of the invoice lines behind each
figure (straight from the records, so a drill-down lists exactly what its figure counts)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from insights.filters import ReportFilters
from insights.finance.definitions import leakage_lines, spend_lines
from insights.finance.models import LeakageMonth, SpendMonth
from insights.finance.selectors.common import NONE, Group, share
from matching.models import InvoiceLine

ZERO = Decimal(0)
TOP = 20  # rows of a breakdown on the page (the CSV has them all)


def whole_months(filters: ReportFilters) -> tuple[date, date]:
    """The report covers whole invoice-date months: from the first of the start's month to the end of the end's."""
    end = filters.date_to
    return filters.date_from.replace(day=1), end.replace(day=calendar.monthrange(end.year, end.month)[1])


def months_between(first: date, last: date) -> list[date]:
    """The first day of every month from first's to last's."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


@dataclass(frozen=True)
class MonthSpend:
    """Paid spend of one month, PO-backed and not."""

    month: date
    po_backed: Decimal
    non_po: Decimal

    @property
    def amount(self) -> Decimal:
        return self.po_backed + self.non_po


@dataclass(frozen=True)
class SpendReport:
    """Paid spend over whole months and the price paid above PO price within it."""

    date_from: date
    date_to: date
    amount: Decimal
    lines: int
    po_backed: Decimal
    po_backed_lines: int
    non_po: Decimal
    non_po_lines: int
    leakage: Decimal
    leakage_lines: int
    months: tuple[MonthSpend, ...]
    by_vendor: tuple[Group, ...]
    by_facility: tuple[Group, ...]
    by_category: tuple[Group, ...]
    leakage_by_vendor: tuple[Group, ...]
    leakage_by_item: tuple[Group, ...]

    @property
    def po_backed_share(self) -> Decimal | None:
        return share(self.po_backed, self.amount)


def _groups(
    rows: Iterable[Mapping[str, Any]], key: str, label: str, detail: str, whole: Decimal, fallback: str
) -> tuple[Group, ...]:
    return tuple(
        Group(
            str(row[key]) if row[key] not in (None, "") else NONE,
            (row[label] if row[label] not in (None, "") else fallback),
            row[detail] or "" if detail else "",
            row["total"],
            row["n"],
            share(row["total"], whole),
        )
        for row in rows
    )


def spend_report(*, filters: ReportFilters) -> SpendReport:
    """Spend by month, vendor, facility and UNSPSC category, the PO-backed share, and leakage by vendor and item."""
    date_from, date_to = whole_months(filters)
    spend = SpendMonth.objects.filter(
        facility_id__in=filters.facility_ids, month__gte=date_from, month__lte=date_to
    ).order_by()
    by_month: dict[date, dict[bool, Decimal]] = {
        month: {True: ZERO, False: ZERO} for month in months_between(date_from, date_to)
    }
    counts = {True: 0, False: 0}
    for row in spend.values("month", "po_backed").annotate(total=Sum("amount"), n=Sum("lines")):
        by_month[row["month"]][row["po_backed"]] += row["total"]
        counts[row["po_backed"]] += row["n"]
    months = tuple(MonthSpend(month, amounts[True], amounts[False]) for month, amounts in sorted(by_month.items()))
    po_backed = sum((month.po_backed for month in months), ZERO)
    non_po = sum((month.non_po for month in months), ZERO)
    whole = po_backed + non_po

    def grouped(*fields: str) -> Iterable[Mapping[str, Any]]:
        rows: Iterable[Mapping[str, Any]] = (
            spend.values(*fields).annotate(total=Sum("amount"), n=Sum("lines")).order_by("-total", *fields)
        )
        return rows

    leak = LeakageMonth.objects.filter(
        facility_id__in=filters.facility_ids, month__gte=date_from, month__lte=date_to
    ).order_by()
    leak_total = leak.aggregate(total=Sum("amount"), n=Sum("lines"))
    return SpendReport(
        date_from=date_from,
        date_to=date_to,
        amount=whole,
        lines=counts[True] + counts[False],
        po_backed=po_backed,
        po_backed_lines=counts[True],
        non_po=non_po,
        non_po_lines=counts[False],
        leakage=leak_total["total"] or ZERO,
        leakage_lines=leak_total["n"] or 0,
        months=months,
        by_vendor=_groups(
            grouped("vendor_id", "vendor__legal_name", "vendor__number"),
            "vendor_id",
            "vendor__legal_name",
            "vendor__number",
            whole,
            "Unknown vendor",
        ),
        by_facility=_groups(
            grouped("facility_id", "facility__code", "facility__name"),
            "facility_id",
            "facility__code",
            "facility__name",
            whole,
            "",
        ),
        by_category=_groups(grouped("category"), "category", "category", "", whole, "Uncategorised"),
        leakage_by_vendor=_groups(
            leak.values("vendor_id", "vendor__legal_name", "vendor__number")
            .annotate(total=Sum("amount"), n=Sum("lines"))
            .order_by("-total", "vendor__legal_name"),
            "vendor_id",
            "vendor__legal_name",
            "vendor__number",
            leak_total["total"] or ZERO,
            "Unknown vendor",
        ),
        leakage_by_item=tuple(
            Group(
                f"{row['vendor_id'] or NONE}|{row['item']}",
                row["item"],
                row["vendor__legal_name"] or "Unknown vendor",
                row["total"],
                row["n"],
                share(row["total"], leak_total["total"] or ZERO),
            )
            for row in leak.values("vendor_id", "vendor__legal_name", "item")
            .annotate(total=Sum("amount"), n=Sum("lines"))
            .order_by("-total", "vendor__legal_name", "item")
        ),
    )


@dataclass(frozen=True)
class LineFilter:
    """What a drill-down narrows the lines to (None: no narrowing; NONE: the records without one)."""

    vendor: int | str | None = None
    category: str | None = None
    po_backed: bool | None = None
    item: str | None = None


def _narrow(lines: QuerySet[InvoiceLine], narrowing: LineFilter) -> QuerySet[InvoiceLine]:
    if narrowing.vendor == NONE:
        lines = lines.filter(invoice__vendor__isnull=True)
    elif narrowing.vendor is not None:
        lines = lines.filter(invoice__vendor_id=narrowing.vendor)
    if narrowing.category is not None:
        lines = lines.filter(Q(category="" if narrowing.category == NONE else narrowing.category))
    if narrowing.po_backed is not None:
        lines = lines.filter(invoice__purchase_order__isnull=not narrowing.po_backed)
    if narrowing.item is not None:
        lines = lines.filter(Q(item=narrowing.item))
    return lines


def spend_line_list(*, filters: ReportFilters, narrowing: LineFilter) -> QuerySet[InvoiceLine]:
    """The paid invoice lines behind a spend figure, newest invoice first."""
    lines = spend_lines(facility_ids=filters.facility_ids, date_from=filters.date_from, date_to=filters.date_to)
    return (
        _narrow(lines, narrowing)
        .select_related("invoice__facility", "invoice__vendor", "match__po_line__purchase_order")
        .order_by("-invoice__invoice_date", "-invoice_id", "line_number")
    )


def leakage_line_list(*, filters: ReportFilters, narrowing: LineFilter) -> QuerySet[InvoiceLine]:
    """The paid invoice lines priced above their PO price behind a leakage figure, largest first."""
    lines = leakage_lines(facility_ids=filters.facility_ids, date_from=filters.date_from, date_to=filters.date_to)
    return (
        _narrow(lines, narrowing)
        .select_related("invoice__facility", "invoice__vendor", "match__po_line__purchase_order")
        .order_by(F("leakage").desc(), "-invoice__invoice_date", "pk")
    )


def line_totals(lines: QuerySet[InvoiceLine], field: str) -> tuple[int, Decimal]:
    """How many lines a drill-down lists and the sum of their figure."""
    totals = lines.order_by().aggregate(n=Count("pk"), total=Sum(field))
    return totals["n"], totals["total"] or ZERO
