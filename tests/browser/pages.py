"""What the browser tests share: signing in through the login page, the screenshot folder, the phone-width check."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page

from tests.conftest import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def log_in(page: Page, live_server, username: str, landing: str) -> None:
    """Sign in as `username` through the login page, which then opens `landing`."""
    page.goto(f"{live_server.url}/login/?{urlencode({'next': landing})}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the screen (wide tables scroll inside their own box)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
