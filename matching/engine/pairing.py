"""Which PO line an invoice line is for: by the PO line number, else by item code, else by description and price.

1. The PO line number the vendor wrote, when the PO has that line: taken as stated, even when an
   earlier line of this invoice already used that PO line (the quantity checks then say whether
   the PO line's quantity covers both).
2. Otherwise the item code: a PO line whose item code or GTIN equals the invoice's item code
   (compared stripped and case-insensitively; all-digit codes also without leading zeros, since a
   GTIN-13 and its zero-padded GTIN-14 are one number).
3. Otherwise the description: token_sort_ratio >= 85 on casefolded text AND the unit price (in
   the PO unit) within the price tolerance of that PO line's rule. When the unit price cannot be
   compared (no unit conversion, or the currencies differ) a description alone is too weak a
   link and nothing matches.

Among several candidates (one item on two PO lines, say) a PO line whose remaining quantity covers
this line wins: for an invoice, ordered - invoiced by others - used by earlier lines of this
invoice; for a credit memo, what is still invoiced and not yet credited by this memo. Then, for
descriptions, the more similar one; then the lowest PO line number. A second invoice line may thus
still land on a PO line already used, when no other candidate covers it: it is not line_not_on_po
(it IS on the PO), and qty_over_ordered then tells the clerk the PO line is over-invoiced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from rapidfuzz import fuzz

from matching.engine.facts import (
    DocumentType,
    InvoiceLineFacts,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    ToleranceRule,
)
from matching.engine.tolerances import price_exceeds
from matching.engine.units import NormalisedConversions, to_po_unit

DESCRIPTION_SIMILARITY_MIN = 85.0


@dataclass(frozen=True, slots=True)
class PriceComparison:
    """An invoice unit price set against the PO line's, per PO unit."""

    variance: Decimal
    percent: Decimal | None  # None when the PO unit price is zero
    extended: Decimal


def compare_price(*, unit_price: Decimal, quantity: Decimal, po_line: PurchaseOrderLineFacts) -> PriceComparison:
    """Unit price variance, its percentage of the PO price and the variance extended over the quantity."""
    variance = unit_price - po_line.unit_price
    percent = variance / po_line.unit_price * 100 if po_line.unit_price else None
    return PriceComparison(variance=variance, percent=percent, extended=variance * abs(quantity))


def normalise_code(code: str) -> str:
    """An item code or GTIN as compared: stripped, casefolded, and zero padding dropped from numbers."""
    key = code.strip().casefold()
    if key.isdigit():
        key = key.lstrip("0") or "0"
    return key


def description_similarity(invoice_description: str, po_description: str) -> float:
    """How alike two descriptions read, 0..100, word order ignored; blank never resembles anything."""
    if not invoice_description.strip() or not po_description.strip():
        return 0.0
    return float(fuzz.token_sort_ratio(invoice_description.casefold(), po_description.casefold()))


def _remaining_covers(
    *,
    invoice_line: InvoiceLineFacts,
    po_line: PurchaseOrderLineFacts,
    document_type: DocumentType,
    consumed_here: Mapping[int, Decimal],
    conversions: NormalisedConversions,
) -> bool:
    """Whether the PO line still has room (or, for a credit memo, still has invoiced quantity) for this line."""
    in_po_unit = to_po_unit(
        quantity=abs(invoice_line.quantity),
        unit_price=invoice_line.unit_price,
        invoice_uom=invoice_line.unit_of_measure,
        po_uom=po_line.unit_of_measure,
        conversions=conversions,
    )
    if in_po_unit is None:
        return False
    already = po_line.quantity_invoiced + consumed_here.get(po_line.id, Decimal(0))
    if document_type == "credit_memo":
        return in_po_unit.quantity <= already
    return in_po_unit.quantity <= po_line.quantity_ordered - already


def _price_within(
    *,
    invoice_line: InvoiceLineFacts,
    po_line: PurchaseOrderLineFacts,
    rule: ToleranceRule,
    conversions: NormalisedConversions,
) -> bool:
    """Whether the invoice unit price, restated in the PO unit, is within the rule's price tolerance."""
    in_po_unit = to_po_unit(
        quantity=invoice_line.quantity,
        unit_price=invoice_line.unit_price,
        invoice_uom=invoice_line.unit_of_measure,
        po_uom=po_line.unit_of_measure,
        conversions=conversions,
    )
    if in_po_unit is None:
        return False
    comparison = compare_price(unit_price=in_po_unit.unit_price, quantity=in_po_unit.quantity, po_line=po_line)
    return not price_exceeds(
        rule, variance=comparison.variance, percent=comparison.percent, extended=comparison.extended
    )


def po_line_for(
    invoice_line: InvoiceLineFacts,
    po: PurchaseOrderFacts,
    *,
    document_type: DocumentType,
    consumed_here: Mapping[int, Decimal],
    conversions: NormalisedConversions,
    rule_for_line: Callable[[PurchaseOrderLineFacts], ToleranceRule],
    prices_comparable: bool,
) -> PurchaseOrderLineFacts | None:
    """The PO line this invoice line is for, or None when it matches no line of the PO."""
    if invoice_line.po_line_number is not None:
        for po_line in po.lines:
            if po_line.line_number == invoice_line.po_line_number:
                return po_line

    def covers(po_line: PurchaseOrderLineFacts) -> bool:
        """Remaining-quantity test for this invoice line, bound to the state of this invoice so far."""
        return _remaining_covers(
            invoice_line=invoice_line,
            po_line=po_line,
            document_type=document_type,
            consumed_here=consumed_here,
            conversions=conversions,
        )

    code = normalise_code(invoice_line.item_code)
    if code:
        by_code = [
            po_line
            for po_line in po.lines
            if code in {normalise_code(po_line.item_code), normalise_code(po_line.gtin)} - {""}
        ]
        if by_code:
            return min(by_code, key=lambda po_line: (not covers(po_line), po_line.line_number))

    if not prices_comparable:
        return None
    by_description: list[tuple[float, PurchaseOrderLineFacts]] = []
    for po_line in po.lines:
        similarity = description_similarity(invoice_line.description, po_line.description)
        if similarity >= DESCRIPTION_SIMILARITY_MIN and _price_within(
            invoice_line=invoice_line, po_line=po_line, rule=rule_for_line(po_line), conversions=conversions
        ):
            by_description.append((similarity, po_line))
    if not by_description:
        return None
    _, best = min(by_description, key=lambda scored: (not covers(scored[1]), -scored[0], scored[1].line_number))
    return best
