"""Units of measure: restating an invoice line's quantity and unit price in its PO line's unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from matching.engine.facts import UomConversions

NormalisedConversions = dict[tuple[str, str], Decimal]


@dataclass(frozen=True, slots=True)
class InPoUnit:
    """An invoice line's quantity and unit price restated in the PO line's unit of measure."""

    quantity: Decimal
    unit_price: Decimal


def normalise_uom(unit_of_measure: str) -> str:
    """The unit as compared: vendors write "cs", "CS " and "Cs" for one case."""
    return unit_of_measure.strip().upper()


def normalise_conversions(uoms: UomConversions) -> NormalisedConversions:
    """The conversion table keyed by normalised units; a non-positive factor is a loading bug, refused."""
    conversions: NormalisedConversions = {}
    for (from_uom, to_uom), factor in uoms.items():
        if factor <= 0:
            raise ValueError(f"Unit conversion {from_uom} -> {to_uom} has a non-positive factor {factor}")
        conversions[(normalise_uom(from_uom), normalise_uom(to_uom))] = factor
    return conversions


def to_po_unit(
    *, quantity: Decimal, unit_price: Decimal, invoice_uom: str, po_uom: str, conversions: NormalisedConversions
) -> InPoUnit | None:
    """Quantity and unit price in the PO unit, or None when the units differ and no conversion is known."""
    from_uom, to_uom = normalise_uom(invoice_uom), normalise_uom(po_uom)
    if from_uom == to_uom:
        return InPoUnit(quantity=quantity, unit_price=unit_price)
    factor = conversions.get((from_uom, to_uom))
    if factor is not None:  # 1 invoice unit = factor PO units: more units, each cheaper
        return InPoUnit(quantity=quantity * factor, unit_price=unit_price / factor)
    inverse = conversions.get((to_uom, from_uom))
    if inverse is not None:  # 1 PO unit = inverse invoice units; divide rather than multiply by 1/inverse
        return InPoUnit(quantity=quantity / inverse, unit_price=unit_price * inverse)
    return None
