"""cXML InvoiceDetailRequest parsing: the samples map field for field, credit memos turn positive, errors name paths."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from matching.intake.canonical import CanonicalInvoice, CanonicalLine, DocumentError
from matching.intake.cxml import parse_cxml

DATA = Path(__file__).parent / "data"
INVOICE = (DATA / "cxml_invoice.xml").read_text(encoding="utf-8")
CREDIT_MEMO = (DATA / "cxml_credit_memo.xml").read_text(encoding="utf-8")
REQUEST = "/cXML/Request/InvoiceDetailRequest"
HEADER = f"{REQUEST}/InvoiceDetailRequestHeader"
ORDER = f"{REQUEST}/InvoiceDetailOrder[1]"
SUMMARY = f"{REQUEST}/InvoiceDetailSummary"


def _parse(text: str) -> CanonicalInvoice:
    return parse_cxml(text.encode("utf-8"))


def _error(text: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        _parse(text)
    return caught.value


def _replace(old: str, new: str, *, occurrence: int = 1) -> Callable[[str], str]:
    """Replace the n-th occurrence of `old` in the sample (failing loudly if the sample changed)."""

    def mutate(text: str) -> str:
        start = -1
        for _ in range(occurrence):
            start = text.index(old, start + 1)
        return text[:start] + new + text[start + len(old) :]

    return mutate


def test_invoice_sample_maps_every_field() -> None:
    assert _parse(INVOICE) == CanonicalInvoice(
        document_type="invoice",
        invoice_number="NW-INV-2025-10488",
        invoice_date=date(2025, 11, 26),
        due_date=date(2025, 12, 26),  # the net term (30 days), not the 10-day discount term
        currency="USD",
        vendor_number="V-000123",
        vendor_ref_system="cxml:NetworkID",
        vendor_ref_id="AN01000123456",
        vendor_tax_id="12-3456789",
        vendor_gln="0614141000036",
        vendor_name="Northwind Medical Supply, Inc.",  # the "from" partner, not the remit-to lockbox
        facility="NGH",
        po_number="PO-2025-000201",
        original_invoice_number="",
        subtotal=Decimal("864.30"),
        tax_amount=Decimal("60.50"),
        freight_amount=Decimal("45.00"),  # shipping 35.00 + special handling 10.00
        total_amount=Decimal("969.80"),
        lines=(
            CanonicalLine(
                line_number=1,
                po_line_number=1,
                item_code="NW-NS-1000",
                gtin="50614141000147",
                description="Sodium chloride 0.9% IV bag 1000 mL (case of 12)",
                quantity=Decimal("4"),
                unit_of_measure="CS",
                unit_price=Decimal("118.00"),
                amount=Decimal("472.00"),
            ),
            CanonicalLine(
                line_number=2,
                po_line_number=2,
                item_code="NW-GLV-M100",
                gtin="10614141000118",
                description="Nitrile exam gloves, medium (box of 100)",
                quantity=Decimal("30"),
                unit_of_measure="BX",
                unit_price=Decimal("8.75"),
                amount=Decimal("262.50"),
            ),
            CanonicalLine(
                line_number=3,
                po_line_number=3,
                item_code="NW-OX-200",
                gtin="",
                description="Fingertip pulse oximeter",
                quantity=Decimal("2"),
                unit_of_measure="EA",
                unit_price=Decimal("64.90"),  # 649.00 per PriceBasisQuantity of 10
                amount=Decimal("129.80"),  # no SubtotalAmount: quantity * unit price
            ),
        ),
        source_format="cxml",
    )


def test_credit_memo_sample_is_stored_positive() -> None:
    assert _parse(CREDIT_MEMO) == CanonicalInvoice(
        document_type="credit_memo",
        invoice_number="NW-CM-2025-0007",
        invoice_date=date(2025, 12, 3),
        due_date=None,
        currency="USD",
        vendor_number="",
        vendor_ref_system="cxml:DUNS",
        vendor_ref_id="123456789",
        vendor_tax_id="12-3456789",
        vendor_gln="",
        vendor_name="Northwind Medical Supply, Inc.",
        facility="AN01000999001",  # no shipTo: the To credential
        po_number="PO-2025-000201",
        original_invoice_number="NW-INV-2025-10488",
        subtotal=Decimal("43.75"),
        tax_amount=Decimal("3.06"),
        freight_amount=Decimal("0"),
        total_amount=Decimal("46.81"),
        lines=(
            CanonicalLine(
                line_number=1,
                po_line_number=2,
                item_code="NW-GLV-M100",
                gtin="",
                description="Nitrile exam gloves, medium (box of 100): returned, punctured",
                quantity=Decimal("5"),
                unit_of_measure="BX",
                unit_price=Decimal("8.75"),
                amount=Decimal("43.75"),
            ),
        ),
        source_format="cxml",
    )


def test_a_credit_memo_sent_with_positive_amounts_is_the_same_credit() -> None:
    positive = CREDIT_MEMO.replace(">-", ">").replace('quantity="-5"', 'quantity="5"')

    assert _parse(positive) == _parse(CREDIT_MEMO)


def test_a_header_level_credit_memo_has_no_lines() -> None:
    start = CREDIT_MEMO.index("<InvoiceDetailOrder>")
    end = CREDIT_MEMO.index("</InvoiceDetailOrder>") + len("</InvoiceDetailOrder>")
    header_order = (
        '<InvoiceDetailHeaderOrder><InvoiceDetailOrderInfo><OrderReference orderID="PO-2025-000201">'
        '<DocumentReference payloadID="x"/></OrderReference></InvoiceDetailOrderInfo>'
        '<InvoiceDetailOrderSummary><SubtotalAmount><Money currency="USD">-43.75</Money></SubtotalAmount>'
        "</InvoiceDetailOrderSummary></InvoiceDetailHeaderOrder>"
    )
    text = CREDIT_MEMO[:start] + header_order + CREDIT_MEMO[end:]
    text = text.replace('purpose="lineLevelCreditMemo"', 'purpose="creditMemo"')

    memo = _parse(text)

    assert (memo.document_type, memo.lines, memo.po_number, memo.total_amount) == (
        "credit_memo",
        (),
        "PO-2025-000201",
        Decimal("46.81"),
    )


def test_without_a_doctype_the_invoice_parses_the_same() -> None:
    text = _replace('<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.060/InvoiceDetail.dtd">', "")(INVOICE)

    assert _parse(text) == _parse(INVOICE)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        pytest.param(_replace(' invoiceID="NW-INV-2025-10488"', ""), f"{HEADER}/@invoiceID", id="missing-number"),
        pytest.param(
            _replace('invoiceDate="2025-11-26T14:05:00-05:00"', 'invoiceDate="26/11/2025"'),
            f"{HEADER}/@invoiceDate",
            id="bad-date",
        ),
        pytest.param(
            _replace('invoiceDate="2025-11-26T14:05:00-05:00"', 'invoiceDate="2025-11-31T14:05:00-05:00"'),
            f"{HEADER}/@invoiceDate",
            id="no-such-day",
        ),
        pytest.param(
            _replace('quantity="30"', 'quantity="thirty"'), f"{ORDER}/InvoiceDetailItem[2]/@quantity", id="bad-quantity"
        ),
        pytest.param(_replace(' quantity="4"', ""), f"{ORDER}/InvoiceDetailItem[1]/@quantity", id="missing-quantity"),
        pytest.param(
            _replace('invoiceLineNumber="3"', 'invoiceLineNumber="2"'),
            f"{ORDER}/InvoiceDetailItem[3]/@invoiceLineNumber",
            id="duplicate-line-number",
        ),
        pytest.param(
            _replace("<UnitOfMeasure>BX</UnitOfMeasure>", ""),
            f"{ORDER}/InvoiceDetailItem[2]/UnitOfMeasure",
            id="missing-unit",
        ),
        pytest.param(
            _replace('<Money currency="USD">35.00</Money>', '<Money currency="CAD">35.00</Money>'),
            f"{SUMMARY}/ShippingAmount/Money/@currency",
            id="currency-mismatch",
        ),
        pytest.param(
            _replace('<Money currency="USD">8.75</Money>', '<Money currency="EUR">8.75</Money>'),
            f"{ORDER}/InvoiceDetailItem[2]/UnitPrice/Money/@currency",
            id="line-currency-mismatch",
        ),
        pytest.param(
            _replace('<Money currency="USD">118.00</Money>', '<Money currency="USD">$118.00</Money>'),
            f"{ORDER}/InvoiceDetailItem[1]/UnitPrice/Money",
            id="bad-price",
        ),
        pytest.param(
            _replace('lineNumber="1"', 'lineNumber="one"'),
            f"{ORDER}/InvoiceDetailItem[1]/InvoiceDetailItemReference/@lineNumber",
            id="bad-po-line",
        ),
        pytest.param(_replace('purpose="standard"', 'purpose="proforma"'), f"{HEADER}/@purpose", id="unknown-purpose"),
        pytest.param(
            _replace('payInNumberOfDays="30"', 'payInNumberOfDays="net30"'),
            f"{HEADER}/PaymentTerm[2]/@payInNumberOfDays",
            id="bad-terms",
        ),
        pytest.param(
            lambda text: text.replace(
                '<DueAmount>\n          <Money currency="USD">969.80</Money>\n        </DueAmount>', ""
            ).replace('<NetAmount>\n          <Money currency="USD">969.80</Money>\n        </NetAmount>', ""),
            f"{SUMMARY}/NetAmount",
            id="no-total",
        ),
    ],
)
def test_a_broken_field_is_named_by_its_path(mutate: Callable[[str], str], path: str) -> None:
    error = _error(mutate(INVOICE))

    assert error.code == "invalid_document"
    assert path in [field.path for field in error.errors], error.errors


def test_every_error_is_reported_at_once() -> None:
    text = _replace(' invoiceID="NW-INV-2025-10488"', "")(INVOICE)
    text = _replace('quantity="30"', 'quantity="thirty"')(text)
    text = _replace('<Money currency="USD">35.00</Money>', '<Money currency="CAD">35.00</Money>')(text)

    error = _error(text)

    assert [field.path for field in error.errors] == [
        f"{HEADER}/@invoiceID",
        f"{ORDER}/InvoiceDetailItem[2]/@quantity",
        f"{SUMMARY}/ShippingAmount/Money/@currency",
    ]


def test_an_invoice_bills_one_purchase_order() -> None:
    second_order = (
        '<InvoiceDetailOrder><InvoiceDetailOrderInfo><OrderReference orderID="PO-2025-000999">'
        '<DocumentReference payloadID="y"/></OrderReference></InvoiceDetailOrderInfo>'
        '<InvoiceDetailItem invoiceLineNumber="4" quantity="1"><UnitOfMeasure>EA</UnitOfMeasure>'
        '<UnitPrice><Money currency="USD">1.00</Money></UnitPrice><InvoiceDetailItemReference lineNumber="1"/>'
        "</InvoiceDetailItem></InvoiceDetailOrder>\n      <InvoiceDetailSummary>"
    )
    error = _error(_replace("<InvoiceDetailSummary>", second_order)(INVOICE))

    assert [field.path for field in error.errors] == [
        f"{REQUEST}/InvoiceDetailOrder[2]/InvoiceDetailOrderInfo/OrderReference/@orderID"
    ]


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        pytest.param(
            lambda text: text.replace("<InvoiceDetailRequest>", "<OrderRequest>").replace(
                "</InvoiceDetailRequest>", "</OrderRequest>"
            ),
            "/cXML/Request",
            id="another-request",
        ),
        pytest.param(_replace('operation="new"', 'operation="delete"'), f"{HEADER}/@operation", id="cancellation"),
        pytest.param(
            _replace(
                '<InvoiceDetailItem invoiceLineNumber="3" quantity="2">',
                '<InvoiceDetailServiceItem invoiceLineNumber="4"/>\n'
                '<InvoiceDetailItem invoiceLineNumber="3" quantity="2">',
            ),
            f"{ORDER}/InvoiceDetailServiceItem",
            id="service-item",
        ),
    ],
)
def test_cxml_the_portal_does_not_take_is_unsupported(mutate: Callable[[str], str], path: str) -> None:
    error = _error(mutate(INVOICE))

    assert error.code == "unsupported_document"
    assert error.errors[0].path == path


def test_an_unknown_root_is_an_unsupported_document() -> None:
    error = _error('<?xml version="1.0"?><Invoice><ID>1</ID></Invoice>')

    assert (error.code, error.errors[0].path) == ("unsupported_document", "/Invoice")


def test_a_cxml_response_is_unsupported() -> None:
    error = _error(
        '<cXML payloadID="x" timestamp="2025-01-01T00:00:00Z"><Response><Status code="200"/></Response></cXML>'
    )

    assert (error.code, error.errors[0].path) == ("unsupported_document", "/cXML/Request")
