"""The rules the workbench API enforces, as people meet them: the authority limit (approval by an AP manager),
segregation of duties, one clerk per item, bulk decisions item by item, and problem+json for bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from approvals.models import ApprovalRequest, RequestStatus
from approvals.services import approval_request_approve
from matching.models import InvoiceStatus, WorkAction, WorkActionKind, WorkItem, WorkItemState
from tests.factories import signed_in
from tests.matching.workbench.api.support import API, assert_problem, item_url, post

pytestmark = pytest.mark.django_db


def test_a_variance_above_the_clerk_s_authority_goes_to_a_manager(clients, people, big) -> None:
    response = post(clients["ap_clerk"], item_url(big, "accept-variance"), {"reason_code": "price_increase_agreed"})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["outcome"], answer["accepted"], answer["amount"], answer["authority"]) == (
        "sent_for_approval",
        False,
        "300.00",
        "250.00",
    )
    request = ApprovalRequest.objects.get(pk=answer["approval_request"])
    assert (request.document_type, request.document_id, request.status) == (
        "invoice_variance",
        str(big.pk),
        RequestStatus.PENDING,
    )
    assert (answer["item"]["state"], answer["item"]["invoice"]["status"]) == ("awaiting_approval", "exception")
    assert answer["action"]["kind"] == "request_variance_approval"
    assert answer["action"]["approval_request"] == request.pk
    approval_request_approve(actor=people["ap_manager"], request=request, comment="Agreed with buyer")
    item = WorkItem.objects.select_related("invoice").get(pk=big.pk)
    assert (item.state, item.invoice.status) == (WorkItemState.CLOSED, InvoiceStatus.APPROVED)
    assert WorkAction.objects.filter(item=item, kind=WorkActionKind.VARIANCE_APPROVED).exists()


def test_a_manager_accepts_the_same_variance_within_their_own_authority(clients, big) -> None:
    answer = post(clients["ap_manager"], item_url(big, "accept-variance"), {"reason_code": "contract_price"}).json()
    assert (answer["outcome"], answer["authority"], answer["item"]["invoice"]["status"]) == (
        "accepted",
        "10000.00",
        "approved",
    )


def test_the_clerk_who_keyed_an_invoice_may_not_accept_its_variance(clients, people, po_received, supplier) -> None:
    clerk = clients["ap_clerk"]
    keyed = {
        "vendor": supplier.number,
        "invoice_number": "KEYED-1",
        "invoice_date": "2026-11-10",
        "currency": "USD",
        "facility": "NORTH",
        "po_number": "PO-100",
        "total_amount": "103.00",
        "lines": [{"line_number": 1, "po_line_number": 1, "quantity": "10", "unit_price": "10.30", "amount": "103.00"}],
    }
    created = post(clerk, "/api/v1/invoices/", keyed)
    assert created.status_code == 201, created.content
    item = WorkItem.objects.get(invoice_id=created.json()["id"])
    assert "KEYED-1" in clerk.get(item_url(item)).json()["raw_document"]  # the document as the clerk keyed it
    refused = assert_problem(
        post(clerk, item_url(item, "accept-variance"), {"reason_code": "contract_price"}), 403, "sod_keyed_by"
    )
    assert refused["rule"] == "sod_keyed_by"
    assert "KEYED-1" in refused["detail"]
    blocked = WorkAction.objects.get(item=item, kind=WorkActionKind.BLOCKED)
    assert (blocked.actor, blocked.detail) == (
        people["ap_clerk"],
        {"action": "accept_variance", "rule": "sod_keyed_by"},
    )
    item.refresh_from_db()
    assert (item.state, item.invoice.status) == (WorkItemState.OPEN, InvoiceStatus.EXCEPTION)
    timeline = clerk.get(item_url(item)).json()["timeline"]
    assert any(entry["what"].startswith("Refused") for entry in timeline)


def test_two_clerks_never_hold_one_item(clients, people, small, bob) -> None:
    assert post(signed_in(bob), item_url(small, "claim")).status_code == 200
    clerk = clients["ap_clerk"]
    taken = assert_problem(post(clerk, item_url(small, "claim")), 409, "claimed_by_other")
    assert taken["claimed_by"] == "bob"
    assert "bob" in taken["detail"]
    held = {"reason_code": "awaiting_vendor", "review_on": str(timezone.localdate() + timedelta(days=2))}
    assert_problem(post(clerk, item_url(small, "hold"), held), 409, "claimed_by_other")
    assert_problem(post(clerk, item_url(small, "release")), 409, "not_claimed")
    item = WorkItem.objects.get(pk=small.pk)
    assert (item.claimed_by, item.state) == (bob, WorkItemState.OPEN)
    assert not WorkAction.objects.filter(item=item).exists()


def test_bulk_hold_does_each_item_and_reports_the_ones_it_could_not(clients, small, big, third, southern, bob) -> None:
    assert post(signed_in(bob), item_url(big, "claim")).status_code == 200
    review_on = str(timezone.localdate() + timedelta(days=3))
    body = {
        "items": [small.pk, big.pk, southern.pk, third.pk, 999999, small.pk],
        "action": "hold",
        "params": {"reason_code": "month_end", "review_on": review_on, "note": "Period close"},
    }
    response = post(clients["ap_clerk"], f"{API}items/bulk/", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["done"], answer["refused"]) == (2, 3)
    results = {result["item"]: result for result in answer["results"]}
    assert [result["item"] for result in answer["results"]] == [small.pk, big.pk, southern.pk, third.pk, 999999]
    assert results[small.pk] == {"item": small.pk, "ok": True, "code": "", "message": "", "outcome": ""}
    assert results[third.pk]["ok"]
    assert (results[big.pk]["ok"], results[big.pk]["code"]) == (False, "claimed_by_other")
    assert (results[southern.pk]["code"], results[999999]["code"]) == ("not_found", "not_found")
    states = dict(WorkItem.objects.values_list("pk", "state"))
    assert (states[small.pk], states[third.pk]) == (WorkItemState.ON_HOLD, WorkItemState.ON_HOLD)
    assert (states[big.pk], states[southern.pk]) == (WorkItemState.OPEN, WorkItemState.OPEN)
    holds = WorkAction.objects.filter(kind=WorkActionKind.HOLD)
    assert sorted(holds.values_list("item_id", "reason_code", "note")) == [
        (small.pk, "month_end", "Period close"),
        (third.pk, "month_end", "Period close"),
    ]


def test_bad_input_is_answered_field_by_field(clients, small) -> None:
    clerk = clients["ap_clerk"]
    missing = assert_problem(post(clerk, item_url(small, "accept-variance"), {}), 400, "validation_failed")
    assert [(error["field"], error["pointer"]) for error in missing["errors"]] == [("reason_code", "/reason_code")]
    wrong = assert_problem(
        post(clerk, item_url(small, "hold"), {"reason_code": "bored", "review_on": "soon"}), 400, "validation_failed"
    )
    assert {error["field"] for error in wrong["errors"]} == {"reason_code", "review_on"}
    assert_problem(post(clerk, item_url(small, "reject"), {"reason_code": "not_ordered"}), 400, "validation_failed")
    why = assert_problem(
        post(clerk, item_url(small, "accept-variance"), {"reason_code": "other"}), 422, "note_required"
    )
    assert why["errors"] == [{"field": "note", "pointer": "/note", "detail": why["detail"], "code": "note_required"}]
    past = {"reason_code": "awaiting_vendor", "review_on": str(timezone.localdate())}
    late = assert_problem(post(clerk, item_url(small, "hold"), past), 422, "invalid_review_date")
    assert late["errors"][0]["field"] == "review_on"
    bulk = assert_problem(
        post(clerk, f"{API}items/bulk/", {"items": [small.pk], "action": "reject", "params": {"reason_code": "x"}}),
        400,
        "validation_failed",
    )
    assert {error["pointer"] for error in bulk["errors"]} == {"/params/reason_code", "/params/note"}
    nothing = assert_problem(post(clerk, f"{API}items/bulk/", {"items": [], "action": "fly"}), 400, "validation_failed")
    assert {error["field"] for error in nothing["errors"]} == {"items", "action"}
    assert WorkItem.objects.get(pk=small.pk).state == WorkItemState.OPEN
    assert not WorkAction.objects.filter(item=small).exists()


def test_a_retried_action_with_the_same_idempotency_key_is_done_once(clients, small) -> None:
    clerk = clients["ap_clerk"]

    def comment(key: str, note: str) -> Any:
        return clerk.post(
            item_url(small, "comment"), json.dumps({"note": note}), "application/json", HTTP_IDEMPOTENCY_KEY=key
        )

    first = comment("k-1", "Checked")
    again = comment("k-1", "Checked")
    assert (first.status_code, again.status_code, again["Idempotent-Replayed"]) == (200, 200, "true")
    assert again.json() == first.json()
    assert WorkAction.objects.filter(item=small, kind=WorkActionKind.COMMENT).count() == 1
    assert_problem(comment("k-1", "Something else"), 422, "idempotency_key_reused")
