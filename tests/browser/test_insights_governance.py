"""In a real Chromium: an auditor opens the vendor governance dashboard, follows a figure to the list behind it,
then opens the control evidence pack of a period and downloads its zip — at desktop width and on a 390 px phone."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from p2p_portal.roles import Role
from tests.browser.pages import SCREENSHOTS, log_in, no_sideways_scroll
from tests.conftest import PASSWORD
from tests.factories import make_user_with_role
from tests.insights.evidence.conftest import PERIOD, evidence, order, supplier  # noqa: F401 -- fixtures
from tests.insights.governance.conftest import master  # noqa: F401 -- fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_governance_dashboard_and_evidence_pack(
    page: Page,
    live_server,
    master,  # noqa: F811
    evidence,  # noqa: F811
    north,
    console_errors,
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    make_user_with_role("insights_auditor", Role.AUDITOR, north, password=PASSWORD)
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "insights_auditor", "/insights/governance/")
    expect(page.get_by_role("heading", level=1, name="Vendor governance")).to_be_visible()
    # NORTH's five pending requests of the known master, plus the evidence data's requests are all decided.
    expect(page.locator('[data-figure="pending"]')).to_have_text("5")
    expect(page.locator('[data-figure="cooling-off"]')).to_have_text("2")
    page.screenshot(path=str(SCREENSHOTS / "insights-governance.png"), full_page=True)

    # A figure leads to the list behind it: the one request exactly three days old.
    page.locator('[data-figure="age-3-7"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 to 7 days old")
    expect(page.locator("[data-count]")).to_have_text("1")
    expect(page.locator("table.data-table tbody tr")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "insights-governance-list.png"), full_page=True)

    page.goto(f"{live_server.url}/insights/evidence/?from={PERIOD['from']}&to={PERIOD['to']}")
    expect(page.get_by_role("heading", level=1, name="Control evidence pack")).to_be_visible()
    expect(page.locator('[data-summary="bank_changes"]')).to_have_text("2")
    page.screenshot(path=str(SCREENSHOTS / "insights-evidence.png"), full_page=True)
    with page.expect_download() as download_info:
        page.locator('[data-download="pack"]').click()
    download = download_info.value
    assert download.suggested_filename == "evidence-all-2026-03-01-2026-03-31.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    assert {"manifest.csv", "bank_changes.csv", "audit_chain.csv"} <= set(archive.namelist())

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "insights-evidence-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/insights/governance/")
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "insights-governance-phone.png"), full_page=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1000, "height": 1200})
    page.screenshot(path=str(SCREENSHOTS / "insights-governance-print.png"), full_page=True)
    assert console_errors == []
