"""A known finance data set with the edge cases the figures must get right, built through the services.

NORTH: PO-1 (Medline) line 1 gloves 100 @ 10.00 three-way ICU, line 2 saline 40 @ 2.00 two-way, line 3 pump sets
20 @ 31.00 three-way OR; PO-2 (Cardinal) line 1 drapes 50 @ 12.00 three-way, no cost center. SOUTH: PO-3 (Medline)
gloves 30 @ 10.00. Receipts, invoices and the figures they lead to are in the docstrings of the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from matching.intake.canonical import CanonicalInvoice
from matching.models import Invoice, InvoiceStatus, PurchaseOrder
from matching.services.intake import invoice_ingest
from matching.services.orders import OrderLineData, ReceiptLineData, purchase_order_upsert, receipt_record
from matching.services.payments import invoice_mark_paid, invoice_mark_posted
from p2p_portal.models import CostCenter, Facility
from p2p_portal.services import cost_center_create
from tests.matching.conftest import canonical
from tests.vendors.factories import make_vendor
from vendors.models import Vendor

ACTOR = "tests"
AS_OF = date(2026, 11, 30)


def document(
    vendor: Vendor | None,
    number: str,
    po: str,
    on: date,
    *lines: tuple[int | None, str, str],
    unit: str = "EA",
    **header: Any,
) -> CanonicalInvoice:
    """An invoice at NORTH with lines (PO line number, quantity, unit price) in `unit`."""
    return canonical(vendor, *lines, number=number, unit=unit, po_number=po, invoice_date=on, **header)


@dataclass
class FinanceData:
    """The records of the known data set, by the names the tests use."""

    north: Facility
    south: Facility
    icu: CostCenter
    theatre: CostCenter
    medline: Vendor
    cardinal: Vendor
    po1: PurchaseOrder
    po2: PurchaseOrder
    po3: PurchaseOrder
    invoices: dict[str, Invoice]


def _settle(invoice: Invoice, status: str) -> None:
    """Put a test invoice in the state a later step would leave it in. Rejection and cancellation belong to the
    workbench and approvals (tested there); the reports read only the resulting status, so it is set directly."""
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    invoice.refresh_from_db()


@pytest.fixture
def finance_data(north: Facility, south: Facility) -> FinanceData:
    icu = cost_center_create(actor=ACTOR, facility=north, code="ICU", name="Intensive care")
    theatre = cost_center_create(actor=ACTOR, facility=north, code="OR", name="Operating theatres")
    medline = make_vendor("Medline Industries LP")
    cardinal = make_vendor("Cardinal Health Inc")
    po1, _ = purchase_order_upsert(
        actor=ACTOR,
        facility=north,
        number="PO-1",
        vendor=medline,
        ordered_on=date(2026, 11, 1),
        lines=[
            OrderLineData(1, "Gloves", Decimal(100), Decimal("10.00"), item_code="GL-1", category="42132203",
                          cost_center=icu),
            OrderLineData(2, "Saline", Decimal(40), Decimal("2.00"), item_code="SA-1", category="51102710",
                          match_type="two_way"),
            OrderLineData(3, "Pump set", Decimal(20), Decimal("31.00"), item_code="IV-1", category="42221501",
                          cost_center=theatre),
        ],
    )  # fmt: skip
    po2, _ = purchase_order_upsert(
        actor=ACTOR,
        facility=north,
        number="PO-2",
        vendor=cardinal,
        ordered_on=date(2026, 11, 1),
        lines=[OrderLineData(1, "Drapes", Decimal(50), Decimal("12.00"), item_code="DR-1", category="42131600")],
    )
    po3, _ = purchase_order_upsert(
        actor=ACTOR,
        facility=south,
        number="PO-3",
        vendor=medline,
        ordered_on=date(2026, 11, 1),
        lines=[OrderLineData(1, "Gloves", Decimal(30), Decimal("10.00"), item_code="GL-1", category="42132203")],
    )
    receipts = [
        (north, "GR-1", po1, date(2026, 11, 5), [(1, "60"), (2, "40"), (3, "10")]),
        (north, "GR-2", po1, date(2026, 11, 20), [(1, "-5")]),  # a return
        (north, "GR-3", po1, date(2026, 12, 5), [(1, "30")]),  # after the as-of date
        (north, "GR-4", po2, date(2026, 11, 10), [(1, "20")]),  # partial
        (south, "GR-5", po3, date(2026, 11, 12), [(1, "30")]),
    ]
    for facility, number, order, on, lines in receipts:
        receipt_record(
            actor=ACTOR,
            facility=facility,
            number=number,
            purchase_order=order,
            received_on=on,
            lines=[ReceiptLineData(line, Decimal(quantity)) for line, quantity in lines],
        )
    documents = {
        "INV-1": (north, document(medline, "INV-1", "PO-1", date(2026, 11, 10), (1, "30", "10.00"))),
        # 1.5 % above the PO price: within tolerance, so approved, and leakage of 10 x 0.15.
        "INV-2": (north, document(medline, "INV-2", "PO-1", date(2026, 11, 25), (1, "10", "10.15"))),
        "CM-1": (north, document(medline, "CM-1", "PO-1", date(2026, 11, 28), (1, "5", "10.00"),
                                 document_type="credit_memo", original_invoice_number="INV-1")),
        "INV-3": (north, document(medline, "INV-3", "PO-1", date(2026, 11, 26), (3, "4", "31.00"))),  # rejected
        "INV-4": (north, document(medline, "INV-4", "PO-1", date(2026, 12, 2), (1, "10", "10.00"))),  # December
        "INV-5": (north, document(medline, "INV-5", "PO-1", date(2026, 11, 15), (1, "5", "10.00"))),  # cancelled
        # 1.67 % above: leakage 5 x 0.20, then posted.
        "INV-6": (north, document(cardinal, "INV-6", "PO-2", date(2026, 11, 15), (1, "5", "12.20"))),
        "INV-7": (south, document(medline, "INV-7", "PO-3", date(2026, 11, 14), (1, "10", "10.00"),
                                  facility="SOUTH")),
        "INV-8": (north, document(medline, "INV-8", "PO-1", date(2026, 11, 12), (2, "10", "2.00"))),  # two-way, paid
        "INV-9": (north, document(medline, "INV-9", "", date(2026, 11, 18), (None, "1", "100.00"))),  # non-PO
        # 12.9 % above: a price_variance exception (invoiced for accruals, not spend, not leakage).
        "INV-10": (north, document(medline, "INV-10", "PO-1", date(2026, 11, 27), (3, "2", "35.00"))),
        # Cases of gloves against a PO in each: uom_mismatch, so it settles none of the gloves received.
        "INV-11": (north, document(medline, "INV-11", "PO-1", date(2026, 11, 20), (1, "2", "100.00"), unit="CS")),
    }  # fmt: skip
    invoices = {
        number: invoice_ingest(actor=ACTOR, document=doc, channel="api_json", facility=facility)
        for number, (facility, doc) in documents.items()
    }
    _settle(invoices["INV-3"], InvoiceStatus.REJECTED)
    _settle(invoices["INV-5"], InvoiceStatus.CANCELLED)
    _settle(invoices["INV-9"], InvoiceStatus.APPROVED)  # approved by its cost center's owner
    invoice_mark_posted(actor=ACTOR, invoice=invoices["INV-6"], reference="ERP-6")
    invoice_mark_paid(actor=ACTOR, invoice=invoices["INV-8"], paid_on=date(2026, 12, 1), reference="PAY-8")
    for invoice in invoices.values():
        invoice.refresh_from_db()
    return FinanceData(north, south, icu, theatre, medline, cardinal, po1, po2, po3, invoices)
