"""Pages of the vendor governance dashboard: the figures, and the drill-down lists where the vendors app has no
page filtered the same way (change requests by facility and age, vendors in cooling-off, vendors by source)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from insights.charts import Series, build_chart
from insights.export import csv_response, wants_csv
from insights.filters import ReportFilters, report_filters
from insights.governance.catalogue import GOVERNANCE_ROLES
from insights.governance.selectors import (
    AGE_BUCKETS,
    BUCKET_KEYS,
    GovernanceFigures,
    governance_change_requests,
    governance_cooling_off_vendors,
    governance_figures,
    governance_source_vendors,
)
from vendors.models import ChangeKind, ChangeStatus
from vendors.selectors import cooling_off_until

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> ReportFilters:
    return report_filters(request, roles=GOVERNANCE_ROLES)


def _link(name: str, **query: Any) -> str:
    """A URL with its query string (empty values left out)."""
    values = {key: str(value) for key, value in query.items() if value not in (None, "")}
    return f"{reverse(name)}?{urlencode(values)}" if values else reverse(name)


def _facility(filters: ReportFilters) -> str:
    return filters.facility.code if filters.facility is not None else ""


def _change_link(filters: ReportFilters, *, kind: str = "", bucket: str = "") -> str:
    """The vendors app's change queue when it lists exactly these requests (every facility I govern, no age), else
    the drill-down of this area, which also filters by facility and age."""
    if filters.facility is None and not bucket:
        return _link("vendors:changes", status=ChangeStatus.PENDING, kind=kind)
    return _link("insights:governance:changes", facility=_facility(filters), kind=kind, bucket=bucket)


def _links(figures: GovernanceFigures, filters: ReportFilters) -> dict[str, Any]:
    """Where every figure leads: the filtered list behind it."""
    facility = _facility(filters)
    return {
        "pending": _change_link(filters),
        "ages": {bucket.key: _change_link(filters, bucket=bucket.key) for bucket in figures.pending_by_age},
        "kinds": {tally.value: _change_link(filters, kind=tally.value) for tally in figures.pending_by_kind},
        "cooling_off": _link("insights:governance:cooling_off", facility=facility),
        "duplicates": {tally.value: _link("vendors:duplicates", status=tally.value) for tally in figures.duplicates},
        "screening": _link("vendors:screening", status="open"),
        "statuses": {tally.value: _link("vendors:index", status=tally.value) for tally in figures.vendors_by_status},
        "sources": {
            tally.value: _link("insights:governance:sources", facility=facility, system=tally.value)
            for tally in figures.vendors_by_source
        },
    }


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponseBase:
    """Vendor governance now: pending change requests by age and kind, cooling-off, duplicates, screening, vendors."""
    filters = _filters(request)
    figures = governance_figures(filters=filters, now=timezone.now())
    links = _links(figures, filters)
    if wants_csv(request):
        return csv_response("vendor-governance", ["figure", "value", "count"], _figure_rows(figures))
    context = {
        "filters": filters,
        "figures": figures,
        "links": links,
        "ages": [(bucket, links["ages"][bucket.key]) for bucket in figures.pending_by_age],
        "kinds": [(tally, links["kinds"][tally.value]) for tally in figures.pending_by_kind],
        "duplicates": [(tally, links["duplicates"][tally.value]) for tally in figures.duplicates],
        "statuses": [(tally, links["statuses"][tally.value]) for tally in figures.vendors_by_status],
        "sources": [(tally, links["sources"][tally.value]) for tally in figures.vendors_by_source],
        "csv_query": urlencode(filters.query(format="csv")),
        "age_chart": build_chart(
            key="pending-age",
            title="Pending change requests by age",
            summary=", ".join(f"{bucket.count} {bucket.label} old" for bucket in figures.pending_by_age),
            categories=[bucket.label for bucket in figures.pending_by_age],
            series=[Series("Pending", tuple(bucket.count for bucket in figures.pending_by_age))],
            links=[links["ages"][bucket.key] for bucket in figures.pending_by_age],
        ),
    }
    return render(request, "insights/governance/dashboard.html", context)


def _figure_rows(figures: GovernanceFigures) -> list[tuple[str, str, int]]:
    """The dashboard's figures as CSV rows."""
    rows: list[tuple[str, str, int]] = [("pending change requests", "all", figures.pending_total)]
    rows += [("pending change requests by age", bucket.label, bucket.count) for bucket in figures.pending_by_age]
    rows += [("pending change requests by kind", tally.label, tally.count) for tally in figures.pending_by_kind]
    rows.append(("bank changes in cooling-off", f"{figures.cooling_off_days} days", figures.cooling_off))
    rows += [("duplicate candidates", tally.label, tally.count) for tally in figures.duplicates]
    rows.append(("screening hits open", "open", figures.screening_open))
    rows += [("vendors by status", tally.label, tally.count) for tally in figures.vendors_by_status]
    rows += [("vendors by source system", tally.label, tally.count) for tally in figures.vendors_by_source]
    return rows


def _hidden(**values: str) -> SafeString:
    """Hidden inputs that keep a drill-down's own filters when the reader changes the facility."""
    kept = [(name, value) for name, value in values.items() if value]
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', kept)


def _page(request: HttpRequest, items: Any) -> Any:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    return params.urlencode()


@require_GET
@login_required
def changes(request: HttpRequest) -> HttpResponseBase:
    """The pending change requests behind a figure: of the chosen facility, kind and age bucket, oldest first."""
    filters = _filters(request)
    bucket = request.GET.get("bucket", "")
    kind = request.GET.get("kind", "")
    if (bucket and bucket not in BUCKET_KEYS) or (kind and kind not in ChangeKind.values):
        raise Http404("No such age bucket or kind of change.")
    now = timezone.now()
    requests = governance_change_requests(filters=filters, now=now, bucket=bucket, kind=kind)
    if wants_csv(request):
        return csv_response(
            "pending-change-requests",
            ["request", "kind", "vendor", "vendor name", "facility", "submitted by", "submitted at", "age (days)"],
            (
                (
                    f"CR-{change.pk}",
                    change.get_kind_display(),
                    change.vendor.number,
                    change.vendor.legal_name,
                    change.facility.code,
                    change.submitted_by.get_username(),
                    change.submitted_at,
                    (now - change.submitted_at).days,
                )
                for change in requests.iterator(chunk_size=2000)
            ),
        )
    labels = {key: label for key, label, _low, _high in AGE_BUCKETS}
    context = {
        "filters": filters,
        "page": (page := _page(request, requests)),
        "rows": [(change, (now - change.submitted_at).days) for change in page.object_list],
        "bucket_label": labels.get(bucket, ""),
        "kind_label": ChangeKind(kind).label if kind else "",
        "extra": _hidden(bucket=bucket, kind=kind),
        "query": _query_without_page(request),
    }
    return render(request, "insights/governance/changes.html", context)


@require_GET
@login_required
def cooling_off(request: HttpRequest) -> HttpResponseBase:
    """Vendors whose bank account changed within the cooling-off period: their invoices are flagged bank_unverified."""
    filters = _filters(request)
    now = timezone.now()
    vendors = governance_cooling_off_vendors(filters=filters, now=now)
    if wants_csv(request):
        return csv_response(
            "bank-changes-in-cooling-off",
            ["vendor", "name", "status", "bank changed at", "cooling-off ends"],
            (
                (vendor.number, vendor.legal_name, vendor.status, vendor.bank_changed_at, cooling_off_until(vendor))
                for vendor in vendors.iterator(chunk_size=2000)
            ),
        )
    page = _page(request, vendors)
    context = {
        "filters": filters,
        "page": page,
        "rows": [(vendor, cooling_off_until(vendor)) for vendor in page.object_list],
        "query": _query_without_page(request),
    }
    return render(request, "insights/governance/cooling_off.html", context)


@require_GET
@login_required
def sources(request: HttpRequest) -> HttpResponseBase:
    """Vendors known to one source system (by its cross-reference), or to none."""
    filters = _filters(request)
    system = request.GET.get("system", "").strip()
    if not system:
        raise Http404("Name a source system.")
    vendors = governance_source_vendors(filters=filters, system=system)
    if wants_csv(request):
        return csv_response(
            f"vendors-from-{system}",
            ["vendor", "name", "status"],
            ((vendor.number, vendor.legal_name, vendor.status) for vendor in vendors.iterator(chunk_size=2000)),
        )
    context = {"filters": filters, "page": _page(request, vendors), "system": system, "extra": _hidden(system=system)}
    context["query"] = _query_without_page(request)
    return render(request, "insights/governance/sources.html", context)
