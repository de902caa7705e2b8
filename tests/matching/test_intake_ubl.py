"""UBL 2.1 Invoice / CreditNote parsing: the samples map field for field, and every broken field is named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from matching.intake.canonical import CanonicalInvoice, CanonicalLine, DocumentError
from matching.intake.ubl import parse_ubl

DATA = Path(__file__).parent / "data"
# A copy of shared/reference/tryton/ubl_invoice_generated.xml, which validates against the UBL 2.1 XSD.
REFERENCE_UBL = DATA / "reference_ubl_invoice.xml"
INVOICE = (DATA / "ubl_invoice.xml").read_text(encoding="utf-8")
CREDIT_NOTE = (DATA / "ubl_credit_note.xml").read_text(encoding="utf-8")


def _parse(text: str) -> CanonicalInvoice:
    return parse_ubl(text.encode("utf-8"))


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
        invoice_number="NW-INV-2025-10432",
        invoice_date=date(2025, 11, 24),
        due_date=date(2025, 12, 24),
        currency="USD",
        vendor_number="V-000123",
        vendor_ref_system="ubl:0088",
        vendor_ref_id="0614141000036",
        vendor_tax_id="12-3456789",
        vendor_gln="0614141000036",
        vendor_name="Northwind Medical Supply, Inc.",
        facility="0614141000012",
        po_number="PO-2025-000187",
        original_invoice_number="",
        subtotal=Decimal("756.00"),
        tax_amount=Decimal("54.67"),
        freight_amount=Decimal("25.00"),
        total_amount=Decimal("835.67"),
        lines=(
            CanonicalLine(
                line_number=1,
                po_line_number=1,
                item_code="NW-GLV-M100",
                gtin="10614141000118",
                description="Nitrile exam gloves, medium (box of 100)",
                quantity=Decimal("20"),
                unit_of_measure="BX",
                unit_price=Decimal("8.75"),
                amount=Decimal("175.00"),
            ),
            CanonicalLine(
                line_number=2,
                po_line_number=2,
                item_code="NW-GZ-4412",
                gtin="10614141000125",
                description="Sterile gauze sponges 4x4 in, 12-ply (case of 1200)",
                quantity=Decimal("10"),
                unit_of_measure="CS",
                unit_price=Decimal("42.50"),
                amount=Decimal("425.00"),
            ),
            CanonicalLine(
                line_number=3,
                po_line_number=3,
                item_code="NW-SYR-10LL",
                gtin="10614141000132",
                description="Syringe 10 mL luer-lock, sterile",
                quantity=Decimal("500"),
                unit_of_measure="EA",
                unit_price=Decimal("0.312"),  # 31.20 per BaseQuantity of 100
                amount=Decimal("156.00"),
            ),
        ),
        source_format="ubl",
    )


def test_credit_note_sample_maps_every_field() -> None:
    assert _parse(CREDIT_NOTE) == CanonicalInvoice(
        document_type="credit_memo",
        invoice_number="NW-CN-2025-0051",
        invoice_date=date(2025, 12, 2),
        due_date=date(2025, 12, 16),  # PaymentMeans/PaymentDueDate: a 2.1 CreditNote has no DueDate
        currency="USD",
        vendor_number="",
        vendor_ref_system="ubl:0088",
        vendor_ref_id="0614141000036",
        vendor_tax_id="12-3456789",
        vendor_gln="0614141000036",
        vendor_name="Northwind Medical",
        facility="0614141000012",
        po_number="PO-2025-000187",
        original_invoice_number="NW-INV-2025-10432",
        subtotal=Decimal("17.50"),
        tax_amount=Decimal("1.23"),
        freight_amount=Decimal("0"),
        total_amount=Decimal("18.73"),
        lines=(
            CanonicalLine(
                line_number=1,
                po_line_number=1,
                item_code="NW-GLV-M100",
                gtin="10614141000118",
                description="Nitrile exam gloves, medium (box of 100)",
                quantity=Decimal("2"),
                unit_of_measure="BX",
                unit_price=Decimal("8.75"),
                amount=Decimal("17.50"),
            ),
        ),
        source_format="ubl",
    )


def test_reference_sample_that_validates_against_the_xsd_parses() -> None:
    invoice = parse_ubl(REFERENCE_UBL.read_bytes())

    assert (invoice.invoice_number, invoice.po_number, invoice.total_amount) == ("MS-1795557199", "8", Decimal("41.80"))
    assert invoice.vendor_gln == "5790000000001"
    assert invoice.lines[0].item_code == "MS-GLV-100"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        pytest.param(_replace("<cbc:ID>NW-INV-2025-10432</cbc:ID>", ""), "/Invoice/cbc:ID", id="missing-number"),
        pytest.param(
            _replace("<cbc:ID>NW-INV-2025-10432</cbc:ID>", "<cbc:ID> </cbc:ID>"), "/Invoice/cbc:ID", id="blank-number"
        ),
        pytest.param(
            _replace("2025-11-24</cbc:IssueDate>", "24/11/2025</cbc:IssueDate>"),
            "/Invoice/cbc:IssueDate",
            id="bad-date",
        ),
        pytest.param(
            _replace("2025-11-24</cbc:IssueDate>", "2025-02-30</cbc:IssueDate>"),
            "/Invoice/cbc:IssueDate",
            id="no-such-day",
        ),
        pytest.param(
            _replace("<cbc:IssueDate>2025-11-24</cbc:IssueDate>", ""), "/Invoice/cbc:IssueDate", id="missing-date"
        ),
        pytest.param(
            _replace('unitCode="CS">10<', 'unitCode="CS">ten<'),
            "/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity",
            id="bad-quantity",
        ),
        pytest.param(
            _replace('unitCode="CS">10<', 'unitCode="CS">1e3<'),
            "/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity",
            id="exponent-quantity",
        ),
        pytest.param(
            _replace(' unitCode="EA">500<', ">500<"),
            "/Invoice/cac:InvoiceLine[3]/cbc:InvoicedQuantity/@unitCode",
            id="missing-unit",
        ),
        pytest.param(
            _replace('currencyID="USD">156.00<', 'currencyID="EUR">156.00<'),
            "/Invoice/cac:InvoiceLine[3]/cbc:LineExtensionAmount/@currencyID",
            id="line-currency-mismatch",
        ),
        pytest.param(
            _replace('<cbc:PayableAmount currencyID="USD">', '<cbc:PayableAmount currencyID="CAD">'),
            "/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount/@currencyID",
            id="total-currency-mismatch",
        ),
        pytest.param(
            _replace('<cbc:TaxAmount currencyID="USD">54.67', "<cbc:TaxAmount>54.67"),
            "/Invoice/cac:TaxTotal[1]/cbc:TaxAmount/@currencyID",
            id="missing-currency-id",
        ),
        pytest.param(
            _replace("<cbc:DocumentCurrencyCode>USD<", "<cbc:DocumentCurrencyCode>DOLLARS<"),
            "/Invoice/cbc:DocumentCurrencyCode",
            id="bad-currency-code",
        ),
        pytest.param(
            _replace('<cbc:PriceAmount currencyID="USD">42.50<', '<cbc:PriceAmount currencyID="USD">42,50<'),
            "/Invoice/cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount",
            id="bad-price",
        ),
        pytest.param(
            _replace('<cbc:BaseQuantity unitCode="EA">100<', '<cbc:BaseQuantity unitCode="EA">0<'),
            "/Invoice/cac:InvoiceLine[3]/cac:Price/cbc:BaseQuantity",
            id="zero-base-quantity",
        ),
        pytest.param(
            _replace("<cbc:ID>3</cbc:ID>", "<cbc:ID>2</cbc:ID>"),
            "/Invoice/cac:InvoiceLine[3]/cbc:ID",
            id="duplicate-line-number",
        ),
        pytest.param(
            _replace("<cbc:ID>2</cbc:ID>", "<cbc:ID>A2</cbc:ID>"),
            "/Invoice/cac:InvoiceLine[2]/cbc:ID",
            id="non-numeric-line-id",
        ),
        pytest.param(
            _replace("<cbc:LineID>3</cbc:LineID>", "<cbc:LineID>three</cbc:LineID>"),
            "/Invoice/cac:InvoiceLine[3]/cac:OrderLineReference/cbc:LineID",
            id="non-numeric-po-line",
        ),
        pytest.param(
            _replace("<cbc:ChargeIndicator>true<", "<cbc:ChargeIndicator>yes<"),
            "/Invoice/cac:AllowanceCharge[1]/cbc:ChargeIndicator",
            id="bad-charge-indicator",
        ),
        pytest.param(
            lambda text: (
                text[: text.index("<cac:AccountingSupplierParty>")]
                + text[text.index("</cac:AccountingSupplierParty>") + len("</cac:AccountingSupplierParty>") :]
            ),
            "/Invoice/cac:AccountingSupplierParty/cac:Party",
            id="missing-supplier",
        ),
        pytest.param(
            lambda text: (
                text[: text.index("<cac:LegalMonetaryTotal>")]
                + text[text.index("</cac:LegalMonetaryTotal>") + len("</cac:LegalMonetaryTotal>") :]
            ),
            "/Invoice/cac:LegalMonetaryTotal",
            id="missing-monetary-total",
        ),
        pytest.param(
            lambda text: text[: text.index("<cac:InvoiceLine>")] + "</Invoice>\n",
            "/Invoice/cac:InvoiceLine",
            id="no-lines",
        ),
    ],
)
def test_a_broken_field_is_named_by_its_element_path(mutate: Callable[[str], str], path: str) -> None:
    error = _error(mutate(INVOICE))

    assert error.code == "invalid_document"
    assert path in [field.path for field in error.errors], error.errors


def test_every_error_of_a_document_is_reported_at_once() -> None:
    broken = _replace("<cbc:ID>NW-INV-2025-10432</cbc:ID>", "")(INVOICE)
    broken = _replace("2025-11-24</cbc:IssueDate>", "2025-11-31</cbc:IssueDate>")(broken)
    broken = _replace('unitCode="CS">10<', 'unitCode="CS">ten<')(broken)
    broken = _replace('currencyID="USD">156.00<', 'currencyID="EUR">156.00<')(broken)

    error = _error(broken)

    assert [field.path for field in error.errors] == [
        "/Invoice/cbc:ID",
        "/Invoice/cbc:IssueDate",
        "/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity",
        "/Invoice/cac:InvoiceLine[3]/cbc:LineExtensionAmount/@currencyID",
    ]
    assert error.errors[3].message == "'EUR' differs from the document currency USD"
    assert error.as_json()[0] == {"path": "/Invoice/cbc:ID", "message": "is required"}


def test_credit_note_errors_name_credit_note_elements() -> None:
    broken = _replace('unitCode="BX">2<', 'unitCode="BX">two<')(CREDIT_NOTE)

    error = _error(broken)

    assert [field.path for field in error.errors] == ["/CreditNote/cac:CreditNoteLine[1]/cbc:CreditedQuantity"]


def test_an_unknown_root_is_an_unsupported_document() -> None:
    order = (
        '<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>1</ID></Order>'
    )

    error = _error(order)

    assert error.code == "unsupported_document"
    assert error.errors[0].path == "/Order"


def test_a_cxml_document_is_not_ubl() -> None:
    error = _error((DATA / "cxml_invoice.xml").read_text(encoding="utf-8"))

    assert error.code == "unsafe_xml"  # its DOCTYPE is refused before the root is even seen


def test_malformed_xml_gives_line_and_column() -> None:
    error = _error(INVOICE.replace("</cbc:IssueDate>", "</cbc:IssueDat>", 1))

    assert error.code == "malformed"
    assert error.errors[0].path == "line 8, column 30"  # 1-based, at the closing tag's name
    assert "mismatched tag" in error.errors[0].message


def test_a_tax_total_in_the_tax_accounting_currency_is_not_added() -> None:
    second = (
        '<cac:TaxTotal><cbc:TaxAmount currencyID="CAD">75.00</cbc:TaxAmount></cac:TaxTotal>\n  <cac:LegalMonetaryTotal>'
    )
    text = _replace("<cbc:BuyerReference>", "<cbc:TaxCurrencyCode>CAD</cbc:TaxCurrencyCode>\n  <cbc:BuyerReference>")(
        INVOICE
    )
    text = _replace("<cac:LegalMonetaryTotal>", second)(text)

    assert _parse(text).tax_amount == Decimal("54.67")


def test_total_falls_back_to_tax_inclusive_amount_and_facility_to_the_customer() -> None:
    text = _replace('<cbc:PayableAmount currencyID="USD">835.67</cbc:PayableAmount>', "")(INVOICE)
    start, end = text.index("<cac:Delivery>"), text.index("</cac:Delivery>") + len("</cac:Delivery>")
    text = text[:start] + text[end:]

    invoice = _parse(text)

    assert invoice.total_amount == Decimal("835.67")
    assert invoice.facility == "NGH"  # the customer's PartyIdentification before its EndpointID


def test_an_inexact_base_quantity_division_rounds_to_four_places() -> None:
    text = _replace('<cbc:BaseQuantity unitCode="EA">100<', '<cbc:BaseQuantity unitCode="EA">3<')(INVOICE)

    assert _parse(text).lines[2].unit_price == Decimal("10.4000")  # 31.20 / 3, exact
    text = _replace('<cbc:BaseQuantity unitCode="EA">100<', '<cbc:BaseQuantity unitCode="EA">7<')(INVOICE)
    assert _parse(text).lines[2].unit_price == Decimal("4.4571")  # 31.20 / 7 = 4.457142...


def test_an_over_long_number_is_refused_rather_than_rounded() -> None:
    error = _error(_replace('unitCode="CS">10<', 'unitCode="CS">1' + "0" * 20 + "<")(INVOICE))

    assert error.errors[0].path == "/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity"
