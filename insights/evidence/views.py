"""The control evidence pack: one page with a section per control (capped, each with its full CSV), the zip of
every section with a manifest, and a button that verifies the audit chain now."""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from insights.evidence.catalogue import EVIDENCE_ROLES
from insights.evidence.models import ChainVerification
from insights.evidence.selectors import (
    CHAIN_HEADER,
    Section,
    chain_rows,
    chain_verification_latest,
    evidence_download_list,
    evidence_sections,
)
from insights.evidence.services import chain_verification_run, evidence_download_record, evidence_pack_build
from insights.export import cell, csv_response, wants_csv
from insights.filters import ReportFilters, report_filters
from p2p_portal.errors import ApplicationError

# Rows of each section shown on the page; the rest are in its CSV and in the zip.
PAGE_ROWS = 25
RECENT_DOWNLOADS = 10


def _filters(request: HttpRequest) -> ReportFilters:
    return report_filters(request, roles=EVIDENCE_ROLES, default_days=31)


def _person(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # login_required ran first; this only narrows the type
        raise PermissionDenied("Sign in first.")
    return user


@require_GET
@login_required
def pack(request: HttpRequest) -> HttpResponseBase:
    """Every control's evidence for the period, a section per control; `?section=<key>&format=csv` is its file."""
    filters = _filters(request)
    sections = evidence_sections(filters=filters)
    verification = chain_verification_latest()
    if wants_csv(request):
        return _section_csv(request, filters, sections, verification)
    query = filters.query()
    context = {
        "filters": filters,
        "sections": [
            {
                "section": section,
                "count": section.count(),
                "rows": [[cell(value) for value in row] for row in section.rows(limit=PAGE_ROWS)],
                "csv": "?" + urlencode({**query, "section": section.key, "format": "csv"}),
            }
            for section in sections
        ],
        "page_rows": PAGE_ROWS,
        "verification": verification,
        "chain_header": CHAIN_HEADER,
        "chain_rows": [[cell(value) for value in row] for row in chain_rows(verification)] if verification else [],
        "chain_csv": "?" + urlencode({**query, "section": "audit_chain", "format": "csv"}),
        "downloads": evidence_download_list(filters=filters, limit=RECENT_DOWNLOADS),
        "query": urlencode(query),
    }
    return render(request, "insights/evidence/pack.html", context)


def _section_csv(
    request: HttpRequest, filters: ReportFilters, sections: list[Section], verification: ChainVerification | None
) -> HttpResponseBase:
    """One section of the pack as the CSV the zip holds, recorded as a download."""
    key = request.GET.get("section", "")
    stem = f"{key}-{filters.date_from.isoformat()}-{filters.date_to.isoformat()}"
    if key == "audit_chain":
        if verification is None:
            raise Http404("The audit chain has not been verified yet.")
        evidence_download_record(actor=_person(request), filters=filters, what=key)
        return csv_response(stem, CHAIN_HEADER, chain_rows(verification))
    section = next((candidate for candidate in sections if candidate.key == key), None)
    if section is None:
        raise Http404("No such section of the evidence pack.")
    evidence_download_record(actor=_person(request), filters=filters, what=key)
    return csv_response(stem, section.header, section.rows())


@require_POST
@login_required
def pack_download(request: HttpRequest) -> HttpResponseBase:
    """The whole pack for the period as one zip (a CSV per control, the chain verification, a manifest)."""
    filters = _post_filters(request)
    try:
        built = evidence_pack_build(actor=_person(request), filters=filters)
    except ApplicationError as refusal:
        messages.error(request, refusal.message)
        return redirect(f"{reverse('insights:evidence:pack')}?{urlencode(filters.query())}")
    response = HttpResponse(built.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{built.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _post_filters(request: HttpRequest) -> ReportFilters:
    """The filters of a POST form (the same fields as the page's query string)."""
    posted = copy.copy(request)  # report_filters reads the query string; the form posts the same fields
    posted.GET = request.POST
    return report_filters(posted, roles=EVIDENCE_ROLES, default_days=31)


@require_POST
@login_required
def chain_verify(request: HttpRequest) -> HttpResponseBase:
    """Verify the audit chain now, then back to the pack with the result."""
    filters = _post_filters(request)
    verification = chain_verification_run(actor=_person(request))
    if verification.ok:
        messages.success(request, f"Audit chain intact: {verification.verified} rows verified.")
    else:
        messages.error(request, "The audit chain is broken: see the table below.")
    return redirect(f"{reverse('insights:evidence:pack')}?{urlencode(filters.query())}#audit-chain")
