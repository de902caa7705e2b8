"""In a real Chromium: a procurement admin is made to set up TOTP at first login, then to enter a code at the next."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from p2p_portal.roles import Role
from p2p_portal.services import facility_create, role_grant
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"
STEP = 30


def _code(key: bytes, not_before_step: int) -> tuple[str, int]:
    """The code an authenticator shows now (or at the first step not used yet), and its time step."""
    totp = TOTP(key, step=STEP)
    totp.time = max(time.time(), not_before_step * STEP)
    return f"{totp.token():06d}", totp.t()


def _log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_procurement_admin_enrols_at_first_login_and_verifies_at_the_next(
    page: Page, live_server, settings, console_errors
) -> None:
    settings.OTP_REQUIRED = True
    north = facility_create(actor="tests", code="NORTH", name="North General Hospital")
    role_grant(actor="tests", user=make_user("pat"), role=Role.PROCUREMENT_ADMIN, facility=north)
    SCREENSHOTS.mkdir(exist_ok=True)

    _log_in(page, live_server.url)

    expect(page).to_have_url(f"{live_server.url}/account/two-factor/?next=%2F")
    expect(page.get_by_role("heading", level=1, name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "two-factor-enrol.png"), full_page=True)

    secret = page.locator("#totp-secret").inner_text()
    key = b32decode(re.sub(r"\s", "", secret) + "=" * (-len(re.sub(r"\s", "", secret)) % 8))
    code, used_step = _code(key, not_before_step=0)
    page.get_by_label("Enter the 6-digit code the app shows").fill(code)
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good to see you, Pat")
    expect(page.get_by_role("status")).to_contain_text("Two-factor authentication is on")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/login/")
    _log_in(page, live_server.url)

    expect(page).to_have_url(f"{live_server.url}/account/two-factor/verify/?next=%2F")
    page.goto(f"{live_server.url}/account/")
    expect(page).to_have_url(f"{live_server.url}/account/two-factor/verify/?next=%2Faccount%2F")
    expect(page.get_by_label("Code")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "two-factor-verify.png"), full_page=True)

    # The code used at enrolment is spent: an app user would wait for the next one.
    code, _ = _code(key, not_before_step=used_step + 1)
    page.keyboard.type(code)
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    expect(page.get_by_text("Procurement admin")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "account.png"), full_page=True)
    assert console_errors == [], "no script errors and no Content-Security-Policy violations"
