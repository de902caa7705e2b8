"""Builders of engine facts shared by the engine tests, and the checks the facts make on themselves."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest

from matching.engine import (
    DEFAULT_RULE,
    InvoiceFacts,
    InvoiceLineFacts,
    MatchResult,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    ToleranceRule,
    UomConversions,
    match_invoice,
)

VENDOR = 7
OTHER_VENDOR = 8
FACILITY = 3
OTHER_FACILITY = 4
PO_NUMBER = "4500001"
GLOVES = "42132203"  # UNSPSC: medical exam and non-surgical procedure gloves
SUTURES = "42312201"

Number = str | int | Decimal


def dec(value: Number) -> Decimal:
    """A Decimal from a test literal; strings keep their exact digits."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def po_line(
    *,
    id: int = 101,
    line_number: int = 1,
    item_code: str = "GLV-100",
    gtin: str = "",
    category: str = GLOVES,
    description: str = "Nitrile exam gloves medium powder free",
    quantity_ordered: Number = 100,
    unit_of_measure: str = "EA",
    unit_price: Number = "10.00",
    match_type: str = "three_way",
    quantity_received: Number = 100,
    quantity_invoiced: Number = 0,
) -> PurchaseOrderLineFacts:
    """A PO line for 100 EA of gloves at 10.00, all received, nothing invoiced yet, unless told otherwise."""
    return PurchaseOrderLineFacts(
        id=id,
        line_number=line_number,
        item_code=item_code,
        gtin=gtin,
        category=category,
        description=description,
        quantity_ordered=dec(quantity_ordered),
        unit_of_measure=unit_of_measure,
        unit_price=dec(unit_price),
        match_type=match_type,
        quantity_received=dec(quantity_received),
        quantity_invoiced=dec(quantity_invoiced),
    )


def purchase_order(
    *lines: PurchaseOrderLineFacts,
    id: int = 11,
    number: str = PO_NUMBER,
    vendor_id: int = VENDOR,
    currency: str = "USD",
    status: str = "open",
) -> PurchaseOrderFacts:
    """An open USD purchase order of VENDOR; one default line when none are given."""
    return PurchaseOrderFacts(
        id=id,
        number=number,
        vendor_id=vendor_id,
        currency=currency,
        status=status,
        lines=lines or (po_line(),),
    )


def invoice_line(
    *,
    line_number: int = 1,
    po_line_number: int | None = 1,
    item_code: str = "GLV-100",
    description: str = "Nitrile exam gloves medium powder free",
    quantity: Number = 10,
    unit_of_measure: str = "EA",
    unit_price: Number = "10.00",
    amount: Number | None = None,
) -> InvoiceLineFacts:
    """An invoice line for 10 EA of gloves at 10.00 on PO line 1; amount = quantity x price unless told."""
    return InvoiceLineFacts(
        line_number=line_number,
        po_line_number=po_line_number,
        item_code=item_code,
        description=description,
        quantity=dec(quantity),
        unit_of_measure=unit_of_measure,
        unit_price=dec(unit_price),
        amount=dec(amount) if amount is not None else dec(quantity) * dec(unit_price),
    )


def invoice(
    *lines: InvoiceLineFacts,
    document_type: str = "invoice",
    vendor_id: int | None = VENDOR,
    vendor_flags: tuple[str, ...] = (),
    facility_id: int = FACILITY,
    currency: str = "USD",
    po_number: str = PO_NUMBER,
    po_required: bool = True,
    tax_amount: Number = 0,
    freight_amount: Number = 0,
    total_amount: Number | None = None,
    duplicate_of: str = "",
) -> InvoiceFacts:
    """An invoice of VENDOR on PO_NUMBER whose header total adds up, unless told otherwise."""
    lines = lines or (invoice_line(),)
    subtotal = sum((line.amount for line in lines), Decimal(0))
    total = dec(total_amount) if total_amount is not None else subtotal + dec(tax_amount) + dec(freight_amount)
    return InvoiceFacts(
        document_type=document_type,
        vendor_id=vendor_id,
        vendor_flags=vendor_flags,
        facility_id=facility_id,
        currency=currency,
        po_number=po_number,
        po_required=po_required,
        subtotal=subtotal,
        tax_amount=dec(tax_amount),
        freight_amount=dec(freight_amount),
        total_amount=total,
        lines=lines,
        duplicate_of=duplicate_of,
    )


def rule(
    *,
    id: int = 1,
    version: int = 1,
    scope: str = "global",
    facility_id: int | None = None,
    vendor_id: int | None = None,
    category: str = "",
    price_pct: Number = 2,
    price_abs: Number = "100.00",
    accept_lower_price: bool = True,
    qty_over_received: Number = 0,
    qty_over_ordered: Number = 0,
    header_total_abs: Number = "0.05",
) -> ToleranceRule:
    """A tolerance rule with DESIGN.md's default limits unless told otherwise."""
    return ToleranceRule(
        id=id,
        version=version,
        scope=scope,
        facility_id=facility_id,
        vendor_id=vendor_id,
        category=category,
        price_pct=dec(price_pct),
        price_abs=dec(price_abs),
        accept_lower_price=accept_lower_price,
        qty_over_received=dec(qty_over_received),
        qty_over_ordered=dec(qty_over_ordered),
        header_total_abs=dec(header_total_abs),
    )


GLOBAL_RULES = (rule(),)
CASE_OF_12: UomConversions = {("CS", "EA"): Decimal(12)}


def run(
    document: InvoiceFacts,
    po: PurchaseOrderFacts | None,
    rules: tuple[ToleranceRule, ...] = GLOBAL_RULES,
    uoms: UomConversions | None = None,
) -> MatchResult:
    """match_invoice with the global default rule and no unit conversions unless told."""
    return match_invoice(document, po, rules, uoms or {})


def codes_on_line(result: MatchResult, line_number: int | None) -> list[str]:
    """The codes raised on one invoice line (None: on the header)."""
    return [finding.code for finding in result.findings if finding.line_number == line_number]


def test_the_builders_make_a_clean_match() -> None:
    result = run(invoice(), purchase_order())
    assert result.status == "approved"
    assert result.findings == ()
    assert result.consumption == ((101, Decimal(10)),)


def test_facts_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        po_line().quantity_ordered = Decimal(1)


@pytest.mark.parametrize(
    ("scope", "missing"),
    [("facility", "facility_id"), ("vendor", "vendor_id"), ("category", "category")],
)
def test_a_rule_without_the_key_of_its_scope_is_refused(scope: str, missing: str) -> None:
    with pytest.raises(ValueError, match=f"scope {scope} but no {missing}"):
        rule(id=5, scope=scope)


def test_default_rule_is_the_design_default() -> None:
    assert DEFAULT_RULE.scope == "global"
    assert DEFAULT_RULE.price_pct == Decimal(2)
    assert DEFAULT_RULE.price_abs == Decimal("100.00")
    assert DEFAULT_RULE.accept_lower_price is True
    assert DEFAULT_RULE.qty_over_received == 0
    assert DEFAULT_RULE.qty_over_ordered == 0
    assert DEFAULT_RULE.header_total_abs == Decimal("0.05")
