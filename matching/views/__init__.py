"""Pages of the workbench section."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from p2p_portal.views import render_section


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The section's overview page."""
    return render_section(request, "workbench")
