"""Hostile and oversized documents are refused before they can do harm; parse_document dispatches by content type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.intake.canonical import CanonicalInvoice, DocumentError
from matching.intake.cxml import parse_cxml
from matching.intake.formats import MAX_DOCUMENT_BYTES, parse_document
from matching.intake.ubl import parse_ubl
from matching.intake.x12 import parse_x12_810
from matching.intake.xml_safety import parse_xml

DATA = Path(__file__).parent / "data"
UBL = (DATA / "ubl_invoice.xml").read_bytes()
UBL_CREDIT = (DATA / "ubl_credit_note.xml").read_bytes()
CXML = (DATA / "cxml_invoice.xml").read_bytes()
CXML_CREDIT = (DATA / "cxml_credit_memo.xml").read_bytes()
X12 = (DATA / "x12_810.edi").read_bytes()
FUZZ = settings(max_examples=300, deadline=None)
UBL_NS = 'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'

XXE_UBL = f"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice {UBL_NS}><ID>&xxe;</ID></Invoice>""".encode()
XXE_CXML = b"""<?xml version="1.0"?>
<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<cXML><Request><InvoiceDetailRequest>&xxe;</InvoiceDetailRequest></Request></cXML>"""
_LEVELS = "".join(f' <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10)).replace("&lol0;", "lol")
BILLION_LAUGHS = f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n{_LEVELS}]>\n<lolz>&lol9;</lolz>'.encode()
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.060/InvoiceDetail.dtd" [
  <!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;
]>
<cXML/>"""
EXTERNAL_DTD_UBL = UBL.replace(
    b"<Invoice ", b'<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/invoice.dtd">\n<Invoice ', 1
)


@pytest.mark.parametrize(
    ("parse", "payload"),
    [
        pytest.param(parse_ubl, XXE_UBL, id="ubl-xxe"),
        pytest.param(parse_cxml, XXE_CXML, id="cxml-xxe"),
        pytest.param(parse_ubl, BILLION_LAUGHS, id="ubl-billion-laughs"),
        pytest.param(parse_cxml, BILLION_LAUGHS, id="cxml-billion-laughs"),
        pytest.param(parse_cxml, PARAMETER_ENTITY, id="cxml-parameter-entity"),
        pytest.param(parse_ubl, EXTERNAL_DTD_UBL, id="ubl-external-dtd"),
        pytest.param(lambda data: parse_document(data, "application/xml"), XXE_UBL, id="document-xxe"),
        pytest.param(lambda data: parse_document(data, "text/xml"), BILLION_LAUGHS, id="document-billion-laughs"),
        pytest.param(lambda data: parse_document(data, "application/ubl+xml"), EXTERNAL_DTD_UBL, id="document-ubl-dtd"),
    ],
)
def test_entity_tricks_and_doctypes_are_refused_as_unsafe(
    parse: Callable[[bytes], CanonicalInvoice], payload: bytes
) -> None:
    with pytest.raises(DocumentError) as caught:
        parse(payload)

    assert caught.value.code == "unsafe_xml"
    assert caught.value.errors[0].path.startswith(("line ", "/"))
    assert "root:" not in str(caught.value)  # nothing of /etc/passwd leaked into the message


def test_a_ubl_root_under_the_cxml_doctype_is_refused() -> None:
    disguised = UBL.replace(b"<Invoice ", b'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/x.dtd">\n<Invoice ', 1)

    with pytest.raises(DocumentError) as caught:
        parse_document(disguised, "application/xml")

    assert caught.value.code == "unsafe_xml"


def test_the_cxml_external_dtd_is_named_but_never_loaded() -> None:
    # /etc/passwd is no DTD: had expat loaded it, the parse would fail. A local path also means no network is tried.
    pointing_home = CXML.replace(
        b"http://xml.cxml.org/schemas/cXML/1.2.060/InvoiceDetail.dtd", b"file:///etc/passwd", 1
    )

    assert parse_cxml(pointing_home) == parse_cxml(CXML)
    assert parse_xml(pointing_home, allowed_doctypes={"cXML"}).doctype == "cXML"


@pytest.mark.parametrize(
    "parse",
    [
        pytest.param(parse_ubl, id="ubl"),
        pytest.param(parse_cxml, id="cxml"),
        pytest.param(parse_x12_810, id="x12"),
        pytest.param(lambda data: parse_document(data, "application/xml"), id="document-xml"),
        pytest.param(lambda data: parse_document(data, "application/edi-x12"), id="document-x12"),
        pytest.param(lambda data: parse_document(data, "text/plain"), id="document-text"),
    ],
)
def test_an_oversized_payload_is_refused_before_parsing(parse: Callable[[bytes], CanonicalInvoice]) -> None:
    # Not XML, not X12: any parsing at all would report malformed instead of too_large.
    oversized = b"<" * (MAX_DOCUMENT_BYTES + 1)

    with pytest.raises(DocumentError) as caught:
        parse(oversized)

    assert caught.value.code == "too_large"
    assert str(MAX_DOCUMENT_BYTES) in caught.value.errors[0].message


def test_the_size_limit_is_a_parameter() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_ubl(UBL, max_bytes=1024)

    assert caught.value.code == "too_large"
    assert parse_ubl(UBL, max_bytes=len(UBL)).invoice_number == "NW-INV-2025-10432"


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        pytest.param(b"", "line 1, column 1", id="empty"),
        pytest.param(b"<Invoice>\n  <ID>1</ID>\n", "line 3, column 1", id="truncated"),
        pytest.param(b"<a>\n<b></a>", "line 2, column 6", id="mismatched"),
        pytest.param(b"<a>&nbsp;</a>", "line 1, column 4", id="undefined-entity"),
        pytest.param(b"<a>\xff</a>", "line 1, column 4", id="not-utf8"),
    ],
)
def test_malformed_xml_is_located(payload: bytes, path: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(payload, "application/xml")

    assert caught.value.code == "malformed"
    assert caught.value.errors[0].path == path
    assert caught.value.errors[0].message.startswith("XML syntax error: ")


@pytest.mark.parametrize(
    ("payload", "content_type", "number", "source_format"),
    [
        pytest.param(UBL, "application/xml", "NW-INV-2025-10432", "ubl", id="ubl-application-xml"),
        pytest.param(UBL_CREDIT, "application/ubl+xml", "NW-CN-2025-0051", "ubl", id="ubl-credit"),
        pytest.param(CXML, "text/xml; charset=UTF-8", "NW-INV-2025-10488", "cxml", id="cxml-text-xml"),
        pytest.param(CXML_CREDIT, "Application/XML", "NW-CM-2025-0007", "cxml", id="cxml-credit"),
        pytest.param(X12, "application/edi-x12", "NW-INV-2025-10501", "x12", id="x12-edi"),
        pytest.param(X12, "application/x12", "NW-INV-2025-10501", "x12", id="x12"),
        pytest.param(b"\r\n" + X12, "text/plain; charset=us-ascii", "NW-INV-2025-10501", "x12", id="x12-text"),
    ],
)
def test_parse_document_dispatches_on_content_type_and_root(
    payload: bytes, content_type: str, number: str, source_format: str
) -> None:
    invoice = parse_document(payload, content_type)

    assert (invoice.invoice_number, invoice.source_format) == (number, source_format)


def test_parse_document_gives_the_same_record_as_the_format_parser() -> None:
    assert parse_document(UBL, "application/xml") == parse_ubl(UBL)
    assert parse_document(CXML, "text/xml") == parse_cxml(CXML)
    assert parse_document(X12, "application/x12") == parse_x12_810(X12)


@pytest.mark.parametrize(
    ("payload", "content_type", "path"),
    [
        pytest.param(UBL, "application/json", "document", id="json"),
        pytest.param(X12, "", "document", id="no-content-type"),
        pytest.param(b"Invoice 123, total 40.00", "text/plain", "document", id="plain-text-not-x12"),
        pytest.param(
            b'<?xml version="1.0"?><Catalog><Item/></Catalog>', "application/xml", "/Catalog", id="unknown-root"
        ),
        pytest.param(
            b'<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>', "text/xml", "/Invoice", id="foreign-namespace"
        ),
    ],
)
def test_what_the_portal_does_not_read_is_unsupported(payload: bytes, content_type: str, path: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(payload, content_type)

    assert caught.value.code == "unsupported_document"
    assert caught.value.errors[0].path == path


def test_an_unsupported_content_type_names_the_accepted_ones() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(UBL, "application/pdf")

    message = caught.value.errors[0].message
    assert all(kind in message for kind in ("application/xml", "text/xml", "application/ubl+xml", "application/x12"))


def test_an_x12_labelled_xml_document_is_malformed_x12() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(UBL, "application/x12")

    assert (caught.value.code, caught.value.errors[0].path) == ("malformed", "ISA")


def _outcome(data: bytes, content_type: str) -> CanonicalInvoice | DocumentError:
    """The record, or the DocumentError raised instead (anything else propagates and fails the test)."""
    try:
        return parse_document(data, content_type)
    except DocumentError as error:
        return error


def _assert_parsed_or_explained(outcome: CanonicalInvoice | DocumentError) -> None:
    """A parser either returns a record or explains, field by field, why not."""
    if isinstance(outcome, DocumentError):
        assert outcome.code in {"malformed", "unsafe_xml", "too_large", "invalid_document", "unsupported_document"}
        assert outcome.errors
        assert all(field.path and field.message for field in outcome.errors)
    else:
        assert isinstance(outcome, CanonicalInvoice)


_XML_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "</",
        "/>",
        "=",
        '"',
        "&",
        ";",
        "&amp;",
        "&lt;",
        "&#0;",
        "&#x41;",
        "<?xml version='1.0'?>",
        "<!DOCTYPE cXML SYSTEM 'x.dtd'>",
        "<!DOCTYPE Invoice>",
        "<!ENTITY e 'x'>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<Invoice " + UBL_NS + ">",
        "</Invoice>",
        "<cXML>",
        "</cXML>",
        "<Request><InvoiceDetailRequest>",
        "</InvoiceDetailRequest></Request>",
        "<cbc:ID xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'>",
        "</cbc:ID>",
        "<InvoiceDetailRequestHeader invoiceID='1' invoiceDate='2025-01-01'/>",
        "<InvoiceDetailSummary><SubtotalAmount><Money currency='USD'>1</Money></SubtotalAmount></InvoiceDetailSummary>",
        "1.5",
        "-0",
        "9" * 30,
        " ",
        "\n",
    ]
)


@FUZZ
@given(
    st.lists(st.one_of(_XML_PIECES, st.text(max_size=8)), max_size=40).map("".join),
    st.sampled_from(["application/xml", "text/xml", "application/ubl+xml", "text/plain", "application/x12"]),
)
def test_parse_document_raises_nothing_but_document_error_on_xml_ish_text(text: str, content_type: str) -> None:
    outcome = _outcome(text.encode("utf-8"), content_type)

    _assert_parsed_or_explained(outcome)


@FUZZ
@given(st.data())
def test_a_mangled_xml_sample_raises_nothing_but_document_error(data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from([UBL, UBL_CREDIT, CXML, CXML_CREDIT])).decode("utf-8")
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        start = data.draw(st.integers(min_value=0, max_value=len(sample)))
        end = data.draw(st.integers(min_value=start, max_value=min(len(sample), start + 16)))
        sample = sample[:start] + data.draw(st.one_of(_XML_PIECES, st.text(max_size=6))) + sample[end:]
    outcome = _outcome(sample.encode("utf-8"), "application/xml")

    _assert_parsed_or_explained(outcome)
