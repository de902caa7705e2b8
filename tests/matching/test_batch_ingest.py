"""The batch intake gives the same results as one invoice after the other: statuses, exceptions, duplicates within
the batch, credit memos, PO line totals and history rows with their actor and reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from matching.models import (
    Invoice,
    InvoiceException,
    InvoiceLine,
    InvoiceStatus,
    LineMatch,
    PurchaseOrder,
    PurchaseOrderLine,
)
from matching.services.batch_match import invoice_match, invoices_match_batch
from matching.services.intake import BatchItem, invoice_ingest, invoices_ingest_batch
from matching.services.orders import ReceiptLineData, receipt_record
from p2p_portal.errors import ApplicationError
from tests.matching.conftest import canonical

pytestmark = pytest.mark.django_db

ACTOR = "tests: batch"


class _UndoError(Exception):
    """Raised to roll a run back after its summary is taken."""


def _mixed(supplier: Any) -> list[Any]:
    """Clean, price variance, a duplicate of the first (same number), an unknown vendor, a credit memo of the first."""
    return [
        canonical(supplier, (1, "10", "10.00"), number="INV-1"),
        canonical(supplier, (1, "5", "10.80"), number="INV-2"),
        canonical(supplier, (1, "3", "10.00"), number="INV-1"),
        canonical(supplier, (1, "2", "10.00"), number="INV-3", vendor_number="V-999999"),
        canonical(
            supplier,
            (1, "1", "10.00"),
            number="CM-1",
            document_type="credit_memo",
            original_invoice_number="INV-1",
        ),
        canonical(supplier, (2, "4", "2.00"), number="INV-4"),
    ]


def _summary(order: PurchaseOrder) -> dict[str, Any]:
    """What a run left behind, without keys (they differ between runs)."""
    invoices = []
    for invoice in Invoice.objects.order_by("pk"):
        exceptions = sorted(
            (
                exception.code,
                exception.line_number,
                exception.state,
                getattr(exception.duplicate_of, "invoice_number", ""),
            )
            for exception in invoice.exceptions.all()
        )
        matches = sorted(
            (match.invoice_line.line_number, match.po_line.line_number if match.po_line else None, match.quantity,
             match.price_variance, match.quantity_over_received)
            for match in LineMatch.objects.filter(invoice_line__invoice=invoice).select_related("po_line",
                                                                                                 "invoice_line")
        )  # fmt: skip
        invoices.append(
            (
                invoice.invoice_number,
                invoice.document_type,
                invoice.status,
                invoice.vendor_id,
                invoice.purchase_order_id,
                getattr(invoice.original_invoice, "invoice_number", ""),
                exceptions,
                matches,
            )
        )
    history = {
        model.__name__: sorted(
            (row.history_type, row.history_change_reason or "", row.history_actor_label) for row in model.history.all()
        )
        for model in (Invoice, InvoiceLine, LineMatch, InvoiceException)
    }
    totals = list(
        PurchaseOrderLine.objects.filter(purchase_order=order).order_by("pk").values_list("quantity_invoiced")
    )
    return {"invoices": invoices, "history": history, "totals": totals}


def _one_by_one(documents: list[Any], facility: Any) -> None:
    for document in documents:
        invoice_ingest(actor=ACTOR, document=document, channel="bulk", facility=facility)


def _batch(documents: list[Any], facility: Any) -> list[Invoice | ApplicationError]:
    return invoices_ingest_batch(
        actor=ACTOR, items=[BatchItem(document, facility) for document in documents], channel="bulk"
    )


def _run(run: Any, documents: list[Any], facility: Any, order: PurchaseOrder) -> dict[str, Any]:
    """The summary of a run, rolled back afterwards."""
    summary: dict[str, Any] = {}

    def run_and_undo() -> None:
        with transaction.atomic():
            run(documents, facility)
            summary.update(_summary(order))
            raise _UndoError

    with pytest.raises(_UndoError):
        run_and_undo()
    return summary


def test_a_mixed_batch_gives_the_same_results_as_one_invoice_after_the_other(north, supplier, order) -> None:
    receipt_record(
        actor="dock",
        facility=north,
        number="GR-1",
        purchase_order=order,
        received_on=order.ordered_on,
        lines=[ReceiptLineData(1, Decimal("12"))],
    )
    documents = _mixed(supplier)
    expected = _run(_one_by_one, documents, north, order)
    got = _run(_batch, documents, north, order)
    assert got == expected
    statuses = [(number, status) for number, _, status, *_ in got["invoices"]]
    assert statuses == [
        ("INV-1", InvoiceStatus.APPROVED),
        ("INV-2", InvoiceStatus.EXCEPTION),
        ("INV-1", InvoiceStatus.EXCEPTION),
        ("INV-3", InvoiceStatus.EXCEPTION),
        ("CM-1", InvoiceStatus.APPROVED),
        ("INV-4", InvoiceStatus.APPROVED),
    ]
    codes = {number: [code for code, *_ in exceptions] for number, *_, exceptions, _ in got["invoices"][1:4]}
    assert "price_variance" in codes["INV-2"]
    assert "vendor_unknown" in codes["INV-3"]
    duplicates = [exception for exception in got["invoices"][2][6] if exception[0] == "duplicate_suspect"]
    assert [exception[3] for exception in duplicates] == ["INV-1"]


def test_the_batch_records_history_with_the_actor_and_reason(north, supplier, order) -> None:
    results = _batch(_mixed(supplier)[:2], north)
    first = results[0]
    assert isinstance(first, Invoice)
    rows = list(first.history.order_by("history_id").values_list("history_change_reason", "history_actor_label"))
    assert rows == [
        ("invoice INV-1 received (bulk)", ACTOR),
        (f"matched INV-1: {first.status}", ACTOR),
    ]
    line = InvoiceLine.objects.get(invoice=first)
    assert line.history.get().history_actor_label == ACTOR
    assert LineMatch.objects.get(invoice_line=line).history.get().history_change_reason == "matched INV-1"


def test_an_unknown_cost_center_refuses_only_its_own_item(north, supplier, order) -> None:
    results = _batch(
        [
            canonical(supplier, (1, "1", "10.00"), number="INV-1", cost_center="NOPE"),
            canonical(supplier, (1, "1", "10.00"), number="INV-2"),
        ],
        north,
    )
    assert isinstance(results[0], ApplicationError)
    assert results[0].code == "unknown_cost_center"
    assert isinstance(results[1], Invoice)
    assert list(Invoice.objects.values_list("invoice_number", flat=True)) == ["INV-2"]


def test_an_empty_batch_writes_nothing(north) -> None:
    assert invoices_ingest_batch(actor=ACTOR, items=[], channel="bulk") == []
    assert not Invoice.objects.exists()


def _ingest_then_receive(documents: list[Any], facility: Any, order: PurchaseOrder) -> list[int]:
    ids = [invoice.pk for invoice in _batch(documents, facility) if isinstance(invoice, Invoice)]
    receipt_record(
        actor="dock",
        facility=facility,
        number="GR-2",
        purchase_order=order,
        received_on=order.ordered_on,
        lines=[ReceiptLineData(1, Decimal("8"))],
    )
    return ids


def test_a_batch_rematch_gives_the_same_results_as_one_invoice_after_the_other(north, supplier, order) -> None:
    documents = _mixed(supplier)

    def one_by_one(documents: list[Any], facility: Any) -> None:
        for invoice_id in _ingest_then_receive(documents, facility, order):
            invoice_match(actor=ACTOR, invoice=Invoice.objects.get(pk=invoice_id))

    def batch(documents: list[Any], facility: Any) -> None:
        invoices_match_batch(actor=ACTOR, invoice_ids=_ingest_then_receive(documents, facility, order))

    expected = _run(one_by_one, documents, north, order)
    got = _run(batch, documents, north, order)
    assert got == expected
    assert any(state == "resolved" for invoice in got["invoices"] for _, _, state, _ in invoice[6])


def test_an_invalid_item_is_refused_field_by_field_and_the_others_kept(north, supplier, order) -> None:
    results = _batch(
        [
            canonical(supplier, (1, "1", "10.00"), number="X" * 61),
            canonical(supplier, (1, "1", "10.00"), number="INV-2"),
        ],
        north,
    )
    assert isinstance(results[0], ApplicationError)
    assert results[0].code == "invalid"
    assert "invoice_number" in results[0].errors
    assert isinstance(results[1], Invoice)
    assert list(Invoice.objects.values_list("invoice_number", flat=True)) == ["INV-2"]
