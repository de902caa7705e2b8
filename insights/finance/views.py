"""Pages of the finance reports: accruals as of a date and spend and leakage over whole months, each figure linked
to the drill-down list of the records behind it; every table also as CSV (`?format=csv&table=...`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET

from insights.export import csv_response, wants_csv
from insights.filters import ReportFilters, report_filters
from insights.finance import presentation as shown
from insights.finance.catalogue import ACCRUAL_ROLES, SPEND_ROLES
from insights.finance.models import SummaryKind
from insights.finance.selectors.accruals import accrual_lines, accrual_lines_totals, accrual_report
from insights.finance.selectors.common import NONE, optional_id, summary_refresh
from insights.finance.selectors.spend import (
    LineFilter,
    leakage_line_list,
    line_totals,
    spend_line_list,
    spend_report,
    summary_totals,
    whole_months,
)

PAGE_SIZE = 50


def _as_of_field(filters: ReportFilters) -> str:
    """The accrual report's one date, named `to` so the shared filters parse and validate it."""
    invalid = ' aria-invalid="true"' if filters.errors.get("to") else ""
    return format_html(
        '<label>As of <input type="date" name="to" value="{}"{}></label>', filters.date_to.isoformat(), invalid
    )


class Counted:
    """A queryset whose row count is already known (from the drill-down's totals), so paging does not count again."""

    def __init__(self, rows: Any, count: int) -> None:
        self.rows, self.known = rows, count

    def count(self) -> int:
        return self.known

    def __len__(self) -> int:
        return self.known

    def __getitem__(self, index: Any) -> Any:
        # A page in two steps: the ids in order (an index can answer that), then only those rows with their joins.
        ids = list(self.rows.values_list("pk", flat=True)[index])
        found = {row.pk: row for row in self.rows.order_by().filter(pk__in=ids)}
        return [found[pk] for pk in ids]


def _page(request: HttpRequest, rows: Any) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
@login_required
def accruals(request: HttpRequest) -> HttpResponseBase:
    """Received-not-invoiced as of a date (default today) by facility, cost center and vendor."""
    filters = report_filters(request, roles=ACCRUAL_ROLES)
    as_of = filters.date_to
    report = accrual_report(filters=filters, as_of=as_of)
    tables = {
        "facility": shown.accrual_rows(filters, as_of, report.by_facility, "facility"),
        "cost_center": shown.accrual_rows(filters, as_of, report.by_cost_center, "cost_center"),
        "vendor": shown.accrual_rows(filters, as_of, report.by_vendor, "vendor"),
    }
    if wants_csv(request):
        table = request.GET.get("table", "facility")
        if table not in tables:
            raise Http404("No such table.")
        groups = [group for group, _href in tables[table]]
        first, detail = {"facility": ("Facility", "Name"), "cost_center": ("Cost center", "Facility · name"),
                         "vendor": ("Vendor", "Number")}[table]  # fmt: skip
        header, rows = shown.group_csv(groups, first, detail)
        return csv_response(f"accruals-{table}-{as_of.isoformat()}", header, rows)
    return render(
        request,
        "insights/finance/accruals.html",
        {
            "filters": filters,
            "as_of": as_of,
            "as_of_field": _as_of_field(filters),
            "report": report,
            "tables": tables,
            "chart": shown.accrual_chart(tables["facility"], as_of),
            "all_lines": shown.accrual_link(filters, as_of),
            "fresh": shown.freshness(summary_refresh(SummaryKind.ACCRUALS)),
            "csv": {name: "?" + _csv_query(filters, table=name) for name in tables},
        },
    )


def _csv_query(filters: ReportFilters, **extra: str) -> str:
    return urlencode(filters.query(format="csv", **extra))


ACCRUAL_HEADER = [
    "Facility", "PO", "Line", "Item", "Description", "Vendor", "Vendor number", "Cost center", "Received",
    "Invoiced", "Accrued quantity", "Unit", "Unit price", "Amount", "Accruing since",
]  # fmt: skip


def _accrual_cells(row: Any) -> list[Any]:
    line = row.po_line
    return [
        row.facility.code, line.purchase_order.number, line.line_number, line.item_code, line.description,
        row.vendor.legal_name, row.vendor.number, row.cost_center.code if row.cost_center else "",
        row.quantity_received, row.quantity_invoiced, row.quantity, line.unit_of_measure, line.unit_price,
        row.amount, row.valid_from,
    ]  # fmt: skip


@require_GET
@login_required
def accrual_lines_page(request: HttpRequest) -> HttpResponseBase:
    """The PO lines behind an accrual figure: as of the date, at the facility, cost center and vendor given."""
    filters = report_filters(request, roles=ACCRUAL_ROLES)
    as_of = filters.date_to
    cost_center = optional_id(request.GET.get("cost_center"))
    vendor = optional_id(request.GET.get("vendor"))
    rows = accrual_lines(filters=filters, as_of=as_of, cost_center=cost_center, vendor=vendor)
    if wants_csv(request):
        return csv_response(f"accrual-lines-{as_of.isoformat()}", ACCRUAL_HEADER, (_accrual_cells(r) for r in rows))
    count, amount = accrual_lines_totals(rows)
    page = _page(request, Counted(rows, count))
    narrowed = {"cost_center": request.GET.get("cost_center", ""), "vendor": request.GET.get("vendor", "")}
    return render(
        request,
        "insights/finance/accrual_lines.html",
        {
            "filters": filters,
            "as_of": as_of,
            "as_of_field": _as_of_field(filters) + _hidden(narrowed),
            "count": count,
            "amount": amount,
            "page": page,
            "narrowed_to": _narrowed_to(page, cost_center=cost_center, vendor=vendor),
            "report_url": shown.link("accruals", facility=shown.facility_code(filters), to=as_of.isoformat()),
            "csv_url": "?" + _csv_query(filters, **narrowed),
            "fresh": shown.freshness(summary_refresh(SummaryKind.ACCRUALS)),
        },
    )


def _hidden(values: dict[str, str]) -> str:
    """The drill-down's narrowing, kept when its filters are changed."""
    kept = [(name, value) for name, value in values.items() if value]
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', kept)


def _narrowed_to(page: Any, **narrowing: Any) -> list[str]:
    """Words for what a drill-down is narrowed to, named from its first row (all rows share it)."""
    words = []
    first = page.object_list[0] if page.object_list else None
    if narrowing.get("cost_center") == NONE:
        words.append("no cost center")
    elif narrowing.get("cost_center") is not None and first is not None:
        words.append(f"cost center {first.cost_center.code}")
    if narrowing.get("vendor") is not None and first is not None:
        words.append(f"vendor {first.vendor.legal_name}")
    return words


@require_GET
@login_required
def spend(request: HttpRequest) -> HttpResponseBase:
    """Paid spend and leakage over whole months (default: the last twelve)."""
    filters = report_filters(request, roles=SPEND_ROLES, default_days=365)
    report = spend_report(filters=filters)
    tables = {
        "months": None,
        "vendors": report.by_vendor,
        "facilities": report.by_facility,
        "categories": report.by_category,
        "leakage_vendors": report.leakage_by_vendor,
        "leakage_items": report.leakage_by_item,
    }
    if wants_csv(request):
        return _spend_csv(request, report, tables)
    link = shown.spend_link
    months = list(
        zip(report.months, shown.month_links(report, filters), shown.month_links(report, filters, po="yes"),
            shown.month_links(report, filters, po="no"), strict=True)
    )  # fmt: skip
    return render(
        request,
        "insights/finance/spend.html",
        {
            "filters": filters,
            "report": report,
            "charts": shown.spend_charts(report, filters),
            "months": months,
            "vendors": [(g, link(report, filters, vendor=g.key)) for g in report.by_vendor[: shown.TOP]],
            "facilities": [(g, link(report, filters, facility=g.label)) for g in report.by_facility],
            "categories": [(g, link(report, filters, category=g.key)) for g in report.by_category[: shown.TOP]],
            "leakage_vendors": [
                (g, link(report, filters, name="leakage_lines", vendor=g.key)) for g in report.leakage_by_vendor
            ],
            "leakage_items": [
                (g, link(report, filters, name="leakage_lines", vendor=g.key.split("|", 1)[0], item=g.label))
                for g in report.leakage_by_item[: shown.TOP]
            ],
            "links": {
                "all": link(report, filters),
                "po": link(report, filters, po="yes"),
                "non_po": link(report, filters, po="no"),
                "leakage": link(report, filters, name="leakage_lines"),
            },
            "counts": {name: len(groups) for name, groups in tables.items() if groups is not None},
            "csv": {name: "?" + _csv_query(filters, table=name) for name in tables},
            "fresh": shown.freshness(summary_refresh(SummaryKind.SPEND)),
            "top": shown.TOP,
        },
    )


def _spend_csv(request: HttpRequest, report: Any, tables: dict[str, Any]) -> HttpResponseBase:
    table = request.GET.get("table", "months")
    if table not in tables:
        raise Http404("No such table.")
    name = f"spend-{table}-{report.date_from:%Y-%m}-{report.date_to:%Y-%m}"
    if table == "months":
        header = ["Month", "PO-backed", "Non-PO", "Paid spend"]
        return csv_response(
            name, header, ([f"{m.month:%Y-%m}", m.po_backed, m.non_po, m.amount] for m in report.months)
        )
    first, detail = {
        "vendors": ("Vendor", "Number"), "facilities": ("Facility", "Name"), "categories": ("UNSPSC", ""),
        "leakage_vendors": ("Vendor", "Number"), "leakage_items": ("Item", "Vendor"),
    }[table]  # fmt: skip
    header, rows = shown.group_csv(tables[table], first, detail)
    return csv_response(name, header, rows)


def _line_filter(request: HttpRequest) -> LineFilter:
    po = request.GET.get("po")
    category = request.GET.get("category") or None
    return LineFilter(
        vendor=optional_id(request.GET.get("vendor")),
        category=category,
        po_backed={"yes": True, "no": False}.get(po or ""),
        item=request.GET.get("item") or None,
    )


SPEND_HEADER = [
    "Invoice date", "Invoice", "Type", "Status", "Facility", "Vendor", "Vendor number", "PO", "PO line", "UNSPSC",
    "Line", "Description", "Quantity", "Unit price", "Paid spend",
]  # fmt: skip
LEAKAGE_HEADER = [
    "Invoice date", "Invoice", "Status", "Facility", "Vendor", "Vendor number", "PO", "PO line", "Item", "Quantity",
    "Invoice unit price", "PO unit price", "Above PO price per unit", "Leakage",
]  # fmt: skip


def _spend_cells(line: Any) -> list[Any]:
    invoice, match = line.invoice, getattr(line, "match", None)
    po_line = match.po_line if match else None
    return [
        invoice.invoice_date, invoice.invoice_number, invoice.get_document_type_display(), invoice.status,
        invoice.facility.code, invoice.vendor.legal_name if invoice.vendor else "Unknown vendor",
        invoice.vendor.number if invoice.vendor else "", invoice.po_number,
        po_line.line_number if po_line else "", line.category, line.line_number, line.description,
        line.quantity, line.unit_price, line.spend,
    ]  # fmt: skip


def _leakage_cells(line: Any) -> list[Any]:
    invoice, match = line.invoice, line.match
    return [
        invoice.invoice_date, invoice.invoice_number, invoice.status, invoice.facility.code,
        invoice.vendor.legal_name if invoice.vendor else "Unknown vendor",
        invoice.vendor.number if invoice.vendor else "", match.po_line.purchase_order.number,
        match.po_line.line_number, line.item, match.quantity, line.unit_price, match.po_line.unit_price,
        match.price_variance, line.leakage,
    ]  # fmt: skip


# Columns a drill-down right-aligns and prints as numbers.
NUMERIC = frozenset(
    {"Quantity", "Unit price", "Paid spend", "Invoice unit price", "PO unit price", "Above PO price per unit",
     "Leakage"}
)  # fmt: skip


def _shown(value: Any) -> str:
    """A cell as the page prints it: ISO dates, quantities without trailing zeros (at least two decimals)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        trimmed = value.normalize()
        return f"{trimmed:,.2f}" if -trimmed.as_tuple().exponent <= 2 else f"{trimmed:,}"  # type: ignore[operator]
    return str(value)


def _shown_row(header: list[str], values: list[Any]) -> list[tuple[str, bool]]:
    return [(_shown(value), name in NUMERIC) for name, value in zip(header, values, strict=True)]


def _lines_page(request: HttpRequest, *, leakage: bool) -> HttpResponseBase:
    filters = report_filters(request, roles=SPEND_ROLES, default_days=365)
    if not request.GET.get("from") and not request.GET.get("to"):
        # Unfiltered, a list covers the report's default whole months (and counts from its summary).
        first, last = whole_months(filters)
        filters = replace(filters, date_from=first, date_to=last)
    narrowing = _line_filter(request)
    select = leakage_line_list if leakage else spend_line_list
    lines = select(filters=filters, narrowing=narrowing)
    header, cells, figure = (
        (LEAKAGE_HEADER, _leakage_cells, "leakage") if leakage else (SPEND_HEADER, _spend_cells, "spend")
    )
    if wants_csv(request):
        name = f"{figure}-lines-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}"
        return csv_response(name, header, (cells(line) for line in lines))
    totals = summary_totals(filters=filters, narrowing=narrowing, leakage=leakage)
    count, amount = totals if totals is not None else line_totals(lines, figure)
    page = _page(request, Counted(lines, count))
    kept = {name: request.GET.get(name, "") for name in ("vendor", "category", "po", "item")}
    return render(
        request,
        "insights/finance/lines.html",
        {
            "filters": filters,
            "leakage": leakage,
            "header": [(name, name in NUMERIC) for name in header],
            "rows": [_shown_row(header, cells(line)) for line in page.object_list],
            "count": count,
            "amount": amount,
            "page": page,
            "narrowing": narrowing,
            "narrowed_vendor": _vendor_name(page, narrowing),
            "extra": _hidden(kept),
            "report_url": shown.link("spend", **filters.query()),
            "csv_url": "?" + _csv_query(filters, **kept),
        },
    )


def _vendor_name(page: Any, narrowing: LineFilter) -> str:
    if narrowing.vendor == NONE:
        return "Unknown vendor"
    if narrowing.vendor is None or not page.object_list:
        return ""
    vendor = page.object_list[0].invoice.vendor
    return vendor.legal_name if vendor else ""


@require_GET
@login_required
def spend_lines_page(request: HttpRequest) -> HttpResponseBase:
    """The paid invoice lines behind a spend figure (dates, facility, vendor, category, PO-backed or not)."""
    return _lines_page(request, leakage=False)


@require_GET
@login_required
def leakage_lines_page(request: HttpRequest) -> HttpResponseBase:
    """The paid invoice lines priced above their PO price behind a leakage figure (vendor, item)."""
    return _lines_page(request, leakage=True)
