"""Every page of the shell, by persona: who may open it, who is sent to log in, and what it sends back."""

from __future__ import annotations

import pytest
from django.test import Client

from p2p_portal.services import task_heartbeat_record

pytestmark = pytest.mark.django_db

SECTION_PAGES = ["/", "/workbench/", "/vendors/", "/approvals/", "/integrations/", "/audit/"]


@pytest.mark.parametrize("path", SECTION_PAGES)
def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_a_signed_in_user_without_roles_sees_only_the_dashboard(clerk_client: Client) -> None:
    page = clerk_client.get("/").content.decode()
    assert "Good to see you" in page
    for label in ("Workbench", "Vendors", "Approvals", "Integrations", "Audit", "Admin"):
        assert f"<span>{label}</span>" not in page
    assert clerk_client.get("/workbench/").status_code == 403


def test_the_admin_is_for_staff_only(client: Client, clerk_client: Client, staff_client: Client) -> None:
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert clerk_client.get("/admin/")["Location"].startswith("/admin/login/")
    assert staff_client.get("/admin/").status_code == 200


def test_a_superuser_sees_every_section_and_admin(staff_client: Client) -> None:
    page = staff_client.get("/").content.decode()
    for label in ("Workbench", "Vendors", "Approvals", "Integrations", "Audit", "Admin"):
        assert f"<span>{label}</span>" in page
    assert staff_client.get("/vendors/").status_code == 200
    assert b'aria-current="page"' in staff_client.get("/vendors/").content


def test_the_dashboard_says_how_background_tasks_run(clerk_client: Client, settings) -> None:
    settings.CELERY_BROKER_URL = None
    assert "tasks run inside web requests" in clerk_client.get("/").content.decode()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    assert "start a Celery worker and beat" in clerk_client.get("/").content.decode()
    task_heartbeat_record(name="periodic", hostname="worker-1")
    assert "Workers running" in clerk_client.get("/").content.decode()


def test_pages_are_sent_with_a_strict_content_security_policy(clerk_client: Client) -> None:
    response = clerk_client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_logout_is_a_post_and_ends_the_session(clerk_client: Client) -> None:
    assert clerk_client.get("/logout/").status_code == 405, "a link or an image cannot log a user out"
    response = clerk_client.post("/logout/")
    assert response["Location"] == "/login/"
    assert clerk_client.get("/").status_code == 302


def test_login_is_protected_by_csrf(clerk) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "casey", "password": "correct-horse-battery-9"})
    assert response.status_code == 403


def test_a_wrong_password_is_refused_with_a_message(client: Client, clerk) -> None:
    response = client.post("/login/", {"username": "casey", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_static_files_come_from_the_portal_itself(client: Client) -> None:
    css = client.get("/static/css/portal.css")
    assert css.status_code == 200
    htmx = client.get("/static/django_htmx/htmx-2.min.js")
    assert htmx.status_code == 200
    page = client.get("/login/").content.decode()
    assert 'src="/static/django_htmx/htmx-2.min.js"' in page
    assert "https://" not in page, "no CDN: hospital networks block them"


def test_an_unknown_page_is_a_friendly_404(clerk_client: Client) -> None:
    response = clerk_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_heartbeats_are_read_only_in_the_admin(staff_client: Client) -> None:
    heartbeat = task_heartbeat_record(name="periodic", hostname="worker-1")
    assert staff_client.get("/admin/p2p_portal/taskheartbeat/").status_code == 200
    assert staff_client.get("/admin/p2p_portal/taskheartbeat/add/").status_code == 403
    page = staff_client.get(f"/admin/p2p_portal/taskheartbeat/{heartbeat.pk}/change/").content.decode()
    assert 'name="hostname"' not in page, "no editable field"


def test_the_favicon_is_our_logo(client: Client) -> None:
    assert client.get("/favicon.ico")["Location"] == "/static/img/logo.svg"
