"""The vendors section's front page: one typo-tolerant search box with live results."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from vendors.access import may_see_tax_id, steward_facilities
from vendors.models import SiteKind, Vendor, VendorSite, VendorStatus
from vendors.selectors import vendor_list
from vendors.views._common import may_govern, page_of, require_vendors, tax_id_for


@dataclass(frozen=True)
class VendorRow:
    """A vendor as the results table shows it."""

    vendor: Vendor
    tax_id: str
    city: str
    state: str


def _row(vendor: Vendor, *, unmasked: bool) -> VendorRow:
    """The table row of one vendor (remit-to place first)."""
    sites: list[VendorSite] = getattr(vendor, "active_sites", [])
    site = next((s for s in sites if s.kind == SiteKind.REMIT_TO), sites[0] if sites else None)
    return VendorRow(
        vendor=vendor,
        tax_id=tax_id_for(vendor, unmasked=unmasked),
        city=site.city if site else "",
        state=site.state if site else "",
    )


@require_GET
@vary_on_headers("HX-Request", "HX-Target")  # the results fragment and the whole page share one URL
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Search the golden supplier master by name (typos forgiven), number or tax id; htmx refreshes the results."""
    user = require_vendors(request)
    query = request.GET.get("q", "").strip()[:200]
    status = request.GET.get("status", "")
    if status not in VendorStatus.values:
        status = ""
    vendors = vendor_list(principal=user, query=query, status=status).prefetch_related(
        Prefetch(
            "sites", queryset=VendorSite.objects.filter(active=True).order_by("kind", "id"), to_attr="active_sites"
        )
    )
    page = page_of(vendors, request)
    unmasked = may_see_tax_id(user)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "query": query,
        "status": status,
        "statuses": VendorStatus.choices,
        "page": page,
        "rows": [_row(vendor, unmasked=unmasked) for vendor in page.object_list],
        "params": params.urlencode(),
        "may_propose": steward_facilities(user).exists(),
        "may_govern": may_govern(user),
    }
    if request.htmx and request.htmx.target == "vendor-results":  # type: ignore[attr-defined]
        return render(request, "vendors/_results.html", context)
    return render(request, "vendors/search.html", context)
