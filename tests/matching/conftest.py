"""Matching fixtures: a vendor, a three-way PO at NORTH, and a builder for canonical invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from matching.intake.canonical import CanonicalInvoice, CanonicalLine
from matching.models import PurchaseOrder
from matching.services.orders import OrderLineData, purchase_order_upsert
from tests.vendors.factories import make_vendor
from vendors.models import Vendor


@pytest.fixture
def supplier(db: None) -> Vendor:
    return make_vendor("Medline Industries LP")


@pytest.fixture
def order(north, supplier) -> PurchaseOrder:
    order, _created = purchase_order_upsert(
        actor="tests",
        facility=north,
        number="PO-100",
        vendor=supplier,
        ordered_on=date(2026, 11, 1),
        lines=[
            OrderLineData(1, "Nitrile gloves, medium", Decimal("100"), Decimal("10.00"), item_code="GL-100"),
            OrderLineData(2, "Saline 0.9% 1L", Decimal("40"), Decimal("2.00"), item_code="SA-1", match_type="two_way"),
        ],
    )
    return order


def canonical(
    supplier: Vendor | None,
    *lines: tuple[int | None, str, str],
    number: str = "INV-1",
    unit: str = "EA",
    **header: Any,
) -> CanonicalInvoice:
    """An invoice for `supplier` (None: a vendor number the master does not know) at NORTH on PO-100 with lines
    (po line number, quantity, unit price) in `unit`."""
    built = tuple(
        CanonicalLine(
            line_number=position,
            po_line_number=po_line,
            item_code="",
            gtin="",
            description="",
            quantity=Decimal(quantity),
            unit_of_measure=unit,
            unit_price=Decimal(price),
            amount=(Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01")),
        )
        for position, (po_line, quantity, price) in enumerate(lines, start=1)
    )
    subtotal = sum((line.amount for line in built), Decimal(0))
    values: dict[str, Any] = {
        "document_type": "invoice",
        "invoice_number": number,
        "invoice_date": date(2026, 11, 10),
        "due_date": None,
        "currency": "USD",
        "vendor_number": supplier.number if supplier else "V-NOBODY",
        "vendor_ref_system": "",
        "vendor_ref_id": "",
        "vendor_tax_id": "",
        "vendor_gln": "",
        "vendor_name": "",
        "facility": "NORTH",
        "po_number": "PO-100",
        "original_invoice_number": "",
        "subtotal": subtotal,
        "tax_amount": Decimal(0),
        "freight_amount": Decimal(0),
        "total_amount": subtotal,
        "lines": built,
        "source_format": "ubl",
    }
    values.update(header)
    return CanonicalInvoice(**values)
