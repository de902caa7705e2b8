"""Intake and matching persisted: exceptions with their rule, PO line totals, re-matching, concurrency."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from matching.models import ExceptionState, InvoiceStatus, LineMatch, PurchaseOrderLine
from matching.services.batch_match import invoice_match
from matching.services.intake import invoice_ingest
from matching.services.orders import ReceiptLineData, receipt_record
from tests.matching.conftest import canonical

pytestmark = pytest.mark.django_db


def _receive(order, quantity: str, number: str = "GR-1", line: int = 1) -> None:
    receipt_record(
        actor="tests",
        facility=order.facility,
        number=number,
        purchase_order=order,
        received_on=order.ordered_on,
        lines=[ReceiptLineData(line, Decimal(quantity))],
    )


def _codes(invoice) -> list[tuple[str, int | None]]:
    return sorted(invoice.exceptions.filter(state=ExceptionState.OPEN).values_list("code", "line_number"))


def test_a_clean_three_way_invoice_is_approved_and_consumes_the_po_line(north, supplier, order) -> None:
    _receive(order, "50")
    invoice = invoice_ingest(
        actor="tests", document=canonical(supplier, (1, "50", "10.00")), channel="api_json", facility=north
    )
    assert invoice.status == InvoiceStatus.APPROVED
    assert _codes(invoice) == []
    assert PurchaseOrderLine.objects.get(line_number=1).quantity_invoiced == Decimal("50")
    match = LineMatch.objects.get(invoice_line__invoice=invoice)
    assert (match.received_quantity, match.previously_invoiced_quantity) == (Decimal("50"), Decimal("0"))
    assert match.rule.scope == "global"


def test_exceptions_carry_their_line_and_rule_and_resolve_when_the_receipt_arrives(north, supplier, order) -> None:
    invoice = invoice_ingest(
        actor="tests", document=canonical(supplier, (1, "20", "10.30")), channel="api_json", facility=north
    )
    assert invoice.status == InvoiceStatus.EXCEPTION
    assert _codes(invoice) == [("no_receipt", 1), ("price_variance", 1)]
    price = invoice.exceptions.get(code="price_variance")
    assert price.rule is not None
    assert price.rule_version == 1
    assert "3" in price.detail

    _receive(order, "20")
    invoice_match(actor="tests", invoice=invoice)
    invoice.refresh_from_db()
    assert _codes(invoice) == [("price_variance", 1)]
    resolved = invoice.exceptions.get(code="no_receipt")
    assert resolved.state == ExceptionState.RESOLVED
    assert "matched again" in resolved.resolution
    # A re-match moves the running total by the difference only.
    assert PurchaseOrderLine.objects.get(line_number=1).quantity_invoiced == Decimal("20")


def test_a_second_invoice_for_received_goods_already_invoiced_is_over_received(north, supplier, order) -> None:
    _receive(order, "30")
    first = invoice_ingest(
        actor="tests", document=canonical(supplier, (1, "30", "10")), channel="api_json", facility=north
    )
    second = invoice_ingest(
        actor="tests", document=canonical(supplier, (1, "5", "10"), number="INV-2"), channel="api_json", facility=north
    )
    assert first.status == InvoiceStatus.APPROVED
    assert _codes(second) == [("qty_over_received", 1)]


def test_an_unknown_vendor_is_accepted_and_flagged_and_a_duplicate_names_its_original(north, supplier, order) -> None:
    unknown = invoice_ingest(
        actor="tests",
        document=canonical(supplier, (2, "1", "2.00"), vendor_number="V-999999"),
        channel="api_json",
        facility=north,
    )
    assert unknown.vendor is None
    assert ("vendor_unknown", None) in _codes(unknown)
    original = invoice_ingest(
        actor="tests", document=canonical(supplier, (2, "1", "2.00"), number="A-77"), channel="api_json", facility=north
    )
    again = invoice_ingest(
        actor="tests",
        document=canonical(supplier, (2, "1", "2.00"), number="a.77"),
        channel="api_json",
        facility=north,
    )
    assert original.status == InvoiceStatus.APPROVED
    duplicate = again.exceptions.get(code="duplicate_suspect")
    assert duplicate.duplicate_of == original
    assert "A-77" in duplicate.detail


@pytest.mark.django_db(transaction=True)
def test_two_invoices_matched_at_once_never_both_consume_the_same_received_quantity(north, supplier, order) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every write transaction, so there is no race to test")
    _receive(order, "10")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def ingest(number: str) -> None:
        try:
            barrier.wait(timeout=10)
            invoice = invoice_ingest(
                actor="tests",
                document=canonical(supplier, (1, "10", "10"), number=number),
                channel="api_json",
                facility=north,
            )
            results.append(invoice.status)
        finally:
            connection.close()

    threads = [threading.Thread(target=ingest, args=(f"C-{n}00",)) for n in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [InvoiceStatus.APPROVED, InvoiceStatus.EXCEPTION]
    assert PurchaseOrderLine.objects.get(line_number=1).quantity_invoiced == Decimal("20")


def test_an_invoice_without_a_po_waits_for_an_ap_manager_and_follows_the_decision(people, north, supplier) -> None:
    from approvals.models import ApprovalRequest
    from approvals.services import approval_request_approve

    invoice = invoice_ingest(
        actor="tests",
        document=canonical(supplier, (None, "1", "250.00"), po_number=""),
        channel="api_json",
        facility=north,
    )
    assert invoice.status == InvoiceStatus.PENDING_APPROVAL
    request = ApprovalRequest.objects.get(document_type="invoice", document_id=str(invoice.pk))
    assert request.submitted_by.username == "p2p-system"
    assert not request.submitted_by.is_active
    approval_request_approve(actor=people["ap_manager"], request=request)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.history.latest().history_user == people["ap_manager"]


def test_a_non_po_invoice_above_the_limit_needs_a_po(north, supplier, settings) -> None:
    settings.NON_PO_INVOICE_LIMIT = "5000.00"
    at_limit = invoice_ingest(
        actor="tests",
        document=canonical(supplier, (None, "1", "5000.00"), po_number=""),
        channel="api_json",
        facility=north,
    )
    above = invoice_ingest(
        actor="tests",
        document=canonical(supplier, (None, "1", "5000.01"), po_number="", number="INV-BIG"),
        channel="api_json",
        facility=north,
    )
    assert at_limit.status == InvoiceStatus.PENDING_APPROVAL
    assert _codes(above) == [("po_missing", None)]


def test_a_non_po_invoice_charged_to_a_cost_center_goes_to_its_owner(people, north, supplier) -> None:
    from approvals.models import ApprovalRequest
    from approvals.services import approval_request_approve
    from p2p_portal.errors import NotAllowedError
    from p2p_portal.services import cost_center_create

    owner = people["ap_clerk"]
    cost_center_create(actor="tests", facility=north, code="PHARM", name="Pharmacy", owner=owner)
    invoice = invoice_ingest(
        actor="tests",
        document=canonical(supplier, (None, "1", "900.00"), po_number="", cost_center="pharm"),
        channel="api_json",
        facility=north,
    )
    request = ApprovalRequest.objects.get(document_type="invoice", document_id=str(invoice.pk))
    assert request.policy.cost_center.code == "PHARM"
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=people["ap_manager"], request=request)  # not the owner's step
    approval_request_approve(actor=owner, request=request)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
