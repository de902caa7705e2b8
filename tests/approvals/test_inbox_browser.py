"""In a real Chromium: an AP manager works the approvals inbox with the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from approvals.models import ApprovalRequest, RequestStatus
from approvals.services import StepSpec, approval_request_submit, policy_create
from p2p_portal.roles import Role
from tests.approvals.conftest import DOC
from tests.conftest import PASSWORD
from tests.factories import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_a_manager_approves_with_the_keyboard_and_rejects_with_a_reason(
    page: Page, live_server, people, make_document, console_errors
) -> None:
    policy_create(actor=SYSTEM, name="Budget", document_type=DOC, steps=[StepSpec(role=Role.AP_MANAGER)])
    first = approval_request_submit(
        actor=people["ap_clerk"], document_type=DOC, document=make_document(requester=people["ap_clerk"])
    )
    second = approval_request_submit(
        actor=people["ap_clerk"], document_type=DOC, document=make_document(requester=people["ap_clerk"])
    )

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ap_manager_user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    expect(page.get_by_role("heading", level=1, name="Approvals inbox")).to_be_visible()
    expect(page.locator("[data-inbox-item]")).to_have_count(2)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "approvals-inbox.png"), full_page=True)

    page.keyboard.press("j")  # the oldest request first
    expect(page.locator("[data-inbox-item]").first).to_be_focused()
    page.keyboard.press("a")
    expect(page.get_by_role("status").filter(has_text="Approved:")).to_be_visible()

    open_item = page.locator("[data-inbox-item]").filter(has_text=second.summary)
    open_item.get_by_role("button", name="Reject").click()
    expect(open_item.get_by_role("alert")).to_be_visible()  # a reason is required
    open_item.get_by_label("Comment, reason or question").fill("Not in this year's budget")
    open_item.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("Rejected:")).to_be_visible()

    assert ApprovalRequest.objects.get(pk=first.pk).status == RequestStatus.APPROVED
    assert ApprovalRequest.objects.get(pk=second.pk).status == RequestStatus.REJECTED
    assert console_errors == []
