"""The insights index: the reports this person may open."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from insights.catalogue import READER_ROLES, reports_for
from p2p_portal.selectors import facilities_for


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Every report open to the reader's roles; 403 for someone who holds none of the reporting roles."""
    if not facilities_for(request.user, READER_ROLES).exists():
        raise PermissionDenied("Insights are for AP managers, procurement admins, vendor stewards and auditors.")
    return render(request, "insights/index.html", {"reports": reports_for(request.user)})
