"""In a real Chromium: an AP manager opens the accrual report as of a month end and follows an amount to the PO
lines behind it, then the spend report and follows a figure to its invoice lines — at desktop width, on a 390 px
phone and in print."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from insights.finance.services import finance_summaries_refresh
from p2p_portal.roles import Role
from tests.browser.pages import SCREENSHOTS, log_in, no_sideways_scroll
from tests.conftest import PASSWORD
from tests.factories import make_user_with_role
from tests.insights.finance.conftest import AS_OF, FinanceData, finance_data  # noqa: F401 -- fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_accruals_and_spend_lead_to_their_lines(
    page: Page,
    live_server,
    finance_data: FinanceData,  # noqa: F811
    console_errors,
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    finance_summaries_refresh(actor="tests")
    make_user_with_role("finance_manager", Role.AP_MANAGER, finance_data.north, finance_data.south, password=PASSWORD)
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "finance_manager", f"/insights/finance/accruals/?to={AS_OF.isoformat()}")
    expect(page.get_by_role("heading", level=1, name="Accruals: received, not invoiced")).to_be_visible()
    expect(page.locator('[data-figure="total"]')).to_have_text("$828.00")  # NORTH 628.00 + SOUTH 200.00
    expect(page.locator("#freshness")).to_contain_text("Figures from the summary built")
    page.screenshot(path=str(SCREENSHOTS / "insights-finance-accruals.png"), full_page=True)

    # The ICU's amount leads to its one PO line: gloves, 55 received, 35 invoiced, 20 to invoice.
    page.locator(f'[data-figure="cost_center-{finance_data.icu.pk}"]').click()
    expect(page.get_by_role("heading", level=1, name="PO lines received, not invoiced")).to_be_visible()
    expect(page.locator("#record-count")).to_have_text("1")
    expect(page.locator("#record-amount")).to_have_text("$200.00")
    expect(page.locator("#figure-records tbody tr")).to_have_count(1)
    expect(page.locator("#figure-records tbody tr")).to_contain_text("PO-1/1")
    page.screenshot(path=str(SCREENSHOTS / "insights-finance-accrual-lines.png"), full_page=True)

    page.goto(f"{live_server.url}/insights/finance/spend/?facility=NORTH&from=2026-11-01&to=2026-11-30")
    expect(page.get_by_role("heading", level=1, name="Spend and leakage")).to_be_visible()
    expect(page.locator('[data-figure="total"]')).to_have_text("$532.50")
    expect(page.locator('[data-figure="po-backed"]')).to_have_text("81.2 %")
    expect(page.locator('[data-figure="leakage"]')).to_have_text("$2.50")
    page.screenshot(path=str(SCREENSHOTS / "insights-finance-spend.png"), full_page=True)

    # Leakage leads to the two lines paid above their PO price.
    page.locator('[data-figure="leakage"]').click()
    expect(page.get_by_role("heading", level=1, name="Invoice lines paid above the PO price")).to_be_visible()
    expect(page.locator("#record-count")).to_have_text("2")
    expect(page.locator("#record-amount")).to_have_text("$2.50")
    page.screenshot(path=str(SCREENSHOTS / "insights-finance-leakage-lines.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/insights/finance/spend/?facility=NORTH&from=2026-11-01&to=2026-11-30")
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "insights-finance-spend-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/insights/finance/accruals/lines/?to={AS_OF.isoformat()}")
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "insights-finance-accrual-lines-phone.png"), full_page=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1000, "height": 1200})
    page.goto(f"{live_server.url}/insights/finance/spend/?facility=NORTH&from=2026-11-01&to=2026-11-30")
    page.screenshot(path=str(SCREENSHOTS / "insights-finance-spend-print.png"), full_page=True)
    assert console_errors == []
