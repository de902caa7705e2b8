"""In a real Chromium: a person logs in with the keyboard, sees the shell, and logs out."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from p2p_portal.roles import Role
from p2p_portal.services import role_grant
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_a_clerk_logs_in_sees_the_dashboard_and_logs_out(page: Page, live_server, clerk, north, console_errors) -> None:
    role_grant(actor="tests", user=clerk, role=Role.AP_CLERK, facility=north)
    page.goto(f"{live_server.url}/workbench/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/workbench/")
    expect(page.get_by_role("heading", name="P2P Portal")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_focused()

    page.keyboard.type("casey")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/workbench/")
    expect(page.get_by_role("heading", level=1, name="Workbench")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Workbench")).to_have_attribute("aria-current", "page")
    expect(navigation.get_by_role("link", name="Admin")).to_have_count(0)

    navigation.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you, Casey")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")
    assert console_errors == [], "no script errors and no Content-Security-Policy violations"


def test_a_wrong_password_shows_an_error_next_to_the_form(page: Page, live_server, clerk, console_errors) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "login-error.png"))
    assert console_errors == []


def test_the_skip_link_is_the_first_stop_for_keyboard_users(page: Page, live_server, clerk) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
