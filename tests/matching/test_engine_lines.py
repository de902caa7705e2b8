"""Line checks: pairing with PO lines, unit price, ordered and received quantities, units of measure, credit memos."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.matching.test_engine_facts import (
    CASE_OF_12,
    GLOVES,
    codes_on_line,
    invoice,
    invoice_line,
    po_line,
    purchase_order,
    rule,
    run,
)

# --- unit price ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_price", "raised"),
    [
        ("10.20", False),  # exactly 2 % above
        ("10.201", True),  # 2.01 % above
        ("10.00", False),
        ("9.00", False),  # lower: accepted by default
    ],
)
def test_the_unit_price_may_be_two_percent_above_the_po_price(unit_price: str, raised: bool) -> None:
    result = run(invoice(invoice_line(quantity=10, unit_price=unit_price)), purchase_order())
    assert (result.codes == ("price_variance",)) is raised


@pytest.mark.parametrize(
    ("quantity", "raised"),
    [
        ("1000", False),  # 1000 x 0.10 = 100.00 extended, 1 % above
        ("1000.1", True),  # 100.01 extended
    ],
)
def test_the_extended_variance_may_be_one_hundred_dollars(quantity: str, raised: bool) -> None:
    po = purchase_order(po_line(quantity_ordered=2000, quantity_received=2000))
    result = run(invoice(invoice_line(quantity=quantity, unit_price="10.10")), po)
    assert (result.codes == ("price_variance",)) is raised


def test_both_price_limits_must_hold() -> None:
    po = purchase_order(po_line(quantity_ordered=5000, quantity_received=5000, unit_price="1.00"))
    # 1 % above but 5000 x 0.01 = 50.00 extended: both within.
    assert run(invoice(invoice_line(quantity=5000, unit_price="1.01")), po).codes == ()
    # 50 % above on 1 unit: extended 0.50 is tiny, the percentage alone fails it.
    assert run(invoice(invoice_line(quantity=1, unit_price="1.50")), po).codes == ("price_variance",)
    # 1 % above on 4 units of a 10000.00 device is 400.00 extended: the amount alone fails it.
    device = purchase_order(po_line(unit_price="10000.00", quantity_ordered=4, quantity_received=4))
    assert run(invoice(invoice_line(quantity=4, unit_price="10100.00")), device).codes == ("price_variance",)


def test_a_lower_price_is_a_variance_when_the_rule_does_not_accept_it() -> None:
    strict = (rule(id=2, version=4, accept_lower_price=False),)
    result = run(invoice(invoice_line(unit_price="9.50")), purchase_order(), strict)
    [finding] = result.findings
    assert finding.code == "price_variance"
    assert finding.detail == (
        "Unit price 9.50 is 5.00 % below the PO price 10.00 on PO line 1, and a lower price is not accepted "
        "(rule #2 v4)."
    )
    assert run(invoice(), purchase_order(), strict).codes == ()


def test_a_price_variance_reads_with_the_figures_and_the_rule() -> None:
    rules = (rule(), rule(id=3, version=2, scope="category", category=GLOVES))
    result = run(invoice(invoice_line(quantity=10, unit_price="10.50")), purchase_order(), rules)
    [finding] = result.findings
    assert finding.detail == (
        "Unit price 10.50 is 5.00 % above the PO price 10.00 on PO line 1, $5.00 extended "
        "(limit 2 % and $100.00 extended, rule #3 v2)."
    )
    assert (finding.line_number, finding.rule_id, finding.rule_version) == (1, 3, 2)
    [line] = result.lines
    assert line.price_variance == Decimal("0.50")
    assert line.price_variance_pct == Decimal(5)
    assert line.extended_price_variance == Decimal("5.00")


def test_any_increase_on_a_zero_priced_po_line_is_a_variance() -> None:
    po = purchase_order(po_line(unit_price="0.00"))
    result = run(invoice(invoice_line(unit_price="0.01")), po)
    assert result.codes == ("price_variance",)
    assert result.findings[0].detail.startswith(
        "Unit price 0.01 is above the PO price 0.00 on PO line 1, $0.10 extended"
    )
    assert result.lines[0].price_variance_pct is None


def test_unit_prices_of_consumables_keep_their_fraction_of_a_cent() -> None:
    po = purchase_order(po_line(unit_price="0.0345", quantity_ordered=1000, quantity_received=1000))
    result = run(invoice(invoice_line(quantity=1000, unit_price="0.0400")), po)
    assert "Unit price 0.0400 is 15.94 % above the PO price 0.0345" in result.findings[0].detail


# --- quantities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "raised"), [(100, False), (101, True)])
def test_the_ordered_quantity_may_be_invoiced_and_not_one_more(quantity: int, raised: bool) -> None:
    po = purchase_order(po_line(quantity_ordered=100, quantity_received=200))
    result = run(invoice(invoice_line(quantity=quantity)), po)
    assert (result.codes == ("qty_over_ordered",)) is raised
    assert result.lines[0].quantity_over_ordered == (Decimal(1) if raised else 0)


@pytest.mark.parametrize(("quantity", "raised"), [(40, False), (41, True)])
def test_the_received_quantity_may_be_invoiced_and_not_one_more(quantity: int, raised: bool) -> None:
    po = purchase_order(po_line(quantity_ordered=100, quantity_received=40))
    result = run(invoice(invoice_line(quantity=quantity)), po)
    assert (result.codes == ("qty_over_received",)) is raised


def test_quantity_findings_read_with_the_figures_and_the_rule() -> None:
    po = purchase_order(po_line(quantity_ordered=100, quantity_received=50, quantity_invoiced=30))
    result = run(invoice(invoice_line(quantity=75)), po)
    assert [finding.detail for finding in result.findings] == [
        "Invoiced quantity on PO line 1 would reach 105 EA, above the 100 EA ordered (30 EA invoiced before "
        "this line; limit 0 EA over ordered, rule #1 v1).",
        "Invoiced quantity on PO line 1 would reach 105 EA, but only 50 EA were received "
        "(limit 0 EA over received, rule #1 v1).",
    ]
    assert [(f.rule_id, f.rule_version) for f in result.findings] == [(1, 1), (1, 1)]


def test_quantity_tolerances_come_from_the_rule() -> None:
    lenient = (rule(qty_over_ordered=5, qty_over_received=2),)
    po = purchase_order(po_line(quantity_ordered=100, quantity_received=100))
    assert run(invoice(invoice_line(quantity=102)), po, lenient).codes == ()
    assert run(invoice(invoice_line(quantity=103)), po, lenient).codes == ("qty_over_received",)
    po_received_more = purchase_order(po_line(quantity_ordered=100, quantity_received=110))
    assert run(invoice(invoice_line(quantity=105)), po_received_more, lenient).codes == ()
    assert run(invoice(invoice_line(quantity=106)), po_received_more, lenient).codes == ("qty_over_ordered",)


def test_nothing_received_is_no_receipt_and_not_also_over_received() -> None:
    result = run(invoice(), purchase_order(po_line(quantity_received=0)))
    assert result.codes == ("no_receipt",)
    assert result.findings[0].rule_id is None


def test_a_two_way_line_needs_no_receipt() -> None:
    po = purchase_order(po_line(match_type="two_way", quantity_received=0))
    assert run(invoice(invoice_line(quantity=100)), po).codes == ()
    assert run(invoice(invoice_line(quantity=100)), po).lines[0].quantity_over_received is None


def test_partial_receipts_are_invoiced_as_they_arrive() -> None:
    # 100 ordered, 30 received so far: invoicing 30 passes, 31 would be ahead of the goods.
    po = purchase_order(po_line(quantity_received=30))
    assert run(invoice(invoice_line(quantity=30)), po).codes == ()
    assert run(invoice(invoice_line(quantity=31)), po).codes == ("qty_over_received",)
    # Later 70 more arrive, and another invoice already took the first 30.
    later = purchase_order(po_line(quantity_received=100, quantity_invoiced=30))
    result = run(invoice(invoice_line(quantity=70)), later)
    assert result.codes == ()
    assert result.lines[0].previously_invoiced_quantity == 30
    assert run(invoice(invoice_line(quantity=71)), later).codes == ("qty_over_ordered", "qty_over_received")


def test_other_invoices_count_towards_the_ordered_quantity() -> None:
    po = purchase_order(po_line(quantity_ordered=100, quantity_received=100, quantity_invoiced=95))
    assert run(invoice(invoice_line(quantity=5)), po).codes == ()
    assert run(invoice(invoice_line(quantity=6)), po).codes == ("qty_over_ordered", "qty_over_received")


# --- several invoice lines on one PO line ----------------------------------------------------------


def test_two_lines_on_one_po_line_pass_while_the_po_line_covers_both() -> None:
    document = invoice(invoice_line(line_number=1, quantity=60), invoice_line(line_number=2, quantity=40))
    result = run(document, purchase_order())
    assert result.codes == ()
    assert [line.previously_invoiced_quantity for line in result.lines] == [0, 60]
    assert result.consumption == ((101, Decimal(100)),)


def test_the_second_line_on_one_po_line_is_over_ordered_when_it_cannot_cover_both() -> None:
    document = invoice(invoice_line(line_number=1, quantity=60), invoice_line(line_number=2, quantity=41))
    result = run(document, purchase_order())
    assert [(f.code, f.line_number) for f in result.findings] == [
        ("qty_over_ordered", 2),
        ("qty_over_received", 2),
    ]
    assert result.consumption == ((101, Decimal(101)),)


def test_lines_are_judged_in_line_number_order_whatever_order_they_came_in() -> None:
    document = invoice(invoice_line(line_number=2, quantity=41), invoice_line(line_number=1, quantity=60))
    result = run(document, purchase_order())
    assert [line.invoice_line_number for line in result.lines] == [1, 2]
    assert codes_on_line(result, 2) == ["qty_over_ordered", "qty_over_received"]


# --- pairing ------------------------------------------------------------------------------------

TWO_LINE_PO = purchase_order(
    po_line(id=101, line_number=1, item_code="GLV-100", gtin="00012345678905", description="Nitrile gloves medium"),
    po_line(id=102, line_number=2, item_code="SUT-300", gtin="", description="Absorbable suture 3-0 with needle"),
)


def test_a_line_pairs_by_the_po_line_number_the_vendor_wrote() -> None:
    result = run(invoice(invoice_line(po_line_number=2, item_code="", description="whatever")), TWO_LINE_PO)
    assert result.lines[0].po_line_id == 102


def test_a_line_pairs_by_item_code_when_it_names_no_line() -> None:
    result = run(invoice(invoice_line(po_line_number=None, item_code="sut-300 ")), TWO_LINE_PO)
    assert (result.lines[0].po_line_id, result.lines[0].po_line_number) == (102, 2)


def test_a_line_number_the_po_lacks_falls_back_to_the_item_code() -> None:
    result = run(invoice(invoice_line(po_line_number=7, item_code="SUT-300")), TWO_LINE_PO)
    assert result.codes == ()
    assert result.lines[0].po_line_id == 102


def test_a_line_pairs_by_gtin_ignoring_zero_padding() -> None:
    result = run(invoice(invoice_line(po_line_number=None, item_code="12345678905")), TWO_LINE_PO)
    assert result.lines[0].po_line_id == 101


def test_a_line_pairs_by_a_similar_description_at_a_price_within_tolerance() -> None:
    line = invoice_line(po_line_number=None, item_code="", description="ABSORBABLE SUTURE 3-0 W/ NEEDLE")
    result = run(invoice(line), TWO_LINE_PO)
    assert result.codes == ()
    assert result.lines[0].po_line_id == 102


def test_a_similar_description_at_a_price_beyond_tolerance_does_not_pair() -> None:
    line = invoice_line(
        po_line_number=None, item_code="", description="Absorbable suture 3-0 with needle", unit_price="10.21"
    )
    assert run(invoice(line), TWO_LINE_PO).codes == ("line_not_on_po",)


def test_a_dissimilar_description_does_not_pair() -> None:
    line = invoice_line(po_line_number=None, item_code="XR-9", description="Surgical stapler reload")
    result = run(invoice(line), TWO_LINE_PO)
    assert result.codes == ("line_not_on_po",)
    assert result.findings[0].detail.startswith("Invoice line 1 (XR-9: 'Surgical stapler reload') matches no line")
    assert result.status == "exception"
    assert result.lines[0].po_line_id is None
    assert result.consumption == ()


def test_a_line_not_on_po_says_where_the_engine_looked() -> None:
    line = invoice_line(po_line_number=9, item_code="XR-9", description="Surgical stapler reload")
    assert run(invoice(line), TWO_LINE_PO).findings[0].detail == (
        "Invoice line 1 (XR-9: 'Surgical stapler reload') matches no line of PO 4500001: PO line 9 does not exist, "
        "no line has its item code or GTIN, none has a description at least 85 % similar at a unit price within "
        "tolerance."
    )
    in_euros = run(invoice(line, currency="EUR"), TWO_LINE_PO)
    assert in_euros.codes == ("currency_mismatch", "line_not_on_po")
    assert in_euros.findings[1].detail.endswith("descriptions were not compared because the currencies differ.")


def test_an_item_on_two_po_lines_goes_to_the_line_with_room_for_it() -> None:
    po = purchase_order(
        po_line(id=101, line_number=1, quantity_ordered=50, quantity_received=50, quantity_invoiced=50),
        po_line(id=102, line_number=2, quantity_ordered=50, quantity_received=50),
    )
    document = invoice(invoice_line(line_number=1, po_line_number=None, quantity=30))
    result = run(document, po)
    assert result.codes == ()
    assert result.consumption == ((102, Decimal(30)),)


def test_an_item_on_two_po_lines_fills_them_in_turn_across_invoice_lines() -> None:
    po = purchase_order(
        po_line(id=101, line_number=1, quantity_ordered=50, quantity_received=50),
        po_line(id=102, line_number=2, quantity_ordered=50, quantity_received=50),
    )
    document = invoice(
        invoice_line(line_number=1, po_line_number=None, quantity=40),
        invoice_line(line_number=2, po_line_number=None, quantity=40),
    )
    result = run(document, po)
    assert result.codes == ()
    assert result.consumption == ((101, Decimal(40)), (102, Decimal(40)))


# --- units of measure ---------------------------------------------------------------------------


def test_cases_are_converted_to_eaches_before_the_checks() -> None:
    # 2 cases of 12 at 120.00 a case = 24 each at 10.00: the PO's own terms.
    document = invoice(invoice_line(quantity=2, unit_of_measure="CS", unit_price="120.00"))
    result = run(document, purchase_order(), uoms=CASE_OF_12)
    assert result.codes == ()
    [line] = result.lines
    assert (line.quantity, line.unit_of_measure, line.price_variance) == (Decimal(24), "EA", Decimal(0))
    assert result.consumption == ((101, Decimal(24)),)


def test_a_converted_quantity_is_checked_against_the_po_quantity() -> None:
    # 9 cases = 108 each on a line of 100.
    document = invoice(invoice_line(quantity=9, unit_of_measure="cs", unit_price="120.00"))
    result = run(document, purchase_order(po_line(quantity_received=200)), uoms=CASE_OF_12)
    assert result.codes == ("qty_over_ordered",)


def test_a_conversion_known_the_other_way_round_is_used() -> None:
    po = purchase_order(po_line(unit_of_measure="CS", unit_price="120.00", quantity_ordered=10, quantity_received=10))
    document = invoice(invoice_line(quantity=24, unit_of_measure="EA", unit_price="10.00"))
    result = run(document, po, uoms=CASE_OF_12)
    assert result.codes == ()
    assert (result.lines[0].quantity, result.lines[0].unit_of_measure) == (Decimal(2), "CS")


def test_a_unit_without_a_conversion_is_uom_mismatch_and_skips_the_quantity_and_price_checks() -> None:
    document = invoice(invoice_line(quantity=500, unit_of_measure="BX", unit_price="99.00"))
    result = run(document, purchase_order(po_line(quantity_received=0)), uoms=CASE_OF_12)
    assert result.codes == ("uom_mismatch",)
    assert result.findings[0].detail == (
        "Invoice unit BX differs from unit EA of PO line 1 and no conversion between them is known."
    )
    [line] = result.lines
    assert (line.po_line_id, line.quantity, line.unit_of_measure) == (101, Decimal(500), "BX")
    assert line.price_variance is None
    assert result.consumption == ()


def test_units_compare_case_and_space_insensitively() -> None:
    assert run(invoice(invoice_line(unit_of_measure=" ea")), purchase_order()).codes == ()


def test_a_non_positive_conversion_factor_is_a_loading_error() -> None:
    with pytest.raises(ValueError, match="non-positive"):
        run(invoice(), purchase_order(), uoms={("CS", "EA"): Decimal(0)})


# --- credit memos -------------------------------------------------------------------------------


def test_a_credit_memo_gives_quantity_back_to_the_po_line() -> None:
    po = purchase_order(po_line(quantity_invoiced=100))
    result = run(invoice(invoice_line(quantity=10), document_type="credit_memo"), po)
    assert result.status == "approved"
    assert result.consumption == ((101, Decimal(-10)),)
    assert result.lines[0].quantity == 10


def test_a_credit_memo_written_with_negative_quantities_reduces_the_same() -> None:
    document = invoice(invoice_line(quantity=-10, amount="-100.00"), document_type="credit_memo")
    result = run(document, purchase_order(po_line(quantity_invoiced=100)))
    assert result.codes == ()
    assert result.consumption == ((101, Decimal(-10)),)


def test_a_credit_memo_raises_no_quantity_or_price_finding() -> None:
    # Nothing received, nothing left on order, and a price far above: none of it matters for a credit.
    po = purchase_order(po_line(quantity_received=0, quantity_invoiced=100))
    document = invoice(invoice_line(quantity=500, unit_price="99.00"), document_type="credit_memo")
    result = run(document, po)
    assert result.codes == ()
    [line] = result.lines
    assert line.price_variance == Decimal("89.00")  # reported for the record, not judged
    assert (line.quantity_over_ordered, line.quantity_over_received) == (None, None)


def test_a_credit_memo_after_partial_invoicing_makes_room_for_a_new_invoice() -> None:
    po = purchase_order(po_line(quantity_invoiced=100))
    credit = run(invoice(invoice_line(quantity=20), document_type="credit_memo"), po)
    [(_credited_line, credited)] = credit.consumption
    after = purchase_order(po_line(quantity_invoiced=100 + credited))
    assert run(invoice(invoice_line(quantity=20)), after).codes == ()
    assert run(invoice(invoice_line(quantity=21)), after).codes == ("qty_over_ordered", "qty_over_received")


def test_a_credit_memo_line_not_on_the_po_is_still_line_not_on_po() -> None:
    line = invoice_line(po_line_number=None, item_code="XR-9", description="Surgical stapler reload")
    assert run(invoice(line, document_type="credit_memo"), purchase_order()).codes == ("line_not_on_po",)
