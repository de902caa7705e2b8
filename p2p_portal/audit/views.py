"""Audit pages: the filtered trail, one record's history, CSV export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from p2p_portal.audit.entries import AuditFilters, audit_entries, audit_entries_page, may_read_audit_trail
from p2p_portal.audit.export import csv_lines
from p2p_portal.audit.forms import AuditFilterForm
from p2p_portal.audit.selectors import audit_chain_verify


def _require_reader(request: HttpRequest) -> None:
    if not may_read_audit_trail(request.user):
        raise PermissionDenied("The audit trail is for auditors and managers.")


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_GET
@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first, filtered by record, actor, facility and dates."""
    _require_reader(request)
    form = AuditFilterForm(request.GET or None, principal=request.user)
    page = _page_number(request)
    entries, has_next = audit_entries_page(principal=request.user, filters=form.filters(), page=page)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "entries": entries, "page": page, "has_next": has_next, "query": query.urlencode()}
    template = "audit/_entries.html" if request.htmx else "audit/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@login_required
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered trail as CSV (the same filters as the page)."""
    _require_reader(request)
    form = AuditFilterForm(request.GET or None, principal=request.user)
    entries = audit_entries(principal=request.user, filters=form.filters())
    response = StreamingHttpResponse(csv_lines(entries), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response


@require_GET
@login_required
def audit_object(request: HttpRequest, model_label: str, object_id: str) -> HttpResponse:
    """Every change of one record, newest first; a record the reader may not see does not exist (404)."""
    _require_reader(request)
    entries = list(
        audit_entries(principal=request.user, filters=AuditFilters(object_type=model_label, object_id=object_id))
    )
    if not entries:
        raise Http404("No such record in your audit trail.")
    query = urlencode({"object_type": model_label, "object_id": object_id})
    return render(request, "audit/object.html", {"entries": entries, "subject": entries[0], "query": query})


@require_GET
@login_required
def audit_chain(request: HttpRequest) -> HttpResponse:
    """Re-compute the hash chains now and show, per table, rows verified, rows not sealed yet and the head hash."""
    _require_reader(request)
    report = audit_chain_verify()
    return render(request, "audit/_chain.html", {"report": report, "checked_at": timezone.now()})
