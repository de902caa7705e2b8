"""In a real Chromium: an auditor filters the audit trail and downloads it as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from p2p_portal.audit.context import acting_as
from p2p_portal.services import cost_center_create
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_an_auditor_filters_the_trail_and_exports_it(page: Page, live_server, people, north, console_errors) -> None:
    admin = people["procurement_admin"]
    icu = cost_center_create(actor=admin, facility=north, code="ICU", name="Intensive care")
    with acting_as(admin, reason="renamed after the ward merger"):
        icu.name = "Intensive & critical care"
        icu.save()

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("auditor_user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1, name="Audit trail")).to_be_visible()

    page.get_by_label("Record type").select_option(label="Cost center")
    page.get_by_label("Actor").fill("procurement_admin_user")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(
        f"{live_server.url}/audit/?object_type=p2p_portal.costcenter&object_id=&actor=procurement_admin_user&facility=&date_from=&date_to="
    )
    rows = page.locator("#audit-results table.data-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("renamed after the ward merger")
    expect(rows.first.locator("del")).to_have_text("Intensive care")
    expect(rows.first.locator("ins")).to_have_text("Intensive & critical care")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "audit-filtered.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("audit-trail-")
    with open(download.path(), newline="", encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert {row["record_type"] for row in exported} == {"Cost center"}
    assert {row["actor"] for row in exported} == {"procurement_admin_user"}
    renamed = [row for row in exported if row["action"] == "changed"]
    assert [(row["field"], row["before"], row["after"]) for row in renamed] == [
        ("name", "Intensive care", "Intensive & critical care")
    ]

    page.get_by_role("link", name="Verify the chain now").click()
    expect(page.locator("#chain-report")).to_contain_text("Intact.")
    page.screenshot(path=str(SCREENSHOTS / "audit-chain.png"))

    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cost center")
    expect(page.locator("table.data-table tbody tr")).to_have_count(2)
    assert console_errors == []


def test_the_api_docs_load_from_our_own_files_without_csp_violations(
    page: Page, live_server, people, console_errors
) -> None:
    page.goto(f"{live_server.url}/login/?next=/api/v1/docs/")
    page.get_by_label("Username").fill("ap_clerk_user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("P2P Portal API")).to_be_visible()
    expect(page.get_by_text("/api/v1/cost-centers/").first).to_be_visible()
    assert console_errors == [], "a Swagger UI upgrade changed its inline style: update SWAGGER_STYLE_HASH"
