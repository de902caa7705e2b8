"""The item page: what a clerk reads (side by side, rules, vendor, duplicate, raw document, timeline), the lease taken
on opening, and every action through the page, with htmx (partial answers) and without (redirects)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from matching.models import InvoiceStatus, WorkActionKind, WorkItemState
from matching.services.inbound import inbound_document_record
from matching.services.intake import invoice_ingest
from p2p_portal.roles import Role
from tests.factories import make_user_with_role, signed_in
from tests.matching.conftest import canonical
from tests.matching.workbench import test_pages as shared
from tests.matching.workbench.test_pages import client_for, ingest, item_of

pytestmark = pytest.mark.django_db
# The fixtures of the page tests, shared.
invoices = shared.invoices
received = shared.received
HTMX = {"HX-Request": "true"}


def act(client: Client, item_pk: int, action: str, data: dict[str, str], *, htmx: bool = True) -> Any:
    """Post one action's form as the page does (fields carry the action's prefix)."""
    fields = {f"{action}-{name}": value for name, value in data.items()}
    return client.post(f"/workbench/items/{item_pk}/{action}/", fields, headers=HTMX if htmx else {})


def test_the_page_shows_the_invoice_beside_its_po_with_the_rule_and_claims_it(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[0])
    response = clerk.get(f"/workbench/items/{item.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    row = response.context["line_rows"][0]
    assert row.figures == {
        "quantity": "10",
        "unit_price": "10.3",
        "amount": "103.00",
        "ordered": "100",
        "po_price": "10",
        "received": "100",
        "invoiced_before": "0",
        "price_variance": "0.3",
        "price_variance_pct": "3",
        "extended_variance": "3.00",
        "over_received": "",
        "over_ordered": "",
    }
    assert row.price_flagged
    assert "wb-flag" in page
    assert row.rule == "Network default (DESIGN.md) v1"
    assert "rule Network default (DESIGN.md) v1" in page
    assert "Variance at stake: <strong>$3.00" in page
    assert "R-1" in page
    assert "Medline Industries LP" in page
    assert "No flags" in page
    assert "You hold this item until" in page
    assert "your authority $250.00" in page
    assert item_of(invoices[0]).claimed_by == people["ap_clerk"]
    assert "Timeline" in page
    assert "Invoice exception" in page


def test_someone_elses_lease_makes_the_page_read_only(people, invoices) -> None:
    item = item_of(invoices[0])
    client_for(people, "ap_clerk").get(f"/workbench/items/{item.pk}/")
    other = make_user_with_role("bea", Role.AP_CLERK, item.facility)
    client = signed_in(other)
    page = client.get(f"/workbench/items/{item.pk}/").content.decode()
    assert "Ap_Clerk_User is working on this until" in page
    assert 'data-action="accept"' not in page
    assert "Read-only" in page
    refused = act(client, item.pk, "hold", {"reason_code": "awaiting_vendor", "review_on": "2000-01-01"})
    assert refused.status_code == 200  # htmx: the refusal comes back in the actions panel
    assert item_of(invoices[0]).claimed_by == people["ap_clerk"]


def test_accepting_within_authority_moves_on_to_the_next_item(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    first, second = item_of(invoices[0]), item_of(invoices[1])
    clerk.get(f"/workbench/items/{first.pk}/")
    response = act(clerk, first.pk, "accept", {"reason_code": "contract_price", "note": "GPO price"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/workbench/items/{second.pk}/"
    invoices[0].refresh_from_db()
    assert invoices[0].status == InvoiceStatus.APPROVED
    page = clerk.get(response["HX-Redirect"]).content.decode()
    assert "Invoice A1: Variance of $3.00 accepted (your authority: $250.00). Next: invoice B2." in page


def test_accepting_above_authority_says_it_went_for_approval(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[1])
    page = clerk.get(f"/workbench/items/{item.pk}/").content.decode()
    assert "Above your authority" in page
    response = act(clerk, item.pk, "accept", {"reason_code": "price_increase_agreed"}, htmx=False)
    assert response.status_code == 302
    followed = clerk.get(response["Location"]).content.decode()
    assert "Variance of $300.00 is above your authority of $250.00: it went to an AP manager for approval." in followed
    assert item_of(invoices[1]).state == WorkItemState.AWAITING_APPROVAL


def test_a_refused_form_shows_the_error_next_to_its_field(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[0])
    too_far = (date.today() + timedelta(days=200)).isoformat()
    response = act(clerk, item.pk, "hold", {"reason_code": "awaiting_vendor", "review_on": too_far})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="item-actions"')  # a partial, not a page
    assert 'id="id_hold-review_on_error"' in text
    assert "at most 90 days ahead" in text
    assert 'hx-swap-oob="true"' in text
    plain = act(clerk, item.pk, "reject", {"reason_code": "pricing_dispute", "note": ""}, htmx=False)
    assert plain.status_code == 422
    assert 'id="id_reject-note_error"' in plain.content.decode()
    assert item_of(invoices[0]).state == WorkItemState.OPEN


def test_hold_then_release_hold(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[2])
    review = (date.today() + timedelta(days=3)).isoformat()
    response = act(clerk, item.pk, "hold", {"reason_code": "awaiting_vendor", "review_on": review, "note": "asked"})
    assert "HX-Redirect" in response
    assert item_of(invoices[2]).state == WorkItemState.ON_HOLD
    page = clerk.get(f"/workbench/items/{item.pk}/").content.decode()
    assert "On hold" in page
    assert 'data-action="release_hold"' in page
    assert "Put on hold" in page
    response = act(clerk, item.pk, "release_hold", {"note": "vendor answered"})
    assert response.status_code == 200
    assert "Back from hold" in response.content.decode()
    assert item_of(invoices[2]).state == WorkItemState.OPEN


def test_reject_goes_to_the_vendor_and_closes_the_item(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[2])
    response = act(clerk, item.pk, "reject", {"reason_code": "pricing_dispute", "note": "Price is 10.00 per PO"})
    assert "HX-Redirect" in response
    invoices[2].refresh_from_db()
    assert invoices[2].status == InvoiceStatus.REJECTED
    assert item_of(invoices[2]).state == WorkItemState.CLOSED


def test_a_comment_updates_the_actions_panel_and_the_timeline_in_place(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[0])
    response = act(clerk, item.pk, "comment", {"note": "Called the buyer <b>twice</b>"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "HX-Redirect" not in response
    assert "Comment added." in text
    timeline = text.split('id="item-timeline"')[1]
    assert "Called the buyer &lt;b&gt;twice&lt;/b&gt;" in timeline
    assert 'id="item-status"' in text


def test_credit_memo_request_sets_the_item_waiting(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[0])
    response = act(clerk, item.pk, "credit_memo", {"reason_code": "overcharge"}, htmx=False)
    assert response.status_code == 302
    assert item_of(invoices[0]).state == WorkItemState.WAITING_CREDIT_MEMO
    waiting = clerk.get(f"/workbench/queues/{item.queue_id}/?view=waiting").content.decode()
    assert "A1" in waiting


def test_route_for_receipt_asks_the_receiver(
    people, supplier, north, order, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    clerk = client_for(people, "ap_clerk")
    invoice = ingest(supplier, north, "R9", "5", "10.00")  # nothing received on line 1 yet
    item = item_of(invoice)
    page = clerk.get(f"/workbench/items/{item.pk}/").content.decode()
    assert 'data-action="receipt"' in page
    assert "Nothing received on this PO yet" in page
    bad = act(clerk, item.pk, "receipt", {"reason_code": "not_received", "to_email": "nope"})
    assert "Enter a valid email address" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        act(clerk, item.pk, "receipt", {"reason_code": "not_received", "to_email": "dock@north.example"}, htmx=False)
    assert item_of(invoice).state == WorkItemState.WAITING_RECEIPT
    assert [mail.to for mail in mailoutbox] == [["dock@north.example"]]


def test_duplicates_side_by_side_then_dismissed_or_confirmed(people, supplier, north, received) -> None:
    clerk = client_for(people, "ap_clerk")
    original = ingest(supplier, north, "D-1", "10", "10.00")
    copy = ingest(supplier, north, "D-1", "10", "10.00")
    again = ingest(supplier, north, "D 1", "10", "10.00")
    item = item_of(copy)
    page = clerk.get(f"/workbench/items/{item.pk}/").content.decode()
    assert "Suspected duplicate, side by side" in page
    assert "Looks like: D-1" in page
    assert original.status != InvoiceStatus.EXCEPTION
    act(clerk, item.pk, "confirm_duplicate", {"note": "same delivery"}, htmx=False)
    copy.refresh_from_db()
    assert copy.status == InvoiceStatus.REJECTED
    other = item_of(again)
    act(clerk, other.pk, "dismiss_duplicate", {"reason_code": "recurring_charge", "note": "monthly"}, htmx=False)
    assert other.actions.filter(kind=WorkActionKind.DISMISS_DUPLICATE).exists()


def test_sod_refusal_names_the_rule(people, supplier, north, received) -> None:
    clerk_user = people["ap_clerk"]
    document = canonical(supplier, (1, "10", "10.30"), number="K-1")
    invoice = invoice_ingest(
        actor=clerk_user, document=document, channel="api_json", facility=north, keyed_by=clerk_user
    )
    item = item_of(invoice)
    response = act(signed_in(clerk_user), item.pk, "accept", {"reason_code": "rounding"})
    text = response.content.decode()
    assert "Refused by rule sod_keyed_by" in text
    assert item.actions.filter(kind=WorkActionKind.BLOCKED).exists()


def test_the_raw_document_is_shown_escaped(people, supplier, north, received) -> None:
    raw = b'{"note": "<script>alert(1)</script>"}'
    inbound = inbound_document_record(principal="tests", channel="api_json", content_type="application/json", raw=raw)
    document = canonical(supplier, (1, "10", "10.30"), number="RAW-1")
    invoice = invoice_ingest(actor="tests", document=document, channel="api_json", facility=north, inbound=inbound)
    page = client_for(people, "ap_clerk").get(f"/workbench/items/{item_of(invoice).pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_the_lease_is_renewed_while_the_page_is_open(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[0])
    clerk.get(f"/workbench/items/{item.pk}/")
    before = item_of(invoices[0]).lease_expires_at
    assert before is not None
    response = clerk.post(f"/workbench/items/{item.pk}/renew/", headers=HTMX)
    assert response.status_code == 200
    assert "You hold this item until" in response.content.decode()
    renewed = item_of(invoices[0]).lease_expires_at
    assert renewed is not None
    assert renewed >= before
    other = signed_in(make_user_with_role("bea", Role.AP_CLERK, item.facility))
    lost = other.post(f"/workbench/items/{item.pk}/renew/", headers=HTMX).content.decode()
    assert "Ap_Clerk_User is working on this until" in lost


def test_release_gives_the_item_back_and_returns_to_the_queue(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[0])
    clerk.get(f"/workbench/items/{item.pk}/")
    response = act(clerk, item.pk, "release", {})
    assert response["HX-Redirect"] == f"/workbench/queues/{item.queue_id}/"
    assert item_of(invoices[0]).claimed_by is None


def test_only_a_manager_reassigns(people, invoices) -> None:
    item = item_of(invoices[0])
    clerk, manager = client_for(people, "ap_clerk"), client_for(people, "ap_manager")
    clerk.get(f"/workbench/items/{item.pk}/")
    bea = make_user_with_role("bea", Role.AP_CLERK, item.facility)
    data = {"to": str(bea.pk), "reason_code": "workload"}
    assert act(clerk, item.pk, "reassign", data).status_code == 403
    page = manager.get(f"/workbench/items/{item.pk}/").content.decode()
    assert "Ap_Clerk_User is working on this until" in page
    assert 'data-action="reassign"' in page
    response = act(manager, item.pk, "reassign", data)
    assert "Given to Bea." in response.content.decode()
    assert item_of(invoices[0]).claimed_by == bea


def test_an_unknown_action_is_not_found(people, invoices) -> None:
    response = client_for(people, "ap_clerk").post(f"/workbench/items/{item_of(invoices[0]).pk}/pay/")
    assert response.status_code == 404
