"""What the match engine judges: plain frozen facts about one invoice, its purchase order and the tolerance rules.

The persistence layer loads these set-based (one query per kind of fact) and hands them to
`match_invoice`; nothing here touches the database, so the engine is a pure function of its inputs.
Money and quantities are `Decimal` throughout; floats never enter a match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

MatchType = Literal["three_way", "two_way"]
PurchaseOrderStatus = Literal["open", "closed", "cancelled"]
DocumentType = Literal["invoice", "credit_memo"]
ToleranceScope = Literal["global", "facility", "vendor", "category"]

# {(from_uom, to_uom): factor}: one `from_uom` is `factor` of `to_uom`, e.g. {("CS", "EA"): Decimal(12)}.
# Only one direction needs to be known; the engine uses the inverse of the other.
UomConversions = Mapping[tuple[str, str], Decimal]


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderLineFacts:
    """One PO line with what has been received and invoiced against it so far."""

    id: int
    line_number: int
    item_code: str
    gtin: str
    category: str  # UNSPSC commodity (8 digits) or "" when the item has none
    description: str
    quantity_ordered: Decimal
    unit_of_measure: str
    unit_price: Decimal
    match_type: MatchType
    quantity_received: Decimal  # net of returns to the vendor
    quantity_invoiced: Decimal  # by OTHER live invoices, net of their credit memos, in the PO unit


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderFacts:
    """The purchase order an invoice references, with all its lines."""

    id: int
    number: str
    vendor_id: int
    currency: str
    status: PurchaseOrderStatus
    lines: tuple[PurchaseOrderLineFacts, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLineFacts:
    """One line of the vendor's invoice or credit memo, as the vendor wrote it."""

    line_number: int
    po_line_number: int | None  # the PO line the vendor referenced, if any
    item_code: str
    description: str
    quantity: Decimal
    unit_of_measure: str
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceFacts:
    """The invoice or credit memo being matched, with what the supplier master says about its vendor."""

    document_type: DocumentType
    vendor_id: int | None  # None: the vendor reference resolved to no supplier (vendor_unknown)
    vendor_flags: tuple[str, ...]  # vendor_not_active / vendor_excluded / bank_unverified, raised as they are
    facility_id: int
    currency: str
    po_number: str  # "" for a non-PO invoice
    po_required: bool
    subtotal: Decimal
    tax_amount: Decimal
    freight_amount: Decimal
    total_amount: Decimal
    lines: tuple[InvoiceLineFacts, ...]
    duplicate_of: str  # number of the live invoice this one seems to duplicate; "" if none


@dataclass(frozen=True, slots=True, kw_only=True)
class ToleranceRule:
    """One version of a tolerance rule: how far an invoice may stray from its PO and receipts and still pass."""

    id: int
    version: int
    scope: ToleranceScope
    facility_id: int | None
    vendor_id: int | None
    category: str
    price_pct: Decimal  # 2 means the unit price may be 2 % above the PO price
    price_abs: Decimal  # extended (unit variance x quantity) amount per line, in the invoice currency
    accept_lower_price: bool
    qty_over_received: Decimal  # quantity, in the PO unit, that may be invoiced beyond what was received
    qty_over_ordered: Decimal  # quantity, in the PO unit, that may be invoiced beyond what was ordered
    header_total_abs: Decimal  # allowed rounding between the header total and lines + tax + freight

    def __post_init__(self) -> None:
        """Refuse a rule whose scope lacks its key: it would silently apply nowhere (or everywhere)."""
        if self.scope == "facility" and self.facility_id is None:
            raise ValueError(f"Tolerance rule #{self.id} v{self.version} has scope facility but no facility_id")
        if self.scope == "vendor" and self.vendor_id is None:
            raise ValueError(f"Tolerance rule #{self.id} v{self.version} has scope vendor but no vendor_id")
        if self.scope == "category" and not self.category:
            raise ValueError(f"Tolerance rule #{self.id} v{self.version} has scope category but no category")
