"""Scoped reads of the spend and leakage report (from the monthly summaries) and of the invoice lines behind each
figure (straight from the records, so a drill-down lists exactly what its figure counts)."""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
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
from vendors.models import Vendor

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


def _rollup(cells: Iterable[tuple[Any, Decimal, int]]) -> dict[Any, list[Any]]:
    """Sum (amount, lines) per key."""
    sums: dict[Any, list[Any]] = {}
    for key, total, count in cells:
        entry = sums.setdefault(key, [ZERO, 0])
        entry[0] += total
        entry[1] += count
    return sums


def _ranked(
    sums: dict[Any, list[Any]], name: Callable[[Any], tuple[str, str, str]], whole: Decimal
) -> tuple[Group, ...]:
    """Groups largest first; `name(key)` gives (drill-down key, label, detail)."""
    groups = [
        Group(*name(key), Decimal(total), int(count), share(Decimal(total), whole))
        for key, (total, count) in sums.items()
    ]
    return tuple(sorted(groups, key=lambda group: (-group.amount, group.label)))


def spend_report(*, filters: ReportFilters) -> SpendReport:
    """Spend by month, vendor, facility and UNSPSC category, the PO-backed share, and leakage by vendor and item:
    four grouped reads of the summaries (months; vendor x facility x category x PO-backed; leakage by vendor x item;
    vendor names), rolled up here."""
    date_from, date_to = whole_months(filters)
    in_range = {"facility_id__in": filters.facility_ids, "month__gte": date_from, "month__lte": date_to}
    by_month: dict[date, dict[bool, Decimal]] = {
        month: {True: ZERO, False: ZERO} for month in months_between(date_from, date_to)
    }
    counts = {True: 0, False: 0}
    spend = SpendMonth.objects.filter(**in_range).order_by()
    for month, po_backed, total, count in spend.values_list("month", "po_backed").annotate(
        total=Sum("amount"), n=Sum("lines")
    ):
        by_month[month][po_backed] += total
        counts[po_backed] += count
    months = tuple(MonthSpend(month, amounts[True], amounts[False]) for month, amounts in sorted(by_month.items()))
    po_backed = sum((month.po_backed for month in months), ZERO)
    non_po = sum((month.non_po for month in months), ZERO)
    whole = po_backed + non_po
    cells = list(
        spend.values_list("vendor_id", "facility_id", "category").annotate(total=Sum("amount"), n=Sum("lines"))
    )
    leaks = list(
        LeakageMonth.objects.filter(**in_range)
        .order_by()
        .values_list("vendor_id", "item")
        .annotate(total=Sum("amount"), n=Sum("lines"))
    )
    vendor_ids = {cell[0] for cell in cells} | {leak[0] for leak in leaks}
    vendors = {
        pk: (name, number)
        for pk, name, number in Vendor.objects.filter(pk__in=vendor_ids - {None}).values_list(
            "pk", "legal_name", "number"
        )
    }
    facilities = {facility.pk: facility for facility in filters.visible}

    def vendor(key: int | None) -> tuple[str, str, str]:
        return (str(key), *vendors[key]) if key is not None else (NONE, "Unknown vendor", "")

    leak_sum = sum((leak[2] for leak in leaks), ZERO)
    by_item = _rollup(((vendor_id, item), total, count) for vendor_id, item, total, count in leaks)
    return SpendReport(
        date_from=date_from,
        date_to=date_to,
        amount=whole,
        lines=counts[True] + counts[False],
        po_backed=po_backed,
        po_backed_lines=counts[True],
        non_po=non_po,
        non_po_lines=counts[False],
        leakage=leak_sum,
        leakage_lines=sum(leak[3] for leak in leaks),
        months=months,
        by_vendor=_ranked(_rollup((c[0], c[3], c[4]) for c in cells), vendor, whole),
        by_facility=_ranked(
            _rollup((c[1], c[3], c[4]) for c in cells),
            lambda key: (str(key), facilities[key].code, facilities[key].name),
            whole,
        ),
        by_category=_ranked(
            _rollup((c[2], c[3], c[4]) for c in cells),
            lambda key: (key, key, "") if key else (NONE, "Uncategorised", ""),
            whole,
        ),
        leakage_by_vendor=_ranked(_rollup((leak[0], leak[2], leak[3]) for leak in leaks), vendor, leak_sum),
        leakage_by_item=_ranked(
            by_item,
            lambda key: (f"{key[0] or NONE}|{key[1]}", key[1], vendor(key[0])[1]),
            leak_sum,
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
        .order_by("-pk")  # newest first, along the primary key: a page never sorts a year of lines
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
    """How many lines a drill-down lists and the sum of their figure, counted from the lines."""
    totals = lines.order_by().aggregate(n=Count("pk"), total=Sum(field))
    return totals["n"], totals["total"] or ZERO


def _whole_months(filters: ReportFilters) -> bool:
    return (filters.date_from, filters.date_to) == whole_months(filters)


def summary_totals(*, filters: ReportFilters, narrowing: LineFilter, leakage: bool) -> tuple[int, Decimal] | None:
    """A drill-down's count and total from the summary the figure came from, when its filters are the summary's
    (whole months; the summary's dimensions): the same numbers as counting the lines (tested), without reading a
    year of them. None when the lines must be counted."""
    if not _whole_months(filters) or (narrowing.item is not None and not leakage):
        return None
    if leakage and (narrowing.category is not None or narrowing.po_backed is not None):
        return None
    model: Any = LeakageMonth if leakage else SpendMonth
    rows = model.objects.filter(
        facility_id__in=filters.facility_ids, month__gte=filters.date_from, month__lte=filters.date_to
    )
    if narrowing.vendor == NONE:
        rows = rows.filter(vendor__isnull=True)
    elif isinstance(narrowing.vendor, int):
        rows = rows.filter(vendor_id=narrowing.vendor)
    if narrowing.category is not None:
        rows = rows.filter(category="" if narrowing.category == NONE else narrowing.category)
    if narrowing.po_backed is not None:
        rows = rows.filter(po_backed=narrowing.po_backed)
    if narrowing.item is not None:
        rows = rows.filter(item=narrowing.item)
    totals = rows.order_by().aggregate(n=Sum("lines"), total=Sum("amount"))
    return totals["n"] or 0, totals["total"] or ZERO
