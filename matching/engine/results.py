"""What the match engine concludes: exception findings, per-line figures, the status and the PO consumption."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

MatchStatus = Literal["approved", "exception", "pending_approval"]

# Exception codes, exactly as DESIGN.md's glossary spells them: they are public API and UI vocabulary.
DUPLICATE_SUSPECT: Final = "duplicate_suspect"
VENDOR_UNKNOWN: Final = "vendor_unknown"
VENDOR_NOT_ACTIVE: Final = "vendor_not_active"
VENDOR_EXCLUDED: Final = "vendor_excluded"
BANK_UNVERIFIED: Final = "bank_unverified"
PO_MISSING: Final = "po_missing"
PO_NOT_FOUND: Final = "po_not_found"
PO_CLOSED: Final = "po_closed"
VENDOR_MISMATCH: Final = "vendor_mismatch"
CURRENCY_MISMATCH: Final = "currency_mismatch"
TOTAL_MISMATCH: Final = "total_mismatch"
LINE_NOT_ON_PO: Final = "line_not_on_po"
PRICE_VARIANCE: Final = "price_variance"
QTY_OVER_ORDERED: Final = "qty_over_ordered"
QTY_OVER_RECEIVED: Final = "qty_over_received"
NO_RECEIPT: Final = "no_receipt"
UOM_MISMATCH: Final = "uom_mismatch"

EXCEPTION_CODES: Final = (
    DUPLICATE_SUSPECT,
    VENDOR_UNKNOWN,
    VENDOR_NOT_ACTIVE,
    VENDOR_EXCLUDED,
    BANK_UNVERIFIED,
    PO_MISSING,
    PO_NOT_FOUND,
    PO_CLOSED,
    VENDOR_MISMATCH,
    CURRENCY_MISMATCH,
    TOTAL_MISMATCH,
    LINE_NOT_ON_PO,
    PRICE_VARIANCE,
    QTY_OVER_ORDERED,
    QTY_OVER_RECEIVED,
    NO_RECEIPT,
    UOM_MISMATCH,
)

# The supplier master raises these itself; the engine passes them on unchanged.
VENDOR_FLAG_CODES: Final = frozenset({VENDOR_NOT_ACTIVE, VENDOR_EXCLUDED, BANK_UNVERIFIED})


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One exception on the invoice (line_number None) or on one of its lines, with the rule that judged it."""

    code: str
    line_number: int | None
    detail: str  # a sentence an AP clerk reads, with the figures and the rule
    rule_id: int | None  # set for findings whose limit comes from a tolerance rule
    rule_version: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineResult:
    """How one invoice line compared with the PO line it matched; unrounded figures, None where not compared.

    `quantity` is in `unit_of_measure`: the PO line's unit once converted, the invoice's own unit when
    the line matched no PO line or no conversion was known (uom_mismatch). Quantities are magnitudes:
    a credit memo's line shows the positive quantity it credits.
    """

    invoice_line_number: int
    po_line_id: int | None
    po_line_number: int | None
    quantity: Decimal
    unit_of_measure: str
    received_quantity: Decimal | None
    previously_invoiced_quantity: Decimal | None  # by other invoices plus earlier lines of this one
    price_variance: Decimal | None  # invoice unit price - PO unit price, per PO unit
    price_variance_pct: Decimal | None  # of the PO unit price; None also when the PO price is zero
    extended_price_variance: Decimal | None  # price_variance x quantity
    quantity_over_received: Decimal | None  # cumulative invoiced beyond received (0 if within); 3-way only
    quantity_over_ordered: Decimal | None  # cumulative invoiced beyond ordered (0 if within)
    rule_id: int | None
    rule_version: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchResult:
    """The verdict on one invoice: status, every finding, every line, and what it adds to each PO line."""

    status: MatchStatus
    findings: tuple[Finding, ...]
    lines: tuple[LineResult, ...]
    # (po_line_id, quantity in the PO unit) this document adds to the line's invoiced total; negative for
    # a credit memo. One entry per PO line, in PO line order.
    consumption: tuple[tuple[int, Decimal], ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The exception codes raised, in finding order (a code may repeat across lines)."""
        return tuple(finding.code for finding in self.findings)
