"""In a real Chromium: an integration admin's round of the console — systems and their health, a failed run and the
dead letter it left, discard with a reason, "Run now", replay of a selected letter — at desktop width and on a
390 px phone; an auditor sees the same pages without a button."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from integrations.models import DeadLetterStatus, DeliveryStatus, SyncRun
from tests.browser.pages import SCREENSHOTS, no_sideways_scroll
from tests.browser.pages import log_in as sign_in
from tests.integrations import console_data
from tests.integrations.console_data import Console
from tests.integrations.sync_helpers import FAST_RETRY, KEY_VARIABLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, username: str) -> None:
    """Sign in through the login page, landing on integrations."""
    sign_in(page, live_server, username, "/integrations/")
    expect(page.get_by_role("heading", level=1, name="Integrations")).to_be_visible()


console = console_data.console


def test_an_integration_admins_round(
    page: Page, live_server, console: Console, people, console_errors, monkeypatch
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    # The sandbox system points at a closed port: "Run now" makes a failed run quickly (small retry budget).
    monkeypatch.setenv(KEY_VARIABLE, "browser-test-key")
    console.sandbox.config = {"api_key_env": KEY_VARIABLE, "retry": FAST_RETRY}
    console.sandbox.save()
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "integration_admin_user")
    tryton = page.locator("section.int-system", has=page.get_by_role("heading", name="Tryton system"))
    expect(tryton.locator(".int-stats")).to_contain_text("33 %")
    expect(tryton.locator(".int-stats")).to_contain_text("1 of 3 runs")
    expect(tryton.get_by_role("row", name="purchase_order")).to_contain_text("never")
    page.screenshot(path=str(SCREENSHOTS / "integrations-overview.png"), full_page=True)

    # The failed run, its error escaped, and the dead letter it left.
    tryton.get_by_role("row", name="purchase_order").get_by_role("link", name="Failed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tryton system: purchase_order sync")
    expect(page.locator(".int-pre-error")).to_have_text("TransientError: 503 <b>down</b>")
    page.screenshot(path=str(SCREENSHOTS / "integrations-run.png"), full_page=True)
    page.get_by_role("link", name=f"#{console.poison.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dead letter #{console.poison.pk}")
    expect(page.get_by_label("Payload as JSON")).to_contain_text('"name": "<script>alert(\'x\')</script>"')

    # Discard: a reason too short is refused beside the field, then a good one is taken.
    page.get_by_label("Reason").fill("no")
    page.get_by_role("button", name="Discard").click()
    expect(page.locator(".field-error")).to_contain_text("5 characters at least")
    page.screenshot(path=str(SCREENSHOTS / "integrations-letter-error.png"), full_page=True)
    # The refusal is answered 422 on purpose (like every refused form of the portal); Chromium logs that status.
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
    console_errors.clear()
    page.get_by_label("Reason").fill("PO-7 was cancelled in the procurement suite")
    page.get_by_role("button", name="Discard").click()
    expect(page.locator(".messages")).to_contain_text(f"Dead letter {console.poison.pk} discarded.")
    expect(page.locator(".int-letter-side")).to_contain_text("PO-7 was cancelled in the procurement suite")
    expect(page.get_by_role("button", name="Replay")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "integrations-letter.png"), full_page=True)
    console.poison.refresh_from_db()
    assert console.poison.status == DeadLetterStatus.DISCARDED
    assert console.poison.resolved_by == people["integration_admin"]

    # Replay the outbound letter from the list: tick it, "Replay selected".
    page.get_by_role("link", name="Dead letters", exact=True).click()
    page.get_by_label(f"Select dead letter {console.outbound_letter.pk}").check()
    page.get_by_role("button", name="Replay selected").click()
    expect(page.locator(".wb-result-list")).to_contain_text("delivery pending again")
    console.dead_delivery.refresh_from_db()
    assert console.dead_delivery.status == DeliveryStatus.PENDING

    # Run now: the sandbox's supplier sync runs (and fails against the closed port), named after who pressed.
    page.get_by_role("link", name="Systems").click()
    page.get_by_role("button", name="Run supplier sync of Coupa system now").click()
    expect(page.locator(".messages")).to_contain_text("Coupa system: supplier sync queued.")
    run = SyncRun.objects.filter(system=console.sandbox, entity="supplier").get()
    assert run.triggered_by == "integration_admin_user"
    page.get_by_role("link", name="Sync runs").click()
    # The filters refresh the results through htmx.
    page.get_by_label("System").select_option("coupa")
    page.get_by_label("Entity").select_option("supplier")
    expect(page.locator("#run-results")).to_contain_text("1 run,")
    expect(page.locator("#run-results")).to_contain_text("integration_admin_user")
    expect(page).to_have_url(f"{live_server.url}/integrations/runs/?system=coupa&entity=supplier&status=")
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "integrations-runs.png"), full_page=True)
    page.get_by_role("link", name="Outbox").click()
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "integrations-outbox.png"), full_page=True)
    page.get_by_role("link", name="Dead letters", exact=True).click()
    no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "integrations-letters.png"), full_page=True)

    # A phone: the same pages, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (
        ("/integrations/", "overview"),
        ("/integrations/runs/", "runs"),
        (f"/integrations/runs/{console.failed_run.pk}/", "run"),
        ("/integrations/outbox/", "outbox"),
        ("/integrations/dead-letters/?status=", "letters"),
        (f"/integrations/dead-letters/{console.outbound_letter.pk}/", "letter"),
    ):
        page.goto(f"{live_server.url}{path}")
        no_sideways_scroll(page)
        page.screenshot(path=str(SCREENSHOTS / f"integrations-{name}-phone.png"), full_page=True)
    assert console_errors == []


def test_an_auditor_reads_without_buttons(page: Page, live_server, console: Console, people, console_errors) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    log_in(page, live_server, "auditor_user")
    expect(page.get_by_role("button", name="Run now")).to_have_count(0)
    page.goto(f"{live_server.url}/integrations/dead-letters/{console.poison.pk}/")
    expect(page.get_by_label("Payload as JSON")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(1)  # "Log out" only
    page.screenshot(path=str(SCREENSHOTS / "integrations-letter-auditor.png"), full_page=True)
    assert console_errors == []
