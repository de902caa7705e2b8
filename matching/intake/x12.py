"""ANSI X12 810 invoices (version 4010 and later) parsed into a CanonicalInvoice.

Separators come from the fixed-width 106-character ISA segment: the element separator is its 4th character, the
component separator its 105th (ISA16) and the segment terminator its 106th, optionally followed by a line break.

Error paths name the segment, its occurrence, its position and the element: `IT1[3] (segment 12) element 02`.
Positions count from ST = 1, as SE01 and the 997 acknowledgement (AK3) do; envelope segments outside the
transaction set are named alone (`ISA element 13`, `GE element 01`).

Decisions where the standard leaves room:
- one interchange carries one functional group with one 810 transaction set; more is unsupported_document, as is
  any transaction set other than 810. Breaks in the envelope itself (ISA truncated or not fixed-width, bad
  separators, missing SE/GE/IEA) are malformed; everything else is invalid_document;
- BIG07 = CR makes a credit memo; a credit memo's quantities and amounts are stored as absolute values, whatever
  sign the sender used. An invoice needs at least one IT1; a credit memo may be header-only;
- the vendor is the first N1 loop of SE (selling party), VN, SU or RE (remit-to, which may be a lockbox or factor,
  hence last); vendor_ref_system is "x12:" + N103 and an N103 of UL (GLN) also fills vendor_gln. REF TJ / EI in
  the header or the vendor's N1 loop is its tax id; REF OI is the credited invoice; REF VR / IA, or the vendor's
  N104, fill vendor_number when they look like a portal number;
- facility: N104 of the ST (ship-to) loop, else of the BT (bill-to) loop;
- due date: ITD06 (net due date), else the invoice date + ITD07 (net days);
- IT1: IT101 must be a whole number when given (the line's position otherwise); line amount = IT102 * IT104 rounded
  to cents (810 lines state no amount); qualifier pairs VP / VN -> item_code, UP / UK / EN -> gtin, PL -> PO line;
  BP (buyer part) and others are not mapped. PID05 texts of the line are joined as its description;
- subtotal is the sum of line amounts; tax is the sum of the summary TXI02 amounts (the line TXIs only when the
  summary has none, so tax is never counted twice); freight is the sum of SAC charges (SAC01 C, SAC05 with implied
  2 decimals) at line and summary level; allowances are not mapped (TDS01 already reflects them);
- TDS01 is the total (implied 2 decimals); CTT01, when sent, must equal the number of IT1 segments;
- elements the portal does not use (BIG03 PO date, DTM, N3/N4...) are not validated.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from matching.intake.canonical import (
    CREDIT_MEMO,
    DEFAULT_MAX_BYTES,
    INVOICE,
    CanonicalInvoice,
    CanonicalLine,
    Problems,
    check_size,
    echo,
    line_amount,
    portal_vendor_number,
    refuse,
    total,
)

ISA_LENGTH = 106
# ISA01..ISA16 are fixed width; the separators' positions depend on it.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
VENDOR_ROLES = ("SE", "VN", "SU", "RE")
FACILITY_ROLES = ("ST", "BT")
ITEM_CODE_QUALIFIERS = ("VP", "VN")
GTIN_QUALIFIERS = ("UP", "UK", "EN")
PO_LINE_QUALIFIER = "PL"
CREDIT_TRANSACTION_TYPE = "CR"
DEFAULT_CURRENCY = "USD"

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_CCYYMMDD = re.compile(r"(\d{4})(\d{2})(\d{2})")
_IMPLIED_2 = re.compile(r"-?\d{1,17}")
# Segments that stay inside an N1 loop; any other segment closes it.
_N1_LOOP = frozenset({"N1", "N2", "N3", "N4", "REF", "PER"})


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of the transaction set, with where it sits for error messages."""

    id: str
    elements: tuple[str, ...]  # elements[0] is the segment id, so element n is elements[n]
    position: int = 0  # from ST = 1; 0 for envelope segments outside the transaction set
    occurrence: int = 0  # the n-th segment with this id in the transaction set

    def element(self, number: int) -> str:
        """Element `number` (1-based), or "" when the segment stops short of it."""
        return self.elements[number] if number < len(self.elements) else ""

    def path(self, number: int | None = None) -> str:
        """Where this segment (or one of its elements) is, in words a sender can look up."""
        where = f"{self.id}[{self.occurrence}] (segment {self.position})" if self.position else self.id
        return f"{where} element {number:02d}" if number is not None else where


def parse_x12_810(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CanonicalInvoice:
    """Parse an X12 810 interchange, or raise DocumentError listing every problem found."""
    check_size(data, max_bytes)
    raw = _tokenize(_decode(data))
    problems = Problems()
    transaction = _envelope(raw, problems)
    invoice = _Invoice810(transaction, problems).build()
    problems.raise_if_any()
    return invoice


def looks_like_x12(data: bytes) -> bool:
    """Whether the bytes start (after blanks) with an ISA segment."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA")


def _decode(data: bytes) -> str:
    """The interchange as text: UTF-8 when it is, else Latin-1 (X12's basic character set is plain ASCII)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _tokenize(text: str) -> list[Segment]:
    """Split the interchange into segments, using the separators the ISA segment declares."""
    text = text.lstrip("\ufeff \t\r\n")
    if not text.startswith("ISA"):
        raise refuse("malformed", "ISA", "an X12 interchange starts with an ISA segment")
    if len(text) < ISA_LENGTH:
        raise refuse(
            "malformed", "ISA", f"the ISA segment is {ISA_LENGTH} characters wide; the document ends after {len(text)}"
        )
    element_separator, component_separator, terminator = text[3], text[104], text[105]
    for name, separator in (("element", element_separator), ("component", component_separator)):
        if separator.isalnum() or separator.isspace():
            raise refuse("malformed", "ISA", f"{echo(separator)} cannot be the {name} separator")
    if terminator.isalnum() or terminator in " \t":
        raise refuse("malformed", "ISA", f"{echo(terminator)} (character 106 of ISA) cannot be the segment terminator")
    if len({element_separator, component_separator, terminator}) < 3:
        raise refuse("malformed", "ISA", "the element, component and segment separators must all differ")
    isa = text[:105].split(element_separator)
    if len(isa) != len(ISA_WIDTHS) + 1:
        raise refuse("malformed", "ISA", f"ISA has {len(isa) - 1} elements where {len(ISA_WIDTHS)} are fixed-width")
    for number, width in enumerate(ISA_WIDTHS, start=1):
        if len(isa[number]) != width:
            raise refuse(
                "malformed", f"ISA element {number:02d}", f"is {width} characters wide; got {len(isa[number])}"
            )
    segments = [Segment("ISA", tuple(isa))]
    pieces = (piece.strip("\r\n") for piece in text[ISA_LENGTH:].split(terminator))
    for index, piece in enumerate((piece for piece in pieces if piece.strip()), start=2):
        elements = tuple(piece.split(element_separator))
        if not _SEGMENT_ID.fullmatch(elements[0]):
            raise refuse("malformed", f"segment {index} of the interchange", f"{echo(elements[0])} is not a segment id")
        segments.append(Segment(elements[0], elements))
    return segments


def _envelope(raw: list[Segment], problems: Problems) -> list[Segment]:
    """Check ISA/GS/ST ... SE/GE/IEA and return the transaction set (ST to SE), numbered for error paths."""
    ids = [segment.id for segment in raw]
    if len(raw) < 2 or ids[1] != "GS":
        raise refuse("malformed", "GS", "a functional group (GS) must follow ISA")
    starts = [index for index, segment_id in enumerate(ids) if segment_id == "ST"]
    if not starts:
        raise refuse("malformed", "ST", "the interchange carries no transaction set (ST)")
    st_index = starts[0]
    if raw[st_index].element(1) != "810":
        raise refuse(
            "unsupported_document",
            "ST element 01",
            f"transaction set {echo(raw[st_index].element(1))} is not an invoice (810)",
        )
    if len(starts) > 1 or ids.count("GS") > 1:
        raise refuse("unsupported_document", "ST", "send one invoice (one GS and one ST) per interchange")
    if st_index != 2:
        raise refuse("malformed", "ST", "the transaction set must start right after GS")
    se_index = _following(ids, "SE", st_index)
    ge_index = _following(ids, "GE", se_index)
    iea_index = _following(ids, "IEA", ge_index)
    if ge_index != se_index + 1 or iea_index != ge_index + 1:
        raise refuse("malformed", "GE", "GE must follow SE, and IEA must follow GE")
    if iea_index != len(raw) - 1:
        problems.add("IEA", "nothing may follow the IEA segment")

    occurrences: Counter[str] = Counter()
    transaction = []
    for position, segment in enumerate(raw[st_index : se_index + 1], start=1):
        occurrences[segment.id] += 1
        transaction.append(Segment(segment.id, segment.elements, position, occurrences[segment.id]))
    isa, gs, ge, iea = raw[0], raw[1], raw[ge_index], raw[iea_index]
    st, se = transaction[0], transaction[-1]
    if gs.element(1) != "IN":
        problems.add("GS element 01", f"{echo(gs.element(1))} is not IN (the functional group of invoices)")
    _expect(problems, se, 1, str(len(transaction)), "the number of segments from ST to SE")
    _expect(problems, se, 2, st.element(2), "the ST02 control number")
    _expect(problems, ge, 1, "1", "the number of transaction sets in the group")
    _expect(problems, ge, 2, gs.element(6), "the GS06 control number")
    _expect(problems, iea, 1, "1", "the number of functional groups")
    _expect(problems, iea, 2, isa.element(13), "the ISA13 control number")
    return transaction


def _following(ids: list[str], segment_id: str, after: int) -> int:
    """The index of the first `segment_id` after index `after`; a missing trailer means a truncated file."""
    try:
        return ids.index(segment_id, after + 1)
    except ValueError:
        raise refuse(
            "malformed", segment_id, f"the interchange has no {segment_id} trailer: is the file truncated?"
        ) from None


def _expect(problems: Problems, segment: Segment, number: int, expected: str, meaning: str) -> None:
    """Record a trailer count or control number that disagrees with what it counts or repeats."""
    given = segment.element(number)
    matches = given == expected or (given.isdigit() and expected.isdigit() and int(given) == int(expected))
    if not matches:
        problems.add(segment.path(number), f"is {echo(given)} but {meaning} is {expected}")


@dataclass
class _LineDraft:
    """An IT1 segment and the PID descriptions that follow it."""

    it1: Segment
    descriptions: list[str] = field(default_factory=list)


@dataclass
class _Party:
    """An N1 loop: the N1 segment and the REF segments inside it."""

    n1: Segment
    references: list[Segment] = field(default_factory=list)


class _Invoice810:
    """Reads the segments of one 810 transaction set into the canonical record."""

    def __init__(self, transaction: list[Segment], problems: Problems) -> None:
        """Sort the transaction's segments into header, lines and summary."""
        self.problems = problems
        self.first: dict[str, Segment] = {}
        self.header_references: list[Segment] = []
        self.parties: list[_Party] = []
        self.lines: list[_LineDraft] = []
        self.line_taxes: list[Segment] = []
        self.summary_taxes: list[Segment] = []
        self.charges: list[Segment] = []
        party: _Party | None = None
        in_summary = False
        for segment in transaction[1:-1]:
            self.first.setdefault(segment.id, segment)
            if segment.id not in _N1_LOOP:
                party = None
            if segment.id == "N1":
                party = _Party(segment)
                self.parties.append(party)
            elif segment.id == "REF" and not self.lines:
                (party.references if party is not None else self.header_references).append(segment)
            elif segment.id == "IT1":
                self.lines.append(_LineDraft(segment))
            elif segment.id == "PID" and self.lines and not in_summary:
                self.lines[-1].descriptions.append(segment.element(5))
            elif segment.id == "TXI":
                (self.summary_taxes if in_summary or not self.lines else self.line_taxes).append(segment)
            elif segment.id == "SAC":
                self.charges.append(segment)
            elif segment.id == "TDS":
                in_summary = True

    def build(self) -> CanonicalInvoice:
        """The canonical record (meaningful only when no problem was recorded)."""
        problems = self.problems
        big = self.first.get("BIG")
        if big is None:
            problems.add("BIG", "the transaction set has no BIG segment")
            # A stand-in that passes its own checks, so the rest of the document is still checked and this one
            # cause gives one error; the record is never returned once a problem is recorded.
            big = Segment("BIG", ("BIG", "00010101", "-"))
        credit = big.element(7) == CREDIT_TRANSACTION_TYPE
        invoice_date = self._date(big, 1) or date.min
        invoice_number = problems.required(big.element(2), big.path(2))
        lines = tuple(self._line(index, draft, credit=credit) for index, draft in enumerate(self.lines, start=1))
        self._check_lines(lines, credit=credit)
        vendor = self._vendor_party()
        return CanonicalInvoice(
            document_type=CREDIT_MEMO if credit else INVOICE,
            invoice_number=invoice_number,
            invoice_date=invoice_date,
            due_date=self._due_date(invoice_date),
            currency=self._currency(),
            vendor_number=portal_vendor_number(
                [ref.element(2) for ref in self._references("VR", "IA")] + ([vendor.n1.element(4)] if vendor else [])
            ),
            vendor_ref_system=f"x12:{vendor.n1.element(3)}" if vendor and vendor.n1.element(4) else "",
            vendor_ref_id=vendor.n1.element(4) if vendor else "",
            vendor_tax_id=next((ref.element(2) for ref in self._references("TJ", "EI") if ref.element(2)), ""),
            vendor_gln=vendor.n1.element(4) if vendor and vendor.n1.element(3) == "UL" else "",
            vendor_name=vendor.n1.element(2) if vendor else "",
            facility=next((party.n1.element(4) for party in self._parties(FACILITY_ROLES) if party.n1.element(4)), ""),
            po_number=big.element(4),
            original_invoice_number=(next((ref.element(2) for ref in self._references("OI")), "") if credit else ""),
            subtotal=total(line.amount for line in lines),
            tax_amount=self._sign(self._tax(), credit=credit),
            freight_amount=self._sign(self._freight(), credit=credit),
            total_amount=self._sign(self._total(), credit=credit),
            lines=lines,
            source_format="x12",
        )

    @staticmethod
    def _sign(value: Decimal, *, credit: bool) -> Decimal:
        """Credit memos are stored positive whatever sign the sender used."""
        return abs(value) if credit else value

    def _date(self, segment: Segment, number: int, *, required: bool = True) -> date | None:
        """A CCYYMMDD date element."""
        text = segment.element(number)
        if not text:
            if required:
                self.problems.add(segment.path(number), "a date (CCYYMMDD) is required")
            return None
        match = _CCYYMMDD.fullmatch(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        self.problems.add(segment.path(number), f"{echo(text)} is not a date (CCYYMMDD)")
        return None

    def _implied_cents(self, segment: Segment, number: int) -> Decimal:
        """An N2 amount: digits with two implied decimals ("12345" is 123.45)."""
        text = segment.element(number)
        if not _IMPLIED_2.fullmatch(text):
            message = f"{echo(text)} is not an amount in cents (N2: 12345 is 123.45)" if text else "is required"
            self.problems.add(segment.path(number), message)
            return Decimal(0)
        return Decimal(text).scaleb(-2)

    def _currency(self) -> str:
        """CUR02, or USD when the invoice sends no CUR segment."""
        cur = self.first.get("CUR")
        return self.problems.currency(cur.element(2), cur.path(2)) if cur is not None else DEFAULT_CURRENCY

    def _parties(self, roles: tuple[str, ...]) -> list[_Party]:
        """N1 loops of the given entity codes, in the order of `roles`."""
        return [party for role in roles for party in self.parties if party.n1.element(1) == role]

    def _vendor_party(self) -> _Party | None:
        """The N1 loop that names the vendor."""
        return next(iter(self._parties(VENDOR_ROLES)), None)

    def _references(self, *qualifiers: str) -> list[Segment]:
        """Header REF segments, and those in the vendor's N1 loop, with one of the qualifiers."""
        vendor = self._vendor_party()
        references = self.header_references + (vendor.references if vendor is not None else [])
        return [ref for ref in references if ref.element(1) in qualifiers]

    def _due_date(self, invoice_date: date) -> date | None:
        """ITD06, else the invoice date plus ITD07 net days."""
        itd = self.first.get("ITD")
        if itd is None:
            return None
        if itd.element(6):
            return self._date(itd, 6)
        if itd.element(7) and invoice_date != date.min:
            return self.problems.due_after(invoice_date, itd.element(7), itd.path(7))
        return None

    def _line(self, index: int, draft: _LineDraft, *, credit: bool) -> CanonicalLine:
        """One IT1 line."""
        it1, problems = draft.it1, self.problems
        quantity = problems.decimal(it1.element(2), it1.path(2))
        unit_price = problems.decimal(it1.element(4), it1.path(4))
        ids: dict[str, tuple[str, int]] = {}
        for number in range(6, len(it1.elements) - 1, 2):
            ids.setdefault(it1.element(number), (it1.element(number + 1), number + 1))
        po_line = ids.get(PO_LINE_QUALIFIER)
        return CanonicalLine(
            line_number=problems.whole_number(it1.element(1), it1.path(1)) if it1.element(1) else index,
            po_line_number=problems.whole_number(po_line[0], it1.path(po_line[1])) if po_line else None,
            item_code=next((ids[q][0] for q in ITEM_CODE_QUALIFIERS if q in ids), ""),
            gtin=next((ids[q][0] for q in GTIN_QUALIFIERS if q in ids), ""),
            description=" ".join(text for text in draft.descriptions if text),
            quantity=self._sign(quantity, credit=credit),
            unit_of_measure=problems.required(it1.element(3), it1.path(3)),
            unit_price=self._sign(unit_price, credit=credit),
            amount=self._sign(line_amount(quantity, unit_price), credit=credit),
        )

    def _check_lines(self, lines: tuple[CanonicalLine, ...], *, credit: bool) -> None:
        """Line numbers are unique, an invoice has lines, and CTT counts them right."""
        if not lines and not credit:
            self.problems.add("IT1", "an invoice needs at least one IT1 line")
        seen: set[int] = set()
        for draft, line in zip(self.lines, lines, strict=True):
            if line.line_number in seen:
                self.problems.add(draft.it1.path(1), f"line number {line.line_number} is used by an earlier line")
            seen.add(line.line_number)
        ctt = self.first.get("CTT")
        counted = ctt.element(1) if ctt is not None else ""
        if ctt is not None and not (counted.isascii() and counted.isdigit() and int(counted) == len(lines)):
            self.problems.add(ctt.path(1), f"counts {echo(ctt.element(1))} line items but there are {len(lines)} IT1")

    def _tax(self) -> Decimal:
        """Summary TXI02 amounts, or line ones when the summary has none."""
        taxes = self.summary_taxes or self.line_taxes
        return total(self.problems.decimal(txi.element(2), txi.path(2)) for txi in taxes if txi.element(2))

    def _freight(self) -> Decimal:
        """All SAC charges (SAC01 C)."""
        charges = [sac for sac in self.charges if sac.element(1) == "C"]
        return total(self._implied_cents(sac, 5) for sac in charges)

    def _total(self) -> Decimal:
        """TDS01, the invoice total."""
        tds = self.first.get("TDS")
        if tds is None:
            self.problems.add("TDS", "the transaction set has no TDS (total) segment")
            return Decimal(0)
        return self._implied_cents(tds, 1)
