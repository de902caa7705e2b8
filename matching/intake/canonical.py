"""The one record every inbound invoice format is parsed into, and the errors a sender gets back when it cannot be.

Parsers never touch the database: they turn bytes into a `CanonicalInvoice` or raise one `DocumentError` that lists
every bad field of the document (an element path for XML, a segment position for X12), so a supplier can fix them
all in one round trip.

Value rules shared by the three formats:
- numbers are plain decimals (no exponent, no thousands separator) of at most 15 integer and 10 fraction digits;
  anything longer is refused rather than rounded, so no arithmetic below can overflow or silently lose digits;
- a line amount the document does not state (X12 IT1, a cXML item without SubtotalAmount) is quantity * unit price
  rounded half-up to cents; a unit price given per base quantity is divided down and, when that division is
  inexact, rounded half-up to 4 places (the precision the portal stores unit prices at);
- `vendor_number` is only filled when a supplier-side identifier looks like a portal number (V-000123);
- `vendor_ref_system` names the format and the identifier scheme as the document gave it
  ("cxml:NetworkID", "ubl:0088", "x12:92"), so identifiers from different networks never collide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, Inexact, localcontext
from typing import Literal

ErrorCode = Literal["malformed", "unsafe_xml", "too_large", "invalid_document", "unsupported_document"]

# document_type and source_format stay plain strings: the JSON API builds records too (source_format "json").
INVOICE = "invoice"
CREDIT_MEMO = "credit_memo"

# Whole-document problems (size, encoding) have no element or segment to point at.
DOCUMENT_PATH = "document"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

CENT = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0001")
# Net terms beyond ten years are a typing error (and huge ones would overflow `date + timedelta`).
MAX_TERMS_DAYS = 3650

_DECIMAL = re.compile(r"[+-]?(?:(\d{1,15})(?:\.(\d{0,10}))?|\.(\d{1,10}))")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_PORTAL_VENDOR_NUMBER = re.compile(r"V-\d{6,10}", re.IGNORECASE)
_MAX_ECHO = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class CanonicalLine:
    """One invoice line as the supplier billed it."""

    line_number: int
    po_line_number: int | None
    item_code: str
    gtin: str
    description: str
    quantity: Decimal
    unit_of_measure: str
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class CanonicalInvoice:
    """An invoice or credit memo in the portal's own terms, whatever format it arrived in."""

    document_type: str  # "invoice" | "credit_memo"
    invoice_number: str
    invoice_date: date
    due_date: date | None
    currency: str
    vendor_number: str
    vendor_ref_system: str
    vendor_ref_id: str
    vendor_tax_id: str
    vendor_gln: str
    vendor_name: str
    facility: str
    po_number: str
    original_invoice_number: str
    subtotal: Decimal
    tax_amount: Decimal
    freight_amount: Decimal
    total_amount: Decimal
    lines: tuple[CanonicalLine, ...]
    source_format: str  # "ubl" | "cxml" | "x12" from these parsers; "json" from the API
    cost_center: str = ""  # the buyer's cost center code, when the sender knows it (non-PO invoices)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong with a document, and where: an XML element path or an X12 segment position."""

    path: str
    message: str


class DocumentError(Exception):
    """A document the portal will not accept, with every field error found in it."""

    def __init__(self, code: ErrorCode, errors: list[FieldError]) -> None:
        """Keep the code and errors; the exception text summarises them for logs."""
        self.code: ErrorCode = code
        self.errors: list[FieldError] = errors
        shown = "; ".join(f"{error.path}: {error.message}" for error in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{code}: {shown}{more}")

    def as_json(self) -> list[dict[str, str]]:
        """The errors as InboundDocument.errors stores them: [{path, message}]."""
        return [{"path": error.path, "message": error.message} for error in self.errors]


def refuse(code: ErrorCode, path: str, message: str) -> DocumentError:
    """A DocumentError with a single field error, for problems that stop parsing at once."""
    return DocumentError(code, [FieldError(path, message)])


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse a document over the size limit before any work is done on it."""
    if len(data) > max_bytes:
        raise refuse("too_large", DOCUMENT_PATH, f"the document is {len(data)} bytes; the limit is {max_bytes} bytes")


def echo(value: str) -> str:
    """A sender's value quoted back in a message, cut short so a hostile document cannot bloat the error list."""
    if len(value) > _MAX_ECHO:
        value = value[:_MAX_ECHO] + "…"
    return repr(value)


@dataclass
class Problems:
    """Collects a document's field errors so the sender learns of all of them in one reply."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        """Record one field error."""
        self.errors.append(FieldError(path, message))

    def raise_if_any(self, code: ErrorCode = "invalid_document") -> None:
        """Raise one DocumentError carrying everything recorded so far."""
        if self.errors:
            raise DocumentError(code, list(self.errors))

    def decimal(self, text: str, path: str) -> Decimal:
        """A decimal number; a bad one is recorded and stands in as zero (the record is never built then)."""
        value = decimal_or_none(text)
        if value is None:
            self.add(path, f"{echo(text)} is not a decimal number" if text else "a number is required")
            return Decimal(0)
        return value

    def whole_number(self, text: str, path: str, *, minimum: int = 1) -> int:
        """A positive whole number such as a line number; a bad one is recorded and stands in as zero."""
        if not text:
            self.add(path, "a whole number is required")
            return 0
        if not (text.isascii() and text.isdigit() and len(text) <= 9) or int(text) < minimum:
            self.add(path, f"{echo(text)} is not a whole number of at least {minimum}")
            return 0
        return int(text)

    def currency(self, text: str, path: str) -> str:
        """An ISO 4217 code, upper-cased; a bad one is recorded and stands in as ""."""
        if not _CURRENCY.fullmatch(text):
            self.add(path, f"{echo(text)} is not an ISO 4217 currency code" if text else "a currency code is required")
            return ""
        return text.upper()

    def required(self, text: str, path: str) -> str:
        """A value that must be there; a missing one is recorded."""
        if not text:
            self.add(path, "is required")
        return text

    def due_after(self, start: date, days_text: str, path: str) -> date | None:
        """The date `days_text` days after `start` (net payment terms); bad or absurd terms are recorded."""
        if not (days_text.isascii() and days_text.isdigit()) or int(days_text) > MAX_TERMS_DAYS:
            self.add(path, f"{echo(days_text)} is not a number of days between 0 and {MAX_TERMS_DAYS}")
            return None
        try:
            return start + timedelta(days=int(days_text))
        except OverflowError:
            self.add(path, f"{days_text} days after {start.isoformat()} is past the end of the calendar")
            return None


def decimal_or_none(text: str) -> Decimal | None:
    """A plain decimal number (sign, digits, optional point), or None if the text is anything else."""
    if not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity * unit price rounded half-up to cents, for formats whose lines state no amount."""
    # Inputs are bounded (15 + 10 digits each), so 60 digits hold any product exactly before rounding.
    with localcontext(prec=60):
        return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def price_per_unit(price: Decimal, base_quantity: Decimal) -> Decimal:
    """A price stated per `base_quantity` units brought down to one unit (exact when possible, else 4 places)."""
    with localcontext(prec=60) as context:
        context.traps[Inexact] = False
        context.clear_flags()
        result = price / base_quantity
        if context.flags[Inexact]:
            return result.quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)
        return result


def total(values: Iterable[Decimal]) -> Decimal:
    """The sum of bounded amounts, exactly."""
    with localcontext(prec=60):
        return sum(values, Decimal(0))


def portal_vendor_number(candidates: Iterable[str]) -> str:
    """The first candidate that is a portal vendor number (V-000123), upper-cased, or ""."""
    for candidate in candidates:
        if _PORTAL_VENDOR_NUMBER.fullmatch(candidate.strip()):
            return candidate.strip().upper()
    return ""
