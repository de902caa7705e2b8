"""Platform pages: the dashboard and the section overviews."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_http_methods
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error

from p2p_portal.api.errors import api_not_found, api_server_error
from p2p_portal.navigation import SECTIONS_BY_KEY, section_allowed, sections_for
from p2p_portal.selectors import notification_list, system_status
from p2p_portal.services import notifications_mark_read


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (the admin): send them to our logo.

    The static URL is looked up per request: in production it needs the collectstatic manifest.
    """
    return HttpResponsePermanentRedirect(static("img/logo.svg"))


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Home page: what each section does (and what is coming), and the state of the installation."""
    sections = [section for section in sections_for(request) if section.key != "admin"]
    return render(request, "p2p_portal/dashboard.html", {"sections": sections, "status": system_status()})


def render_section(request: HttpRequest, key: str) -> HttpResponse:
    """Render a section's overview page (used by each app until its own pages land); only for its roles."""
    section = SECTIONS_BY_KEY[key]
    if not section_allowed(request.user, section):
        raise PermissionDenied(f"The {section.label} section is not open to your roles.")
    return render(request, "p2p_portal/section.html", {"section": section})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404: problem+json under /api/, the friendly page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: problem+json under /api/, the friendly page elsewhere."""
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return default_server_error(request)


@require_http_methods(["GET", "POST"])
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """What the portal told me (approvals waiting, reminders, escalations, decisions); POST marks them read."""
    if request.method == "POST":
        notifications_mark_read(user=request.user)  # type: ignore[arg-type]  # login_required: a User
        return redirect("notifications")
    items = notification_list(user=request.user)[:100]
    return render(request, "p2p_portal/notifications.html", {"items": items})
