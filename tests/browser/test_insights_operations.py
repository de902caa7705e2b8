"""In a real Chromium: an AP manager opens the operations dashboard, reads the touchless rate and the queue table,
and follows the open-items figure to the list behind it — at desktop width and on a 390 px phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from insights.operations.services import operations_summary_refresh
from tests.browser.pages import SCREENSHOTS, log_in, no_sideways_scroll
from tests.insights.operations import conftest as operations_fixtures
from tests.insights.operations.conftest import DataSet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

dataset = operations_fixtures.dataset


def test_a_manager_reads_the_dashboard_and_follows_a_figure(
    page: Page, live_server, dataset: DataSet, console_errors
) -> None:
    operations_summary_refresh(actor="tests")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": 1000})
    query = f"from={dataset.query['from']}&to={dataset.query['to']}"
    log_in(page, live_server, "ops_manager", f"/insights/operations/?{query}")
    expect(page.get_by_role("heading", level=1, name="Operations dashboard")).to_be_visible()
    expect(page.locator("#fig-touchless")).to_have_text("28.6 %")
    expect(page.locator("#freshness")).to_contain_text("refreshed every 15 minutes")
    expect(page.locator("#freshness")).to_contain_text(f"to {(dataset.monday + timedelta(days=13)):%-d %b %Y}")
    expect(page.get_by_role("img", name="Touchless match rate per week")).to_be_visible()
    expect(page.locator("#queues").get_by_role("row", name="Waiting for receipt")).to_contain_text("1")
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "insights-operations.png"), full_page=True)

    page.locator("#fig-open-items").click()
    expect(page.get_by_role("heading", level=1, name="Work items")).to_be_visible()
    expect(page.locator("#record-count")).to_have_text("2")
    expect(page.locator("#figure-records tbody tr")).to_have_count(2)
    expect(page.locator("#figure-records")).to_contain_text("X2")
    page.screenshot(path=str(SCREENSHOTS / "insights-operations-list.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/insights/operations/?{query}")
    expect(page.locator("#fig-touchless")).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "insights-operations-phone.png"), full_page=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1000, "height": 1400})
    page.screenshot(path=str(SCREENSHOTS / "insights-operations-print.png"), full_page=True)
    assert console_errors == []
