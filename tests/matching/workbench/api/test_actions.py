"""Each workbench action through the API as a clerk (or manager) does it: what happens to the item and its invoice,
and the log entry with its reason code and note."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from matching.models import (
    ExceptionState,
    InvoiceStatus,
    ResolutionKind,
    WorkAction,
    WorkActionKind,
    WorkItem,
    WorkItemState,
)
from tests.factories import signed_in
from tests.matching.workbench.api.support import assert_problem, ingest, item_of, item_url, post

pytestmark = pytest.mark.django_db


def logged(item: WorkItem, kind: str) -> WorkAction:
    """The one log entry of this kind on the item."""
    [entry] = WorkAction.objects.filter(item=item, kind=kind)
    return entry


def act(client: Any, item: WorkItem, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post(client, item_url(item, action), body)
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


def in_days(days: int) -> str:
    return str(timezone.localdate() + timedelta(days=days))


def test_claim_renew_and_release(clients, people, small) -> None:
    clerk = clients["ap_clerk"]
    claimed = act(clerk, small, "claim")
    assert (claimed["item"]["claimed_by"], claimed["action"]) == ("ap_clerk_user", None)
    WorkItem.objects.filter(pk=small.pk).update(lease_expires_at=timezone.now() + timedelta(minutes=1))
    renewed = act(clerk, small, "renew")
    assert renewed["item"]["lease_expires_at"] > claimed["item"]["claimed_at"]
    lease = WorkItem.objects.get(pk=small.pk).lease_expires_at
    assert lease is not None
    assert lease > timezone.now() + timedelta(minutes=20)
    released = act(clerk, small, "release")
    assert released["item"]["claimed_by"] is None
    assert_problem(post(clerk, item_url(small, "release")), 409, "not_claimed")
    assert_problem(post(clerk, item_url(small, "renew")), 409, "lease_lost")


def test_accepting_a_variance_within_authority_approves_the_invoice(clients, small) -> None:
    answer = act(clients["ap_clerk"], small, "accept-variance", {"reason_code": "contract_price", "note": "GPO tier 2"})
    assert (answer["outcome"], answer["accepted"], answer["amount"], answer["authority"]) == (
        "accepted",
        True,
        "3.00",
        "250.00",
    )
    assert answer["approval_request"] is None
    assert (answer["item"]["state"], answer["item"]["invoice"]["status"]) == ("closed", "approved")
    assert (answer["action"]["kind"], answer["action"]["reason_code"], answer["action"]["note"]) == (
        "accept_variance",
        "contract_price",
        "GPO tier 2",
    )
    entry = logged(small, WorkActionKind.ACCEPT_VARIANCE)
    assert (entry.reason_code, entry.note, entry.amount, entry.actor.username) == (
        "contract_price",
        "GPO tier 2",
        Decimal("3.00"),
        "ap_clerk_user",
    )
    [exception] = small.invoice.exceptions.all()
    assert (exception.state, exception.resolution_kind) == (ExceptionState.RESOLVED, ResolutionKind.ACCEPTED)


def test_a_credit_memo_request_sets_the_item_waiting(clients, small) -> None:
    answer = act(clients["ap_clerk"], small, "request-credit-memo", {"reason_code": "overcharge", "note": "PO price"})
    assert (answer["item"]["state"], answer["item"]["credit_expected"]) == ("waiting_credit_memo", "3.00")
    assert answer["item"]["invoice"]["status"] == "exception"
    entry = logged(small, WorkActionKind.REQUEST_CREDIT_MEMO)
    assert (entry.reason_code, entry.note, entry.amount) == ("overcharge", "PO price", Decimal("3.00"))
    assert answer["action"]["id"] == entry.pk


def test_routing_for_receipt_emails_the_receiver_and_waits(
    clients, order, supplier, north, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    unreceived = item_of(ingest(supplier, north, (1, "5", "10.00"), number="N-1"))
    body = {"reason_code": "not_received", "to_email": "dock@north.example.org", "note": "Gloves in?"}
    with django_capture_on_commit_callbacks(execute=True):
        answer = act(clients["ap_clerk"], unreceived, "route-for-receipt", body)
    assert answer["item"]["state"] == "waiting_receipt"
    entry = logged(unreceived, WorkActionKind.ROUTE_RECEIPT)
    assert (entry.reason_code, entry.note, entry.detail) == ("not_received", "Gloves in?", {"to": body["to_email"]})
    [mail] = mailoutbox
    assert mail.to == ["dock@north.example.org"]
    assert "PO-100" in mail.subject


def test_confirming_a_duplicate_rejects_the_invoice(clients, po_received, supplier, north) -> None:
    ingest(supplier, north, (1, "1", "10.00"), number="D-1")
    again = item_of(ingest(supplier, north, (1, "1", "10.00"), number="D-1"))
    answer = act(clients["ap_clerk"], again, "confirm-duplicate", {"note": "Same delivery"})
    assert (answer["item"]["state"], answer["item"]["invoice"]["status"]) == ("closed", "rejected")
    entry = logged(again, WorkActionKind.CONFIRM_DUPLICATE)
    assert (entry.reason_code, entry.note) == ("duplicate", "Same delivery")


def test_dismissing_a_duplicate_matches_the_invoice_again(clients, po_received, supplier, north) -> None:
    ingest(supplier, north, (1, "1", "10.00"), number="D-1")
    again = item_of(ingest(supplier, north, (1, "1", "10.00"), number="D-1"))
    answer = act(
        clients["ap_clerk"], again, "dismiss-duplicate", {"reason_code": "recurring_charge", "note": "Monthly"}
    )
    assert (answer["item"]["state"], answer["item"]["invoice"]["status"]) == ("closed", "approved")
    assert logged(again, WorkActionKind.DISMISS_DUPLICATE).reason_code == "recurring_charge"
    assert again.invoice.exceptions.get().resolution_kind == ResolutionKind.DISMISSED


def test_hold_and_release_hold(clients, small) -> None:
    clerk = clients["ap_clerk"]
    review_on = in_days(7)
    held = act(clerk, small, "hold", {"reason_code": "awaiting_vendor", "review_on": review_on, "note": "Call Fri"})
    assert (held["item"]["state"], held["item"]["hold_until"], held["item"]["claimed_by"]) == (
        "on_hold",
        review_on,
        None,
    )
    entry = logged(small, WorkActionKind.HOLD)
    assert (entry.reason_code, entry.note, entry.detail) == ("awaiting_vendor", "Call Fri", {"review_on": review_on})
    back = act(clerk, small, "release-hold", {"note": "Vendor called"})
    assert (back["item"]["state"], back["item"]["hold_until"]) == ("open", None)
    assert logged(small, WorkActionKind.RELEASE_HOLD).note == "Vendor called"
    assert_problem(post(clerk, item_url(small, "release-hold")), 409, "item_state")


def test_rejecting_tells_the_vendor_why(clients, small) -> None:
    body = {"reason_code": "pricing_dispute", "note": "Contract price is 10.00"}
    answer = act(clients["ap_clerk"], small, "reject", body)
    assert (answer["item"]["state"], answer["item"]["invoice"]["status"]) == ("closed", "rejected")
    small.invoice.refresh_from_db()
    assert small.invoice.status == InvoiceStatus.REJECTED
    entry = logged(small, WorkActionKind.REJECT)
    assert (entry.reason_code, entry.note) == ("pricing_dispute", "Contract price is 10.00")


def test_a_comment_goes_on_the_timeline_and_changes_nothing_else(clients, small) -> None:
    clerk = clients["ap_clerk"]
    answer = act(clerk, small, "comment", {"note": "Asked the buyer"})
    assert (answer["item"]["state"], answer["item"]["claimed_by"]) == ("open", None)
    assert (answer["action"]["kind"], answer["action"]["note"]) == ("comment", "Asked the buyer")
    timeline = clerk.get(item_url(small)).json()["timeline"]
    assert any(entry["what"] == "Comment" and entry["note"] == "Asked the buyer" for entry in timeline)


def test_a_manager_reassigns_an_item_and_a_clerk_may_not(clients, people, small, bob) -> None:
    body = {"to": "bob", "reason_code": "expertise", "note": "Knows this vendor"}
    assert_problem(post(clients["ap_clerk"], item_url(small, "reassign"), body), 403, "not_a_manager")
    answer = act(clients["ap_manager"], small, "reassign", {**body, "to": str(bob.pk)})
    assert answer["item"]["claimed_by"] == "bob"
    entry = logged(small, WorkActionKind.REASSIGN)
    assert (entry.reason_code, entry.note, entry.actor) == ("expertise", "Knows this vendor", people["ap_manager"])
    assert signed_in(bob).get("/api/v1/workbench/items/?mine=true").json()["results"][0]["id"] == small.pk
    unknown = assert_problem(post(clients["ap_manager"], item_url(small, "reassign"), {**body, "to": "zed"}), 400,
                             "validation_failed")  # fmt: skip
    assert unknown["errors"][0]["field"] == "to"
    auditor = people["auditor"].username
    cannot = assert_problem(post(clients["ap_manager"], item_url(small, "reassign"), {**body, "to": auditor}), 422,
                            "cannot_work_item")  # fmt: skip
    assert cannot["errors"][0]["field"] == "to"
    assert WorkItem.objects.get(pk=small.pk).claimed_by == bob
    assert WorkItem.objects.get(pk=small.pk).state == WorkItemState.OPEN
