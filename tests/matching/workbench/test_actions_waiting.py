"""Actions that make an item wait on someone outside AP: a credit memo from the vendor, a receipt from the dock;
what arrives brings the item back or settles it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from matching.models import (
    ExceptionState,
    Invoice,
    InvoiceStatus,
    PurchaseOrder,
    ResolutionKind,
    WorkActionKind,
    WorkItemState,
)
from matching.services.orders import ReceiptLineData, receipt_record
from matching.services.workbench.actions import work_item_request_credit_memo, work_item_route_for_receipt
from p2p_portal.errors import ApplicationError, InvalidInputError
from tests.matching.workbench.conftest import Ingest, actions, item_of, open_codes

Capture = Callable[..., AbstractContextManager[Any]]


def _credit_memo(ingest: Ingest, number: str, amount: str, capture: Capture) -> Invoice:
    """The vendor's credit memo for V-111 arrives (its re-match of V-111 runs as the commit would send it)."""
    with capture(execute=True):
        return ingest(
            number, (None, "1", amount), document_type="credit_memo", original_invoice_number="V-111", po_number=""
        )


def test_a_credit_memo_covering_the_variance_recovers_it(
    ingest: Ingest,
    received: object,
    contacts: list[str],
    ann: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    with django_capture_on_commit_callbacks(execute=True):
        work_item_request_credit_memo(actor=ann, item=item, reason_code="overcharge", note="PO price is 10.00")
    item.refresh_from_db()
    assert (item.state, item.credit_expected, item.claimed_by) == (
        WorkItemState.WAITING_CREDIT_MEMO,
        Decimal("3.00"),
        None,
    )
    assert item.waiting_since is not None
    assert item.history.latest().history_user == ann
    [asked] = actions(item, WorkActionKind.REQUEST_CREDIT_MEMO)
    assert (asked.actor, asked.reason_code, asked.note, asked.amount) == (
        ann,
        "overcharge",
        "PO price is 10.00",
        Decimal("3.00"),
    )
    [letter] = mail.outbox
    assert sorted(letter.to) == contacts
    assert "3.00" in letter.body
    assert "V-111" in letter.body

    _credit_memo(ingest, "CM-9", "3.00", django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    [variance] = invoice.exceptions.all()
    assert (variance.state, variance.resolution_kind) == (ExceptionState.RESOLVED, ResolutionKind.RECOVERED)
    assert item_of(invoice).state == WorkItemState.CLOSED
    [settled] = actions(item, WorkActionKind.CREDIT_RECOVERED)
    assert settled.amount == Decimal("3.00")
    assert "CM-9" in settled.note


def test_a_partial_credit_sends_the_item_back_with_what_is_missing(
    ingest: Ingest, received: object, ann: User, django_capture_on_commit_callbacks: Capture
) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    work_item_request_credit_memo(actor=ann, item=item, reason_code="overcharge")
    _credit_memo(ingest, "CM-9", "1.00", django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.EXCEPTION
    assert open_codes(invoice) == {"price_variance"}
    item.refresh_from_db()
    # Back in the queue, still expecting the rest: credits since the request keep counting.
    assert (item.state, item.credit_expected) == (WorkItemState.OPEN, Decimal("3.00"))
    [settled] = actions(item, WorkActionKind.CREDIT_RECOVERED)
    assert settled.amount == Decimal("1.00")
    assert "2.00 still missing" in settled.note


def test_a_credit_memo_needs_a_variance_to_recover(ingest: Ingest, order: PurchaseOrder, ann: User) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.00")))
    with pytest.raises(ApplicationError) as refused:
        work_item_request_credit_memo(actor=ann, item=item, reason_code="overcharge")
    assert refused.value.code == "no_variance"
    item.refresh_from_db()
    assert item.state == WorkItemState.OPEN
    assert not actions(item, WorkActionKind.REQUEST_CREDIT_MEMO)


def _receive(order: PurchaseOrder, quantity: str, capture: Capture) -> None:
    with capture(execute=True):
        receipt_record(
            actor="dock", facility=order.facility, number=f"GR-{quantity}", purchase_order=order,
            received_on=order.ordered_on, lines=[ReceiptLineData(1, Decimal(quantity))],
        )  # fmt: skip


def test_routing_for_receipt_waits_until_the_receipt_settles_the_invoice(
    ingest: Ingest, order: PurchaseOrder, ann: User, django_capture_on_commit_callbacks: Capture
) -> None:
    invoice = ingest("V-111", (1, "10", "10.00"))
    item = item_of(invoice)
    with pytest.raises(InvalidInputError) as invalid:
        work_item_route_for_receipt(actor=ann, item=item, reason_code="not_received", to_email="the dock")
    assert invalid.value.code == "invalid_email"
    assert "to_email" in invalid.value.errors
    with django_capture_on_commit_callbacks(execute=True):
        work_item_route_for_receipt(
            actor=ann, item=item, reason_code="not_received", to_email="dock@north.example", note="Gloves?"
        )
    item.refresh_from_db()
    assert item.state == WorkItemState.WAITING_RECEIPT
    assert item.claimed_by is None
    assert item.history.latest().history_user == ann
    [asked] = actions(item, WorkActionKind.ROUTE_RECEIPT)
    assert (asked.actor, asked.reason_code, asked.note, asked.detail) == (
        ann,
        "not_received",
        "Gloves?",
        {"to": "dock@north.example"},
    )
    [letter] = mail.outbox
    assert letter.to == ["dock@north.example"]
    assert "PO-100" in letter.subject

    _receive(order, "10", django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert item_of(invoice).state == WorkItemState.CLOSED
    assert len(actions(item, WorkActionKind.RECEIPT_ARRIVED)) == 1


def test_a_short_receipt_puts_the_item_back_in_a_queue(
    ingest: Ingest, order: PurchaseOrder, ann: User, django_capture_on_commit_callbacks: Capture
) -> None:
    invoice = ingest("V-111", (1, "10", "10.00"))
    item = item_of(invoice)
    work_item_route_for_receipt(actor=ann, item=item, reason_code="partially_received", to_email="dock@north.example")
    _receive(order, "4", django_capture_on_commit_callbacks)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.EXCEPTION
    assert open_codes(invoice) == {"qty_over_received"}
    item = item_of(invoice)
    assert item.state == WorkItemState.OPEN
    assert item.queue is not None
    assert item.queue.name == "NORTH · Price & quantity variances"


def test_a_credit_memo_arriving_while_the_item_is_on_hold_still_counts(
    ingest: Ingest,
    received: object,
    contacts: list[str],
    ann: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from matching.services.workbench.actions import work_item_hold

    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    work_item_request_credit_memo(actor=ann, item=item, reason_code="overcharge")
    work_item_hold(
        actor=ann, item=item, reason_code="awaiting_vendor", review_on=timezone.localdate() + timedelta(days=5)
    )
    _credit_memo(ingest, "CM-1", "1.00", django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert (item.state, item.credit_expected) == (WorkItemState.ON_HOLD, Decimal("3.00"))

    _credit_memo(ingest, "CM-2", "2.00", django_capture_on_commit_callbacks)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert item_of(invoice).state == WorkItemState.CLOSED
    assert [action.amount for action in actions(item, WorkActionKind.CREDIT_RECOVERED)] == [
        Decimal("1.00"),
        Decimal("3.00"),
    ]
