"""In a real Chromium: an AP clerk's day at the workbench — log in, "n" for the next item, read the invoice beside its
PO, accept a variance with a reason, put one on hold, reject one — at desktop width and on a 390 px phone."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from matching.models import InvoiceStatus, WorkItem, WorkItemState
from matching.services.intake import invoice_ingest
from matching.services.orders import ReceiptLineData, receipt_record
from tests.browser.pages import SCREENSHOTS, no_sideways_scroll
from tests.browser.pages import log_in as sign_in
from tests.matching import conftest as matching_fixtures
from tests.matching.conftest import canonical

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username: str) -> None:
    """Sign in through the login page, landing on the workbench."""
    sign_in(page, live_server, username, "/workbench/")
    expect(page.get_by_role("heading", level=1, name="Workbench")).to_be_visible()


# The matching tests' vendor and PO-100 at NORTH.
supplier = matching_fixtures.supplier
order = matching_fixtures.order


@pytest.fixture
def day(people, supplier, north, order) -> dict[str, int]:
    """Three price variances at NORTH (oldest first) and a suspected duplicate; PO-100 line 1 fully received."""
    receipt_record(
        actor="tests",
        facility=north,
        number="R-1",
        purchase_order=order,
        received_on=date(2026, 11, 5),
        lines=[ReceiptLineData(1, Decimal("100"))],
    )
    numbers = {}
    for number, quantity, price in (("A1", "10", "10.30"), ("B2", "4", "11.00"), ("C3", "5", "12.00")):
        document = canonical(supplier, (1, quantity, price), number=number)
        invoice = invoice_ingest(actor="tests", document=document, channel="api_json", facility=north)
        numbers[number] = invoice.pk
    for _ in range(2):
        document = canonical(supplier, (2, "3", "2.00"), number="D-77")
        duplicate = invoice_ingest(actor="tests", document=document, channel="api_json", facility=north)
    numbers["D-77"] = duplicate.pk
    return numbers


def press(page: Page, key: str) -> None:
    """Press a shortcut once the page (and workbench.js) has loaded."""
    page.wait_for_load_state("load")
    page.keyboard.press(key)


def test_a_clerks_day(page: Page, live_server, day, console_errors) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "ap_clerk_user")
    health = page.get_by_role("table").first
    expect(health.get_by_role("row", name="NORTH · Price & quantity variances")).to_contain_text("3")
    page.screenshot(path=str(SCREENSHOTS / "workbench-overview.png"), full_page=True)

    # "n" claims the oldest item and opens it.
    press(page, "n")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice A1")
    expect(page.locator("#item-status")).to_contain_text("You hold this item until")
    lines = page.locator("table.wb-lines")
    expect(lines.locator("tbody tr").first).to_contain_text("10.3")
    expect(lines.locator("td.wb-flag").first).to_be_visible()
    expect(lines).to_contain_text("rule Network default (DESIGN.md) v1")
    expect(page.get_by_text("Variance at stake: $3.00")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "workbench-item.png"), full_page=True)

    # "a" opens the accept form with the reason select focused.
    press(page, "a")
    reason = page.locator('details[data-action="accept"]').get_by_label("Reason")
    expect(reason).to_be_focused()
    expect(page.locator('details[data-action="accept"]')).to_contain_text("your authority $250.00")
    reason.select_option(label="Contract or GPO price applies")
    page.locator('details[data-action="accept"]').get_by_label("Note").fill("GPO contract 2026")
    page.screenshot(path=str(SCREENSHOTS / "workbench-accept-form.png"), full_page=False)
    page.locator('details[data-action="accept"]').get_by_role("button", name="Accept variance").click()
    # Accepted within authority: on to the next item of the queue.
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice B2")
    expect(page.locator(".messages")).to_contain_text("Invoice A1: Variance of $3.00 accepted")

    # "h" puts B2 on hold: a review date too far ahead is refused next to its field, then a good one is taken.
    press(page, "h")
    hold = page.locator('details[data-action="hold"]')
    hold.get_by_label("Reason").select_option(label="Waiting for the vendor")
    hold.get_by_label("Review on").fill((date.today() + timedelta(days=200)).isoformat())
    hold.get_by_label("Note").fill("Asked for the price list")
    hold.get_by_role("button", name="Hold").click()
    expect(page.locator('details[data-action="hold"] .field-error')).to_contain_text("at most 90 days ahead")
    expect(page.locator('details[data-action="hold"]').get_by_label("Review on")).to_be_focused()
    page.screenshot(path=str(SCREENSHOTS / "workbench-hold-error.png"), full_page=False)
    hold = page.locator('details[data-action="hold"]')
    hold.get_by_label("Review on").fill((date.today() + timedelta(days=3)).isoformat())
    hold.get_by_role("button", name="Hold").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice C3")
    expect(page.locator(".messages")).to_contain_text("Invoice B2: On hold until")

    # "r" rejects C3 with the message the vendor gets.
    press(page, "r")
    reject = page.locator('details[data-action="reject"]')
    reject.get_by_label("Reason").select_option(label="Prices not as agreed")
    reject.get_by_label("Message to the vendor").fill("The PO price is 10.00 per case.")
    reject.get_by_role("button", name="Reject invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("NORTH · Price & quantity variances")
    expect(page.locator(".messages")).to_contain_text("Invoice C3: Invoice rejected")
    page.get_by_role("link", name="On hold").click()
    expect(page.locator("table.wb-queue-table tbody tr")).to_have_count(1)
    expect(page.locator("table.wb-queue-table")).to_contain_text("B2")
    page.screenshot(path=str(SCREENSHOTS / "workbench-queue.png"), full_page=True)

    assert WorkItem.objects.get(invoice_id=day["B2"]).state == WorkItemState.ON_HOLD
    assert WorkItem.objects.get(invoice_id=day["C3"]).invoice.status == InvoiceStatus.REJECTED

    # The duplicate beside the invoice it resembles; a comment lands in the timeline without a page load.
    duplicate = WorkItem.objects.get(invoice_id=day["D-77"])
    page.goto(f"{live_server.url}/workbench/items/{duplicate.pk}/")
    expect(page.get_by_role("heading", name="Suspected duplicate, side by side")).to_be_visible()
    press(page, "c")
    page.get_by_label("Comment").fill("Checking with the dock")
    page.locator('details[data-action="comment"]').get_by_role("button", name="Comment").click()
    expect(page.locator("#item-timeline")).to_contain_text("Checking with the dock")
    expect(page.locator("#item-actions")).to_contain_text("Comment added.")
    page.screenshot(path=str(SCREENSHOTS / "workbench-duplicate.png"), full_page=True)

    # A phone: the same pages, one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "workbench-item-phone.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / "workbench-item-phone-top.png"))
    page.locator("table.wb-lines").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "workbench-item-phone-lines.png"))
    press(page, "b")
    expect(page.get_by_role("heading", level=1)).to_have_text("NORTH · Duplicates")
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "workbench-queue-phone.png"))
    page.goto(f"{live_server.url}/workbench/")
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "workbench-overview-phone.png"))
    assert console_errors == []
