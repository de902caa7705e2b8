"""X12 810 parsing: separators from ISA, envelope and count checks, and errors that name segment and element."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.intake.canonical import CanonicalInvoice, CanonicalLine, DocumentError
from matching.intake.x12 import parse_x12_810

DATA = Path(__file__).parent / "data"
# A copy of shared/reference/tryton/sample_810.x12.
REFERENCE_810 = DATA / "reference_810.x12"
SAMPLE = (DATA / "x12_810.edi").read_text(encoding="ascii")
FUZZ = settings(max_examples=300, deadline=None)

EXPECTED = CanonicalInvoice(
    document_type="invoice",
    invoice_number="NW-INV-2025-10501",
    invoice_date=date(2025, 11, 26),
    due_date=date(2025, 12, 26),  # ITD07: 30 net days
    currency="USD",
    vendor_number="V-000123",  # REF*VR
    vendor_ref_system="x12:UL",  # the N1*SE loop, preferred to N1*RE (a lockbox)
    vendor_ref_id="0614141000036",
    vendor_tax_id="123456789",
    vendor_gln="0614141000036",
    vendor_name="Northwind Medical Supply, Inc.",
    facility="NGH",  # N1*ST, preferred to N1*BT
    po_number="PO-2025-000214",
    original_invoice_number="",
    subtotal=Decimal("756.00"),
    tax_amount=Decimal("52.92"),
    freight_amount=Decimal("25.00"),
    total_amount=Decimal("833.92"),
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
            gtin="",
            description="Sterile gauze sponges 4x4 in, 12-ply case of 1200",
            quantity=Decimal("10"),
            unit_of_measure="CS",
            unit_price=Decimal("42.50"),
            amount=Decimal("425.00"),
        ),
        CanonicalLine(
            line_number=3,
            po_line_number=3,
            item_code="NW-SYR-10LL",
            gtin="0614141000050",
            description="Syringe 10 mL luer-lock, sterile",
            quantity=Decimal("500"),
            unit_of_measure="EA",
            unit_price=Decimal("0.312"),
            amount=Decimal("156.00"),
        ),
    ),
    source_format="x12",
)


def _parse(text: str) -> CanonicalInvoice:
    return parse_x12_810(text.encode("utf-8"))


def _error(text: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        _parse(text)
    return caught.value


def _segments(text: str = SAMPLE) -> list[str]:
    return [segment.strip() for segment in text.split("~") if segment.strip()]


def _join(segments: list[str]) -> str:
    return "".join(f"{segment}~\n" for segment in segments)


def _recount(segments: list[str]) -> list[str]:
    """Fix SE01 after segments were added or removed, so only the intended error remains."""
    start = next(index for index, segment in enumerate(segments) if segment.startswith("ST*"))
    end = next(index for index, segment in enumerate(segments) if segment.startswith("SE*"))
    control = segments[end].split("*")[2]
    return [*segments[:end], f"SE*{end - start + 1}*{control}", *segments[end + 1 :]]


def _swap(old: str, new: str | None, *, recount: bool = False) -> str:
    """The sample with one whole segment replaced (or dropped when `new` is None)."""
    segments = _segments()
    index = segments.index(old)
    segments[index : index + 1] = [] if new is None else [new]
    return _join(_recount(segments) if recount else segments)


def test_sample_maps_every_field() -> None:
    assert _parse(SAMPLE) == EXPECTED


def test_other_separators_and_a_newline_terminator_come_from_isa() -> None:
    isa_end = SAMPLE.index("~")
    isa = SAMPLE[:isa_end].replace("*", "|")[:-1] + "^"  # ISA16: component separator ^
    rest = SAMPLE[isa_end + 2 :].replace("*", "|").replace("~\n", "\n")
    text = f"{isa}\n{rest}"
    assert (text[3], text[104], text[105]) == ("|", "^", "\n")

    assert _parse(text) == EXPECTED


def test_a_single_line_interchange_with_crlf_and_leading_blanks_parses() -> None:
    assert _parse("\r\n  " + SAMPLE.replace("~\n", "~")) == EXPECTED
    assert _parse(SAMPLE.replace("~\n", "~\r\n")) == EXPECTED


def test_reference_sample_parses() -> None:
    invoice = parse_x12_810(REFERENCE_810.read_bytes())

    assert (invoice.invoice_number, invoice.po_number, invoice.total_amount) == (
        "INV-MS-0001",
        "PO-1",
        Decimal("95.00"),
    )
    assert (invoice.vendor_ref_system, invoice.vendor_ref_id, invoice.facility) == ("x12:92", "MS01", "ACME")
    assert invoice.due_date == date(2025, 12, 24)
    assert invoice.lines[0].item_code == "GLV-100"


def test_a_credit_memo_is_stored_positive_with_the_invoice_it_credits() -> None:
    segments = _segments()
    start, end = segments.index("ST*810*0001"), next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    body = [
        "ST*810*0001",
        "BIG*20251203*NW-CM-2025-0009*20251118*PO-2025-000214***CR",
        "REF*OI*NW-INV-2025-10501",
        "N1*RE*Northwind Medical Supply Lockbox*92*NWMS01",
        "N1*BT*North General Hospital Accounts Payable*92*NGH-AP",
        "IT1*1*-2*BX*8.75**VP*NW-GLV-M100*PL*1",
        "PID*F****Nitrile exam gloves, medium: returned",
        "TDS*-1873",
        "TXI*ST*-1.23",
        "CTT*1",
        "SE*0*0001",
    ]
    memo = _parse(_join(_recount([*segments[:start], *body, *segments[end + 1 :]])))

    assert memo == CanonicalInvoice(
        document_type="credit_memo",
        invoice_number="NW-CM-2025-0009",
        invoice_date=date(2025, 12, 3),
        due_date=None,
        currency="USD",  # no CUR segment
        vendor_number="",
        vendor_ref_system="x12:92",
        vendor_ref_id="NWMS01",
        vendor_tax_id="",
        vendor_gln="",
        vendor_name="Northwind Medical Supply Lockbox",
        facility="NGH-AP",  # no ship-to loop: the bill-to
        po_number="PO-2025-000214",
        original_invoice_number="NW-INV-2025-10501",
        subtotal=Decimal("17.50"),
        tax_amount=Decimal("1.23"),
        freight_amount=Decimal("0"),
        total_amount=Decimal("18.73"),
        lines=(
            CanonicalLine(
                line_number=1,
                po_line_number=1,
                item_code="NW-GLV-M100",
                gtin="",
                description="Nitrile exam gloves, medium: returned",
                quantity=Decimal("2"),
                unit_of_measure="BX",
                unit_price=Decimal("8.75"),
                amount=Decimal("17.50"),
            ),
        ),
        source_format="x12",
    )


BIG = "BIG*20251126*NW-INV-2025-10501*20251118*PO-2025-000214"
IT1_1 = "IT1*1*20*BX*8.75**VP*NW-GLV-M100*UK*10614141000118*PL*1"
IT1_2 = "IT1*2*10*CS*42.50**VP*NW-GZ-4412*BP*NGH-GZ44*PL*2"
IT1_3 = "IT1*3*500*EA*0.312**VP*NW-SYR-10LL*EN*0614141000050*PL*3"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        pytest.param(
            _swap(BIG, "BIG*20251126**20251118*PO-2025-000214"), "BIG[1] (segment 2) element 02", id="no-number"
        ),
        pytest.param(
            _swap(BIG, BIG.replace("20251126", "20251131", 1)), "BIG[1] (segment 2) element 01", id="bad-date"
        ),
        pytest.param(
            _swap(BIG, BIG.replace("20251126", "251126", 1)), "BIG[1] (segment 2) element 01", id="short-date"
        ),
        pytest.param(_swap(BIG, None, recount=True), "BIG", id="no-big"),
        pytest.param(_swap(IT1_2, IT1_2.replace("*10*", "*1O*")), "IT1[2] (segment 16) element 02", id="bad-quantity"),
        pytest.param(_swap(IT1_3, IT1_3.replace("0.312", "0,312")), "IT1[3] (segment 19) element 04", id="bad-price"),
        pytest.param(_swap(IT1_1, IT1_1.replace("*BX*", "**")), "IT1[1] (segment 14) element 03", id="no-unit"),
        pytest.param(_swap(IT1_1, IT1_1.replace("PL*1", "PL*one")), "IT1[1] (segment 14) element 11", id="bad-po-line"),
        pytest.param(_swap(IT1_2, IT1_2.replace("IT1*2", "IT1*1")), "IT1[2] (segment 16) element 01", id="dup-line"),
        pytest.param(_swap(IT1_2, IT1_2.replace("IT1*2", "IT1*2A")), "IT1[2] (segment 16) element 01", id="alpha-line"),
        pytest.param(_swap("CTT*3", "CTT*2"), "CTT[1] (segment 24) element 01", id="wrong-ctt"),
        pytest.param(_swap("SE*25*0001", "SE*24*0001"), "SE[1] (segment 25) element 01", id="wrong-se-count"),
        pytest.param(_swap("SE*25*0001", "SE*25*0002"), "SE[1] (segment 25) element 02", id="se-control"),
        pytest.param(_swap("GE*1*4471", "GE*1*9999"), "GE element 02", id="ge-control"),
        pytest.param(_swap("GE*1*4471", "GE*2*4471"), "GE element 01", id="ge-count"),
        pytest.param(_swap("IEA*1*000004471", "IEA*1*000000001"), "IEA element 02", id="iea-control"),
        pytest.param(
            _swap(SAMPLE.split("~")[1].strip(), "GS*PO*NORTHWINDMED*NGHOSPITAL*20251126*1405*4471*X*004010"),
            "GS element 01",
            id="gs-not-invoice",
        ),
        pytest.param(_swap("TDS*83392", "TDS*833.92"), "TDS[1] (segment 21) element 01", id="tds-decimal-point"),
        pytest.param(_swap("TDS*83392", None, recount=True), "TDS", id="no-tds"),
        pytest.param(_swap("TXI*ST*52.92", "TXI*ST*52,92"), "TXI[1] (segment 22) element 02", id="bad-tax"),
        pytest.param(_swap("SAC*C*D240***2500", "SAC*C*D240***25.00"), "SAC[1] (segment 23) element 05", id="bad-sac"),
        pytest.param(_swap("CUR*SE*USD", "CUR*SE*US"), "CUR[1] (segment 3) element 02", id="bad-currency"),
        pytest.param(
            _swap("ITD*01*3*2**10**30", "ITD*01*3*2**10**net"), "ITD[1] (segment 12) element 07", id="bad-terms"
        ),
        pytest.param(
            _swap("ITD*01*3*2**10**30", "ITD*01*3*2**10*20251345"), "ITD[1] (segment 12) element 06", id="bad-due"
        ),
        pytest.param(
            _join(_recount([s for s in _segments() if not s.startswith(("IT1", "PID", "CTT"))])),
            "IT1",
            id="invoice-without-lines",
        ),
        pytest.param(_join([*_segments(), "REF*ZZ*TRAILING"]), "IEA", id="after-iea"),
    ],
)
def test_a_broken_element_is_named_by_segment_position_and_element(text: str, path: str) -> None:
    error = _error(text)

    assert error.code == "invalid_document"
    assert path in [field.path for field in error.errors], error.errors


def test_every_error_is_reported_at_once() -> None:
    segments = _segments()
    segments[segments.index(BIG)] = "BIG*20251131**20251118*PO-2025-000214"
    segments[segments.index(IT1_2)] = IT1_2.replace("*10*", "*ten*")
    segments[segments.index("CTT*3")] = "CTT*4"

    error = _error(_join(segments))

    assert [field.path for field in error.errors] == [
        "BIG[1] (segment 2) element 01",
        "BIG[1] (segment 2) element 02",
        "IT1[2] (segment 16) element 02",
        "CTT[1] (segment 24) element 01",
    ]
    assert error.errors[3].message == "counts '4' line items but there are 3 IT1"


@pytest.mark.parametrize(
    ("text", "code", "path"),
    [
        pytest.param(SAMPLE[:80], "malformed", "ISA", id="truncated-isa"),
        pytest.param("", "malformed", "ISA", id="empty"),
        pytest.param("GS*IN*A*B~" + SAMPLE, "malformed", "ISA", id="no-isa-first"),
        pytest.param(
            SAMPLE.replace("NORTHWINDMED   ", "NORTHWINDMED  ", 1), "malformed", "ISA element 06", id="isa-width"
        ),
        pytest.param(SAMPLE[: SAMPLE.index("GE*")], "malformed", "GE", id="truncated-after-se"),
        pytest.param(SAMPLE[: SAMPLE.index("TDS*")], "malformed", "SE", id="truncated-in-body"),
        pytest.param(
            SAMPLE.replace("DTM*011*20251121", "dtm@011", 1), "malformed", "segment 15 of the interchange", id="bad-id"
        ),
        pytest.param(
            SAMPLE.replace("ST*810*0001", "ST*850*0001", 1), "unsupported_document", "ST element 01", id="850"
        ),
        pytest.param(
            _join([*_segments()[:2], *_segments()[2:-2], *_segments()[2:-2], *_segments()[-2:]]),
            "unsupported_document",
            "ST",
            id="two-transaction-sets",
        ),
    ],
)
def test_envelope_breaks_stop_parsing(text: str, code: str, path: str) -> None:
    error = _error(text)

    assert (error.code, error.errors[0].path) == (code, path)


def test_a_missing_big_is_one_error_not_three() -> None:
    error = _error(_swap(BIG, None, recount=True))

    assert error.as_json() == [{"path": "BIG", "message": "the transaction set has no BIG segment"}]


def test_a_non_810_transaction_names_what_it_is() -> None:
    error = _error(SAMPLE.replace("GS*IN*", "GS*PO*", 1).replace("ST*810*0001", "ST*850*0001", 1))

    assert error.code == "unsupported_document"
    assert "850" in error.errors[0].message


def test_the_size_limit_is_checked_first() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_x12_810(SAMPLE.encode(), max_bytes=100)

    assert caught.value.code == "too_large"


def _outcome(data: bytes) -> CanonicalInvoice | DocumentError:
    """The record, or the DocumentError raised instead (anything else propagates and fails the test)."""
    try:
        return parse_x12_810(data)
    except DocumentError as error:
        return error


def _assert_parsed_or_explained(outcome: CanonicalInvoice | DocumentError) -> None:
    """A parser either returns a record or explains, field by field, why not."""
    if isinstance(outcome, DocumentError):
        assert outcome.errors
        assert all(field.path and field.message for field in outcome.errors)
    else:
        assert isinstance(outcome, CanonicalInvoice)


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes_raise_nothing_but_document_error(data: bytes) -> None:
    _assert_parsed_or_explained(_outcome(data))


@FUZZ
@given(st.data())
def test_a_mangled_sample_raises_nothing_but_document_error(data: st.DataObject) -> None:
    text = SAMPLE
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        start = data.draw(st.integers(min_value=0, max_value=len(text)))
        end = data.draw(st.integers(min_value=start, max_value=min(len(text), start + 12)))
        filler = data.draw(st.text(alphabet="*~>0123456789.-ABCDEFGHIJKLMNOPQRSTUVWXYZ \n\x00é", max_size=12))
        text = text[:start] + filler + text[end:]
    _assert_parsed_or_explained(_outcome(text.encode("utf-8")))
