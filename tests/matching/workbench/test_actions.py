"""A clerk's actions on one item: each does what the clerk meant, leaves its reason and note in the item's log and
the actor on the history rows, and refuses to act over another clerk's lease."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from matching.models import (
    ExceptionState,
    InvoiceStatus,
    PurchaseOrder,
    ResolutionKind,
    WorkAction,
    WorkActionKind,
    WorkItemState,
)
from matching.services.orders import ReceiptLineData, receipt_record
from matching.services.workbench.actions import (
    work_item_accept_variance,
    work_item_comment,
    work_item_confirm_duplicate,
    work_item_dismiss_duplicate,
    work_item_hold,
    work_item_reject,
    work_item_release_hold,
)
from matching.services.workbench.claims import work_item_claim
from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.models import OutboxEvent
from tests.matching.workbench.conftest import Ingest, actions, item_of, open_codes

Capture = Callable[..., AbstractContextManager[Any]]


def test_accepting_a_variance_within_authority_approves_the_invoice(
    ingest: Ingest, received: object, ann: User
) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    outcome = work_item_accept_variance(actor=ann, item=item, reason_code="contract_price", note="GPO contract 7")
    assert outcome.accepted
    assert outcome.amount == Decimal("3.00")
    assert outcome.authority == Decimal("250.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.history.latest().history_user == ann
    [variance] = invoice.exceptions.all()
    assert (variance.state, variance.resolution_kind, variance.resolved_by) == (
        ExceptionState.RESOLVED,
        ResolutionKind.ACCEPTED,
        ann,
    )
    assert variance.history.latest().history_user == ann
    item.refresh_from_db()
    assert item.state == WorkItemState.CLOSED
    assert item.history.filter(history_user=ann).exists()
    [logged] = actions(item, WorkActionKind.ACCEPT_VARIANCE)
    assert (logged.actor, logged.reason_code, logged.note, logged.amount) == (
        ann,
        "contract_price",
        "GPO contract 7",
        Decimal("3.00"),
    )
    assert logged.detail["exceptions"] == [variance.pk]


def test_an_accepted_variance_is_not_raised_again_when_the_receipt_arrives(
    ingest: Ingest, order: PurchaseOrder, ann: User, django_capture_on_commit_callbacks: Capture
) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"))
    assert open_codes(invoice) == {"price_variance", "no_receipt"}
    work_item_accept_variance(actor=ann, item=item_of(invoice), reason_code="price_increase_agreed")
    assert open_codes(invoice) == {"no_receipt"}
    item = item_of(invoice)
    assert item.state == WorkItemState.OPEN
    assert item.queue is not None
    assert item.queue.name == "NORTH · Waiting for receipt", "what is left decides"
    with django_capture_on_commit_callbacks(execute=True):
        receipt_record(
            actor="dock", facility=order.facility, number="GR-2", purchase_order=order,
            received_on=order.ordered_on, lines=[ReceiptLineData(1, Decimal("10"))],
        )  # fmt: skip
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert not invoice.exceptions.filter(code="price_variance", state=ExceptionState.OPEN).exists()
    assert item_of(invoice).state == WorkItemState.CLOSED


def test_a_second_clerk_cannot_act_on_an_item_the_first_holds(
    ingest: Ingest, received: object, ann: User, bob: User
) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    work_item_claim(actor=ann, item=item)
    for act in (
        lambda: work_item_accept_variance(actor=bob, item=item, reason_code="contract_price"),
        lambda: work_item_reject(actor=bob, item=item, reason_code="not_ordered", note="Not ours"),
        lambda: work_item_hold(
            actor=bob, item=item, reason_code="investigation", review_on=timezone.localdate() + timedelta(days=2)
        ),
    ):
        with pytest.raises(ApplicationError) as refused:
            act()
        assert refused.value.code == "claimed_by_other"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.EXCEPTION
    assert open_codes(invoice) == {"price_variance"}
    item.refresh_from_db()
    assert (item.state, item.claimed_by) == (WorkItemState.OPEN, ann)
    assert not WorkAction.objects.filter(actor=bob).exists()
    assert mail.outbox == []


def test_confirming_a_duplicate_rejects_it_and_gives_back_the_po_quantity(
    ingest: Ingest,
    received: object,
    order: PurchaseOrder,
    contacts: list[str],
    ann: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    original = ingest("V-111", (1, "10", "10.00"))
    repeat = ingest("V-111", (1, "10", "10.00"))
    assert open_codes(repeat) == {"duplicate_suspect"}
    line = order.lines.get(line_number=1)
    assert line.quantity_invoiced == Decimal("20")
    item = item_of(repeat)
    with django_capture_on_commit_callbacks(execute=True):
        work_item_confirm_duplicate(actor=ann, item=item, note="Same delivery, sent twice")
    repeat.refresh_from_db()
    assert repeat.status == InvoiceStatus.REJECTED
    assert repeat.history.latest().history_user == ann
    [suspect] = repeat.exceptions.all()
    assert (suspect.state, suspect.resolution_kind) == (ExceptionState.RESOLVED, ResolutionKind.CONFIRMED)
    line.refresh_from_db()
    assert line.quantity_invoiced == Decimal("10"), "only the original still counts against the PO"
    item.refresh_from_db()
    assert item.state == WorkItemState.CLOSED
    [logged] = actions(item, WorkActionKind.CONFIRM_DUPLICATE)
    assert (logged.actor, logged.note, logged.amount) == (ann, "Same delivery, sent twice", Decimal("100.00"))
    assert logged.detail == {"duplicate_of": original.pk}
    event = OutboxEvent.objects.get(topic="invoice.rejected")
    assert event.subject == f"invoice:{repeat.pk}"
    [letter] = mail.outbox
    assert sorted(letter.to) == contacts
    assert "V-111" in letter.subject
    assert "Same delivery, sent twice" in letter.body


def test_dismissing_a_duplicate_lets_the_invoice_through_for_good(ingest: Ingest, received: object, ann: User) -> None:
    ingest("V-111", (1, "10", "10.00"))
    repeat = ingest("V-111", (1, "10", "10.00"))
    item = item_of(repeat)
    with pytest.raises(InvalidInputError) as invalid:
        work_item_dismiss_duplicate(actor=ann, item=item, reason_code="not-a-reason")
    assert invalid.value.code == "invalid_reason"
    assert "reason_code" in invalid.value.errors
    work_item_dismiss_duplicate(actor=ann, item=item, reason_code="recurring_charge", note="Monthly rental")
    repeat.refresh_from_db()
    assert repeat.status == InvoiceStatus.APPROVED, "the re-match after the dismissal did not raise it again"
    [suspect] = repeat.exceptions.all()
    assert (suspect.resolution_kind, suspect.resolved_by) == (ResolutionKind.DISMISSED, ann)
    assert suspect.history.latest().history_user == ann
    assert item_of(repeat).state == WorkItemState.CLOSED
    [logged] = actions(item, WorkActionKind.DISMISS_DUPLICATE)
    assert (logged.actor, logged.reason_code, logged.note) == (ann, "recurring_charge", "Monthly rental")


@pytest.mark.parametrize("days", [0, -1, 91])
def test_a_hold_needs_a_review_date_within_ninety_days(ingest: Ingest, received: object, ann: User, days: int) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    with pytest.raises(InvalidInputError) as invalid:
        work_item_hold(
            actor=ann, item=item, reason_code="awaiting_vendor", review_on=timezone.localdate() + timedelta(days=days)
        )
    assert invalid.value.code == "invalid_review_date"
    assert "review_on" in invalid.value.errors
    item.refresh_from_db()
    assert (item.state, item.hold_until, item.claimed_by) == (WorkItemState.OPEN, None, None)
    assert not actions(item, WorkActionKind.HOLD)


def test_a_hold_sets_the_item_aside_until_released(ingest: Ingest, received: object, ann: User) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    review = timezone.localdate() + timedelta(days=90)
    work_item_hold(actor=ann, item=item, reason_code="awaiting_buyer", review_on=review, note="Asked Jo")
    item.refresh_from_db()
    assert (item.state, item.hold_until, item.claimed_by) == (WorkItemState.ON_HOLD, review, None)
    assert item.history.latest().history_user == ann
    [logged] = actions(item, WorkActionKind.HOLD)
    assert (logged.reason_code, logged.note, logged.detail) == (
        "awaiting_buyer",
        "Asked Jo",
        {"review_on": review.isoformat()},
    )
    work_item_release_hold(actor=ann, item=item, note="Jo answered")
    item.refresh_from_db()
    assert (item.state, item.hold_until) == (WorkItemState.OPEN, None)
    assert [a.note for a in actions(item, WorkActionKind.RELEASE_HOLD)] == ["Jo answered"]


def test_rejecting_needs_a_note_for_the_vendor_and_releases_the_po(
    ingest: Ingest,
    received: object,
    order: PurchaseOrder,
    contacts: list[str],
    ann: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    with pytest.raises(InvalidInputError) as invalid:
        work_item_reject(actor=ann, item=item, reason_code="pricing_dispute", note="  ")
    assert invalid.value.code == "note_required"
    assert "note" in invalid.value.errors
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.EXCEPTION
    with django_capture_on_commit_callbacks(execute=True):
        work_item_reject(actor=ann, item=item, reason_code="pricing_dispute", note="Contract price is 10.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REJECTED
    assert invoice.history.latest().history_user == ann
    [variance] = invoice.exceptions.all()
    assert variance.resolution_kind == ResolutionKind.REJECTED
    assert order.lines.get(line_number=1).quantity_invoiced == 0
    assert item_of(invoice).state == WorkItemState.CLOSED
    [logged] = actions(item, WorkActionKind.REJECT)
    assert (logged.actor, logged.reason_code, logged.note, logged.amount) == (
        ann,
        "pricing_dispute",
        "Contract price is 10.00",
        Decimal("103.00"),
    )
    assert OutboxEvent.objects.filter(topic="invoice.rejected", subject=f"invoice:{invoice.pk}").exists()
    [letter] = mail.outbox
    assert sorted(letter.to) == contacts
    assert "Contract price is 10.00" in letter.body


def test_a_comment_goes_on_the_timeline_without_taking_the_item(
    ingest: Ingest, received: object, ann: User, bob: User
) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    work_item_claim(actor=ann, item=item)
    with pytest.raises(InvalidInputError) as invalid:
        work_item_comment(actor=bob, item=item, note=" ")
    assert invalid.value.code == "note_required"
    work_item_comment(actor=bob, item=item, note="Vendor called about this one")
    [logged] = actions(item, WorkActionKind.COMMENT)
    assert (logged.actor, logged.note) == (bob, "Vendor called about this one")
    item.refresh_from_db()
    assert item.claimed_by == ann, "a comment decides nothing and leaves Ann's lease alone"
