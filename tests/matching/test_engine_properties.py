"""Properties of the match engine over generated POs, invoices, credit memos, units and rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.engine import (
    InvoiceFacts,
    InvoiceLineFacts,
    MatchResult,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    ToleranceRule,
    match_invoice,
    rule_for,
)
from matching.engine.tolerances import SCOPE_RANK
from tests.matching.test_engine_facts import FACILITY, GLOVES, SUTURES, VENDOR, rule

T = TypeVar("T")
UOMS = {("CS", "EA"): Decimal(12), ("BX", "EA"): Decimal(100)}
PROPERTY_SETTINGS = settings(max_examples=250, deadline=None)

quantities = st.decimals(min_value=0, max_value=300, places=1, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)
small_limits = st.decimals(min_value=0, max_value=10, places=1, allow_nan=False, allow_infinity=False)


@st.composite
def po_lines(draw: st.DrawFn) -> tuple[PurchaseOrderLineFacts, ...]:
    """One to four PO lines; item codes may repeat, so one item can sit on two lines."""
    count = draw(st.integers(min_value=1, max_value=4))
    lines = []
    for index in range(count):
        ordered = draw(quantities)
        lines.append(
            PurchaseOrderLineFacts(
                id=100 + index,
                line_number=index + 1,
                item_code=draw(st.sampled_from(["GLV-100", "SUT-300", "CAT-7"])),
                gtin=draw(st.sampled_from(["", "00012345678905"])),
                category=draw(st.sampled_from([GLOVES, SUTURES, ""])),
                description=draw(st.sampled_from(["Nitrile gloves medium", "Absorbable suture 3-0", "IV catheter"])),
                quantity_ordered=ordered,
                unit_of_measure=draw(st.sampled_from(["EA", "CS"])),
                unit_price=draw(prices),
                match_type=draw(st.sampled_from(["three_way", "two_way"])),
                quantity_received=draw(st.one_of(st.just(Decimal(0)), quantities)),
                quantity_invoiced=draw(st.one_of(st.just(Decimal(0)), quantities)),
            )
        )
    return tuple(lines)


def sometimes(draw: st.DrawFn, noisy: bool, clean: T, *odd: T) -> T:
    """The clean value, or (in a noisy case) one of the clean and odd values."""
    return draw(st.sampled_from([clean, clean, *odd])) if noisy else clean


@st.composite
def purchase_orders(draw: st.DrawFn, noisy: bool) -> PurchaseOrderFacts:
    """An open USD purchase order of VENDOR; in a noisy case perhaps another vendor's, in EUR, or closed."""
    return PurchaseOrderFacts(
        id=11,
        number="4500001",
        vendor_id=sometimes(draw, noisy, VENDOR, VENDOR + 1),
        currency=sometimes(draw, noisy, "USD", "EUR"),
        status=sometimes(draw, noisy, "open", "closed"),
        lines=draw(po_lines()),
    )


@st.composite
def invoice_lines(draw: st.DrawFn, po: PurchaseOrderFacts | None, noisy: bool) -> tuple[InvoiceLineFacts, ...]:
    """One to five invoice lines in any line-number order; in a clean case each resembles a PO line."""
    po_line_list = po.lines if po else ()
    count = draw(st.integers(min_value=1, max_value=5))
    lines = []
    for index in range(count):
        resembles = None
        if po_line_list and (not noisy or draw(st.booleans())):
            resembles = draw(st.sampled_from(po_line_list))
        quantity = draw(quantities)
        unit_price = resembles.unit_price if resembles is not None and draw(st.booleans()) else draw(prices)
        lines.append(
            InvoiceLineFacts(
                line_number=index + 1,
                po_line_number=draw(st.sampled_from([None, 9, resembles.line_number if resembles else 1])),
                item_code=draw(st.sampled_from(["", "XR-9", resembles.item_code if resembles else "GLV-100"])),
                description=resembles.description if resembles else draw(st.sampled_from(["Scalpel", ""])),
                quantity=quantity,
                unit_of_measure=draw(st.sampled_from(["EA", "CS", "BX", "PK"] if noisy else ["EA", "CS", "BX"])),
                unit_price=unit_price,
                amount=quantity * unit_price,
            )
        )
    return tuple(draw(st.permutations(lines)))


@st.composite
def tolerance_rules(draw: st.DrawFn) -> tuple[ToleranceRule, ...]:
    """A global rule with generated limits, sometimes with a vendor rule and a category rule over it."""
    rules = [
        rule(
            id=1,
            price_pct=draw(small_limits),
            price_abs=draw(prices),
            accept_lower_price=draw(st.booleans()),
            qty_over_ordered=draw(small_limits),
            qty_over_received=draw(small_limits),
            header_total_abs=draw(small_limits),
        )
    ]
    if draw(st.booleans()):
        rules.append(rule(id=2, scope="vendor", vendor_id=VENDOR, qty_over_ordered=draw(small_limits)))
    if draw(st.booleans()):
        rules.append(rule(id=3, scope="category", category=GLOVES, qty_over_received=draw(small_limits)))
    return tuple(rules)


@st.composite
def cases(draw: st.DrawFn) -> tuple[InvoiceFacts, PurchaseOrderFacts | None, tuple[ToleranceRule, ...]]:
    """An invoice or credit memo, the PO it found (or None), and the rules in force.

    Half the cases have a clean header, so that approved results are common enough to test.
    """
    noisy = draw(st.booleans())
    reference = sometimes(draw, noisy, "found", "not_found", "none")
    po = draw(purchase_orders(noisy)) if reference == "found" else None
    lines = draw(invoice_lines(po, noisy))
    amounts = sum((line.amount for line in lines), Decimal(0))
    document = InvoiceFacts(
        document_type=draw(st.sampled_from(["invoice", "invoice", "credit_memo"])),
        vendor_id=sometimes(draw, noisy, VENDOR, None),
        vendor_flags=sometimes(draw, noisy, (), ("bank_unverified",)),
        facility_id=FACILITY,
        currency="USD",
        po_number="" if reference == "none" else "4500001",
        po_required=draw(st.booleans()),
        subtotal=amounts,
        tax_amount=Decimal(0),
        freight_amount=Decimal(0),
        total_amount=amounts + sometimes(draw, noisy, Decimal(0), Decimal("0.07")),
        lines=lines,
        duplicate_of=sometimes(draw, noisy, "", "INV-1"),
    )
    return document, po, draw(tolerance_rules())


def line_rule(
    po_line: PurchaseOrderLineFacts, document: InvoiceFacts, po: PurchaseOrderFacts, rules: tuple[ToleranceRule, ...]
) -> ToleranceRule:
    """The rule the engine should have judged this PO line by."""
    vendor_id = document.vendor_id if document.vendor_id is not None else po.vendor_id
    return rule_for(rules, facility_id=document.facility_id, vendor_id=vendor_id, category=po_line.category)


def codes_on_po_line(result: MatchResult, po_line_id: int) -> set[str]:
    """Codes raised on the invoice lines paired with one PO line."""
    line_numbers = {line.invoice_line_number for line in result.lines if line.po_line_id == po_line_id}
    return {finding.code for finding in result.findings if finding.line_number in line_numbers}


@PROPERTY_SETTINGS
@given(cases())
def test_cumulative_invoiced_never_exceeds_ordered_without_qty_over_ordered(case) -> None:
    document, po, rules = case
    result = match_invoice(document, po, rules, UOMS)
    if po is None or document.document_type != "invoice":
        return
    consumed = dict(result.consumption)
    for po_line in po.lines:
        if po_line.id not in consumed:
            continue
        limit = po_line.quantity_ordered + line_rule(po_line, document, po, rules).qty_over_ordered
        if po_line.quantity_invoiced + consumed[po_line.id] > limit:
            assert "qty_over_ordered" in codes_on_po_line(result, po_line.id)


@PROPERTY_SETTINGS
@given(cases())
def test_a_three_way_line_never_passes_invoiced_beyond_received(case) -> None:
    document, po, rules = case
    result = match_invoice(document, po, rules, UOMS)
    if po is None or document.document_type != "invoice":
        return
    consumed = dict(result.consumption)
    for po_line in po.lines:
        if po_line.match_type != "three_way" or po_line.id not in consumed:
            continue
        limit = po_line.quantity_received + line_rule(po_line, document, po, rules).qty_over_received
        if po_line.quantity_invoiced + consumed[po_line.id] > limit:
            assert codes_on_po_line(result, po_line.id) & {"qty_over_received", "no_receipt"}


@PROPERTY_SETTINGS
@given(cases())
def test_approved_exactly_when_a_po_was_found_and_nothing_was_raised(case) -> None:
    document, po, rules = case
    result = match_invoice(document, po, rules, UOMS)
    assert (result.status == "approved") == (not result.findings and po is not None)
    assert (result.status == "pending_approval") == (not result.findings and po is None)
    assert (result.status == "exception") == bool(result.findings)


@PROPERTY_SETTINGS
@given(cases())
def test_consumption_is_the_matched_quantity_signed_by_document_type(case) -> None:
    document, po, rules = case
    result = match_invoice(document, po, rules, UOMS)
    sign = -1 if document.document_type == "credit_memo" else 1
    uom_mismatched = {f.line_number for f in result.findings if f.code == "uom_mismatch"}
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for line in result.lines:
        if line.po_line_id is not None and line.invoice_line_number not in uom_mismatched:
            expected[line.po_line_id] += sign * line.quantity
    assert dict(result.consumption) == dict(expected)
    # Converted quantities may not terminate (1/3 of a case), so totals summed in another order agree to 1e-20.
    total = sum((quantity for _, quantity in result.consumption), Decimal(0))
    assert abs(total - sum(expected.values(), Decimal(0))) <= Decimal("1e-20")
    if po is not None:
        po_line_order = [po_line.id for po_line in po.lines]
        assert [po_line_id for po_line_id, _ in result.consumption] == [
            po_line_id for po_line_id in po_line_order if po_line_id in expected
        ]


@PROPERTY_SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_lines_and_rules_were_loaded_in(case, random) -> None:
    document, po, rules = case
    shuffled_lines = list(document.lines)
    random.shuffle(shuffled_lines)
    shuffled_rules = list(rules)
    random.shuffle(shuffled_rules)
    again = match_invoice(replace(document, lines=tuple(shuffled_lines)), po, shuffled_rules, UOMS)
    assert again == match_invoice(document, po, rules, UOMS)


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["global", "facility", "vendor", "category"]),
            st.sampled_from([FACILITY, FACILITY + 1]),
            st.sampled_from([VENDOR, VENDOR + 1]),
            st.sampled_from([GLOVES, SUTURES]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([GLOVES, SUTURES, ""]),
)
def test_the_chosen_rule_applies_and_no_applicable_rule_is_more_specific(specs, category) -> None:
    rules = [
        rule(
            id=index + 1,
            scope=scope,
            facility_id=facility if scope == "facility" else None,
            vendor_id=vendor if scope == "vendor" else None,
            category=rule_category if scope == "category" else "",
        )
        for index, (scope, facility, vendor, rule_category) in enumerate(specs)
    ]

    def applies(candidate: ToleranceRule) -> bool:
        return (
            candidate.scope == "global"
            or (candidate.scope == "facility" and candidate.facility_id == FACILITY)
            or (candidate.scope == "vendor" and candidate.vendor_id == VENDOR)
            or (candidate.scope == "category" and candidate.category == category)
        )

    applicable = [candidate for candidate in rules if applies(candidate)]
    if not applicable:
        with pytest.raises(ValueError, match="No tolerance rule applies"):
            rule_for(rules, facility_id=FACILITY, vendor_id=VENDOR, category=category)
        return
    chosen = rule_for(rules, facility_id=FACILITY, vendor_id=VENDOR, category=category)
    assert chosen in applicable
    assert SCOPE_RANK[chosen.scope] == max(SCOPE_RANK[candidate.scope] for candidate in applicable)
