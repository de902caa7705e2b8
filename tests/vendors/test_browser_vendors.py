"""In a real Chromium: a steward proposes a change of a vendor, checks the diff and submits it; a procurement admin
(another browser) reviews and approves it; the vendor page shows the new values. Screenshots go to test-results/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import PASSWORD
from tests.vendors.factories import give_bank_account, make_vendor
from vendors.dedupe.store import match_keys_rebuild, vendor_duplicates_scan
from vendors.models import ChangeRequest, ChangeStatus, Vendor
from vendors.screening.services import exclusion_list_import, vendor_screen
from vendors.services.records import ContactData, SiteData

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "test-results"  # as the other browser tests
DATA = Path(__file__).parent / "data"


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in through the login page."""
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot as test-results/vendors-NAME.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"vendors-{name}.png"), full_page=True)


@pytest.fixture
def vendor() -> Vendor:
    """A supplier with an address, a contact and a bank account, and a second vendor; the key index built."""
    vendor = make_vendor(
        "Midwest Surgical Supply Inc",
        tax_id="361234567",
        tax_id_kind="ein",
        sites=[
            SiteData(address_line1="1 Main St", city="Springfield", state="IL", postal_code="62701", phone="2175550100")
        ],
        contacts=[ContactData(name="Pat Lee", email="ar@midwest.example", phone="(217) 555-0199", role="AR")],
    )
    give_bank_account(vendor, routing_number="011000015", account_number="111122223333")
    make_vendor("Northwind Durable Medical Equipment")
    match_keys_rebuild()
    return vendor


def test_a_steward_proposes_a_change_and_an_admin_approves_it(
    page: Page, browser: Browser, live_server, people, vendor, console_errors
) -> None:
    log_in(page, live_server.url, "vendor_steward_user")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Vendors").click()
    expect(page.get_by_role("heading", level=1, name="Vendors")).to_be_visible()
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    page.get_by_label("Search").fill("midwest surgcal supply")  # a typo: forgiven, live, as one types
    results = page.locator("#vendor-results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Midwest Surgical Supply Inc")
    expect(page).to_have_url(f"{live_server.url}/vendors/?q=midwest%20surgcal%20supply&status=")
    shot(page, "search")

    results.first.get_by_role("link", name=vendor.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Midwest Surgical Supply Inc")
    expect(page.get_by_text("36-1234567")).to_be_visible()
    shot(page, "vendor")

    page.get_by_role("link", name="Propose a change").click()
    expect(page.get_by_role("heading", level=1, name=f"Propose a change to {vendor.number}")).to_be_visible()
    page.get_by_label("DBA name").fill("Midwest Surgical")
    page.get_by_label("Payment terms").fill("NET45")
    expect(page.locator("#live-duplicates")).to_contain_text("No look-alike vendors")  # refreshed as one types
    new_row = page.get_by_role("group", name="Address 2")  # the blank row after the vendor's one address
    new_row.get_by_label("Kind").select_option("ordering")
    new_row.get_by_label("Street", exact=True).fill("9 Depot Rd")
    new_row.get_by_label("City").fill("Decatur")
    page.get_by_label("Reason").fill("Vendor letter of 2 November: new ordering address and terms")
    page.get_by_role("button", name="Check").click()

    check = page.locator("#check")
    expect(check).to_be_focused()
    expect(check.locator("del", has_text="NET30")).to_be_visible()
    expect(check.locator("ins", has_text="NET45")).to_be_visible()
    expect(check.locator(".diff-added")).to_contain_text("Ordering: 9 Depot Rd, Decatur")
    expect(check.get_by_role("heading", name="No look-alike vendors")).to_be_visible()
    assert not ChangeRequest.objects.exists()  # the check saves nothing
    shot(page, "check")

    check.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_role("status")).to_contain_text("submitted for approval")
    change = ChangeRequest.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"CR-{change.pk} · Change of governed fields")
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()
    shot(page, "submitted")

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin_page = admin_context.new_page()
    admin_errors: list[str] = []
    admin_page.on("console", lambda message: admin_errors.append(message.text) if message.type == "error" else None)
    log_in(admin_page, live_server.url, "procurement_admin_user")
    admin_page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    admin_page.get_by_role("link", name="Review the whole change").click()
    expect(admin_page.get_by_role("heading", level=1)).to_have_text(f"CR-{change.pk} · Change of governed fields")
    expect(admin_page.locator(".diff-table")).to_contain_text("NET45")
    expect(admin_page.get_by_text("Vendor letter of 2 November")).to_be_visible()
    shot(admin_page, "review")

    admin_page.get_by_label("Comment or reason").fill("Letter checked against the W-9")
    admin_page.get_by_role("button", name="Approve").click()
    expect(admin_page.get_by_role("status")).to_contain_text("approved and applied")
    expect(admin_page.locator(".decision-list")).to_contain_text("Letter checked against the W-9")
    assert ChangeRequest.objects.get().status == ChangeStatus.APPLIED

    admin_page.get_by_role("link", name=f"{vendor.number} Midwest Surgical Supply Inc").click()
    expect(admin_page.locator(".vendor-profile")).to_contain_text("NET45")
    expect(admin_page.locator(".vendor-profile")).to_contain_text("Midwest Surgical")
    shot(admin_page, "after")

    page.goto(f"{live_server.url}/vendors/{vendor.number}/")
    expect(page.locator(".vendor-profile")).to_contain_text("NET45")
    expect(page.get_by_role("cell", name="9 Depot Rd, Decatur, US")).to_be_visible()
    admin_context.close()
    assert console_errors == []
    assert admin_errors == []


def test_the_review_queues_and_the_bank_form_render_cleanly(
    page: Page, live_server, people, vendor, console_errors
) -> None:
    make_vendor(
        "MIDWEST SURGICAL SUPPLIES LLC",
        tax_id="361234567",
        tax_id_kind="ein",
        sites=[SiteData(address_line1="1 Main Street", city="Springfield", state="IL", postal_code="62701")],
    )
    vendor_duplicates_scan(actor="tests")
    exclusion_list_import(actor="tests", source="leie", path=DATA / "leie_sample.csv", version="2026-10")
    acme = make_vendor("Acme Medical Supply Inc", sites=[SiteData(address_line1="5 Elm", city="Peoria", state="IL")])
    vendor_screen(actor="tests", vendor=acme, trigger="manual")

    log_in(page, live_server.url, "vendor_steward_user")
    page.goto(f"{live_server.url}/vendors/duplicates/")
    expect(page.locator(".queue-item")).to_have_count(1)
    expect(page.locator(".pair-side")).to_have_count(2)
    shot(page, "duplicates")

    page.goto(f"{live_server.url}/vendors/screening/")
    expect(page.locator(".queue-item")).to_have_count(1)
    shot(page, "screening")
    page.get_by_label("Why it is not").fill("Different city, different owner")
    page.get_by_role("button", name="Clear").click()
    expect(page.get_by_role("status")).to_contain_text("cleared")

    page.goto(f"{live_server.url}/vendors/{vendor.number}/bank/")  # the password login just now is fresh proof
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Change the bank account of {vendor.number}")
    page.get_by_label("ABA routing number").fill("021000021")
    page.get_by_label("Account number").fill("999988887777")
    page.get_by_label("Reason").fill("Letter on letterhead")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#check")).to_contain_text("••••7777")
    shot(page, "bank")
    page.get_by_role("button", name="Submit for call-back and approval").click()
    expect(page.get_by_role("status")).to_contain_text("someone else now calls")
    review_url = page.url

    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server.url, "procurement_admin_user")
    page.goto(review_url)
    callback = page.locator(".callback-form")
    callback.get_by_label("Number called").select_option("2175550199")
    callback.get_by_label("Whom you spoke to").fill("Pat Lee, AR")
    callback.get_by_label("Outcome").select_option("confirmed")
    callback.get_by_role("button", name="Record the call-back").click()
    expect(page.get_by_role("status")).to_contain_text("Call-back recorded")
    expect(page.get_by_role("cell", name="Pat Lee, AR")).to_be_visible()
    shot(page, "bank-review")

    page.goto(f"{live_server.url}/vendors/{vendor.number}/")
    old_account = page.get_by_role("row").filter(has_text="••••3333")
    old_account.get_by_label("Why you need the full number of ••••3333").fill("Vendor asked to confirm the old account")
    old_account.get_by_role("button", name="Reveal").click()  # the password login just now is fresh proof
    expect(page.locator("[data-revealed]")).to_have_text("111122223333")
    shot(page, "reveal")
    page.goto(review_url)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, nothing cut off
    shot(page, "bank-review-narrow")
    # The page's own content fits its column (the shell's sidebar and top bar are laid out by base.html).
    assert page.evaluate("document.querySelector('main').scrollWidth <= document.querySelector('main').clientWidth")
    assert console_errors == []
