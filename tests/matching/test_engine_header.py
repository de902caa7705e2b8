"""Header checks: duplicate, vendor, PO reference and status, vendor and currency mismatch, header total; status."""

from __future__ import annotations

from decimal import Decimal

import pytest

from matching.engine import EXCEPTION_CODES
from tests.matching.test_engine_facts import (
    OTHER_VENDOR,
    PO_NUMBER,
    codes_on_line,
    invoice,
    invoice_line,
    po_line,
    purchase_order,
    rule,
    run,
)


def test_the_exception_codes_are_the_glossarys() -> None:
    assert EXCEPTION_CODES == (
        "duplicate_suspect",
        "vendor_unknown",
        "vendor_not_active",
        "vendor_excluded",
        "bank_unverified",
        "po_missing",
        "po_not_found",
        "po_closed",
        "vendor_mismatch",
        "currency_mismatch",
        "total_mismatch",
        "line_not_on_po",
        "price_variance",
        "qty_over_ordered",
        "qty_over_received",
        "no_receipt",
        "uom_mismatch",
    )


def test_a_suspected_duplicate_is_raised_naming_the_invoice_it_duplicates() -> None:
    result = run(invoice(duplicate_of="INV-0042"), purchase_order())
    assert result.codes == ("duplicate_suspect",)
    assert "INV-0042" in result.findings[0].detail
    assert result.status == "exception"
    assert run(invoice(duplicate_of=""), purchase_order()).codes == ()


def test_an_unknown_vendor_is_raised_and_not_also_a_vendor_mismatch() -> None:
    result = run(invoice(vendor_id=None), purchase_order())
    assert result.codes == ("vendor_unknown",)


@pytest.mark.parametrize("flag", ["vendor_not_active", "vendor_excluded", "bank_unverified"])
def test_each_supplier_master_flag_is_raised_as_it_is(flag: str) -> None:
    result = run(invoice(vendor_flags=(flag,)), purchase_order())
    assert result.codes == (flag,)
    assert result.findings[0].line_number is None
    assert result.status == "exception"


def test_several_flags_are_raised_once_each_in_the_order_given() -> None:
    flags = ("bank_unverified", "vendor_excluded", "bank_unverified")
    assert run(invoice(vendor_flags=flags), purchase_order()).codes == ("bank_unverified", "vendor_excluded")


def test_an_unknown_vendor_flag_is_a_loading_error() -> None:
    with pytest.raises(ValueError, match="vendor_on_fire"):
        run(invoice(vendor_flags=("vendor_on_fire",)), purchase_order())


def test_an_invoice_that_needs_a_po_but_has_none_is_po_missing() -> None:
    result = run(invoice(po_number="", po_required=True), None)
    assert result.codes == ("po_missing",)
    assert result.status == "exception"
    assert result.consumption == ()


def test_a_non_po_invoice_that_needs_no_po_goes_to_approval() -> None:
    result = run(invoice(invoice_line(po_line_number=None), po_number="  ", po_required=False), None)
    assert result.codes == ()
    assert result.status == "pending_approval"
    assert [(line.po_line_id, line.quantity) for line in result.lines] == [(None, Decimal(10))]
    assert result.consumption == ()


def test_a_non_po_invoice_with_a_finding_is_an_exception() -> None:
    result = run(invoice(po_number="", po_required=False, vendor_flags=("vendor_not_active",)), None)
    assert result.status == "exception"


def test_a_po_loaded_for_an_invoice_without_a_po_number_is_a_loading_error() -> None:
    with pytest.raises(ValueError, match="references no PO"):
        run(invoice(po_number=""), purchase_order())


def test_a_po_number_that_resolves_to_nothing_is_po_not_found_and_no_line_is_matched() -> None:
    result = run(invoice(po_number="4599999"), None)
    assert result.codes == ("po_not_found",)
    assert "4599999" in result.findings[0].detail
    assert result.lines[0].po_line_id is None


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_a_closed_or_cancelled_po_is_po_closed(status: str) -> None:
    result = run(invoice(), purchase_order(status=status))
    assert result.codes == ("po_closed",)
    assert status in result.findings[0].detail


def test_an_open_po_is_not_po_closed() -> None:
    assert run(invoice(), purchase_order(status="open")).codes == ()


def test_a_fully_invoiced_po_is_closed_to_invoices_but_not_to_credit_memos() -> None:
    po = purchase_order(
        po_line(id=101, line_number=1, quantity_invoiced=100),
        po_line(id=102, line_number=2, item_code="GLV-200", quantity_invoiced=100),
    )
    result = run(invoice(), po)
    assert codes_on_line(result, None) == ["po_closed"]
    assert "fully invoiced" in result.findings[0].detail
    credit = run(invoice(document_type="credit_memo"), po)
    assert credit.codes == ()
    assert credit.consumption == ((101, Decimal(-10)),)


def test_a_po_with_one_line_still_open_is_not_fully_invoiced() -> None:
    po = purchase_order(
        po_line(id=101, line_number=1, quantity_invoiced=99),
        po_line(id=102, line_number=2, item_code="GLV-200", quantity_invoiced=100),
    )
    document = invoice(invoice_line(quantity=1))
    assert run(document, po).codes == ()


def test_an_invoice_from_another_vendor_than_the_pos_is_vendor_mismatch() -> None:
    result = run(invoice(vendor_id=OTHER_VENDOR), purchase_order())
    assert result.codes == ("vendor_mismatch",)
    assert "#8" in result.findings[0].detail
    assert "#7" in result.findings[0].detail


def test_another_currency_is_currency_mismatch_and_prices_are_not_compared() -> None:
    document = invoice(invoice_line(unit_price="50.00"), currency="EUR")
    result = run(document, purchase_order(currency="USD"))
    assert result.codes == ("currency_mismatch",)
    assert result.lines[0].price_variance is None
    assert result.consumption == ((101, Decimal(10)),)  # quantities still count


def test_currency_codes_compare_case_and_space_insensitively() -> None:
    assert run(invoice(currency="usd "), purchase_order(currency="USD")).codes == ()


@pytest.mark.parametrize(
    ("total", "raised"),
    [
        ("110.05", False),  # lines 100 + tax 8 + freight 2 = 110.00; 0.05 off is rounding
        ("109.95", False),
        ("110.06", True),
        ("109.94", True),
    ],
)
def test_the_header_total_may_differ_from_lines_tax_and_freight_by_five_cents(total: str, raised: bool) -> None:
    result = run(invoice(tax_amount=8, freight_amount=2, total_amount=total), purchase_order())
    assert (result.codes == ("total_mismatch",)) is raised
    assert (result.status == "exception") is raised


def test_a_total_mismatch_reads_with_its_figures_and_rule() -> None:
    result = run(invoice(tax_amount=8, freight_amount=2, total_amount="110.06"), purchase_order())
    [finding] = result.findings
    assert finding.detail == (
        "Header total 110.06 differs from lines 100.00 + tax 8.00 + freight 2.00 = 110.00 by 0.06 "
        "(limit $0.05, rule #1 v1)."
    )
    assert (finding.rule_id, finding.rule_version, finding.line_number) == (1, 1, None)


def test_the_header_total_limit_comes_from_the_rule() -> None:
    loose = (rule(header_total_abs="1.00"),)
    assert run(invoice(total_amount="101.00"), purchase_order(), loose).codes == ()
    assert run(invoice(total_amount="101.01"), purchase_order(), loose).codes == ("total_mismatch",)


def test_header_checks_apply_to_credit_memos() -> None:
    document = invoice(document_type="credit_memo", vendor_id=OTHER_VENDOR, total_amount="99.00")
    assert run(document, purchase_order()).codes == ("vendor_mismatch", "total_mismatch")


def test_findings_come_in_glossary_order_then_by_line() -> None:
    document = invoice(
        invoice_line(line_number=2, po_line_number=9, item_code="NOPE", description="Scalpel"),
        invoice_line(line_number=1, unit_price="11.00"),
        vendor_id=OTHER_VENDOR,
        vendor_flags=("bank_unverified",),
        currency="CAD",
        total_amount="1.00",
        duplicate_of="INV-1",
    )
    result = run(document, purchase_order(status="closed"))
    assert [(f.code, f.line_number) for f in result.findings] == [
        ("duplicate_suspect", None),
        ("bank_unverified", None),
        ("po_closed", None),
        ("vendor_mismatch", None),
        ("currency_mismatch", None),
        ("total_mismatch", None),
        ("line_not_on_po", 2),
    ]


def test_status_is_approved_only_with_a_po_and_no_findings() -> None:
    assert run(invoice(), purchase_order()).status == "approved"
    assert run(invoice(po_number=PO_NUMBER), None).status == "exception"
