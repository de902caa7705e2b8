"""What we send Tryton, built from our records: a party for a vendor, a canonical invoice for an approved invoice.

Identity in Tryton, so that every retry finds what an earlier attempt made:
- a vendor is the party whose `code` is our vendor number (set at creation; Tryton makes `code` read-only after);
- an invoice is the supplier invoice (`account.invoice`, type `in`) whose `reference` is ``P2P-<our invoice id>``;
  the supplier's own invoice number goes into its `description`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from integrations.canonical import InvoiceLineRecord, InvoiceRecord
from matching.models import DocumentType, Invoice
from vendors.models import SiteKind, TaxIdKind, Vendor, VendorSite, VendorStatus

REFERENCE_PREFIX: Final = "P2P-"
_REFERENCE = re.compile(r"^P2P-(\d+)$")
# Identifier types we keep in step with the vendor master; others (added in Tryton by hand) are left alone.
# Tryton 8.2 has no DUNS or GLN type: those travel untyped (`None`), told apart by length (9 and 13 digits).
MANAGED_IDENTIFIER_TYPES: Final = frozenset({"us_ein", "us_ssn", None})


def invoice_reference(invoice_id: int) -> str:
    """Our invoice id as Tryton's supplier-invoice reference."""
    return f"{REFERENCE_PREFIX}{invoice_id}"


def invoice_id_from_reference(reference: str | None) -> int | None:
    """Our invoice id from a Tryton reference we wrote, or None for anyone else's."""
    match = _REFERENCE.match((reference or "").strip())
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class PartyValues:
    """A vendor as a Tryton party: name, code, identifiers (type, code), address and whether it is active."""

    code: str
    name: str
    active: bool
    identifiers: frozenset[tuple[str | None, str]]
    address: dict[str, Any] | None


def _tax_identifier(vendor: Vendor) -> tuple[str | None, str] | None:
    digits = re.sub(r"\D", "", vendor.tax_id)
    if not vendor.tax_id:
        return None
    if vendor.tax_id_kind == TaxIdKind.EIN and len(digits) == 9:
        return ("us_ein", f"{digits[:2]}-{digits[2:]}")
    if vendor.tax_id_kind == TaxIdKind.SSN and len(digits) == 9:
        return ("us_ssn", f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")
    # VAT numbers of any country: Tryton's eu_vat would refuse non-EU ones, so they travel untyped.
    return (None, vendor.tax_id)


def _site(vendor: Vendor) -> VendorSite | None:
    sites = [site for site in vendor.sites.all() if site.active]
    remit = [site for site in sites if site.kind == SiteKind.REMIT_TO]
    chosen = remit or sites
    return chosen[0] if chosen else None


def address_values(site: VendorSite) -> dict[str, Any]:
    """A vendor site as a Tryton address (the country module's data is not loaded, so no country)."""
    street = "\n".join(part for part in (site.address_line1, site.address_line2) if part)
    return {"street": street, "city": site.city, "postal_code": site.postal_code}


def party_values(vendor: Vendor) -> PartyValues:
    """What the Tryton party of a vendor should hold."""
    identifiers: set[tuple[str | None, str]] = set()
    tax = _tax_identifier(vendor)
    if tax:
        identifiers.add(tax)
    for code in (vendor.duns, vendor.gln):
        if code:
            identifiers.add((None, code))
    site = _site(vendor)
    return PartyValues(
        code=vendor.number,
        name=vendor.legal_name[:200],
        active=vendor.status != VendorStatus.INACTIVE,
        identifiers=frozenset(identifiers),
        address=address_values(site) if site else None,
    )


def invoice_record(invoice: Invoice) -> InvoiceRecord:
    """An approved invoice as the canonical record the ERP receives (amounts positive; `document_type` says which
    way the money goes)."""
    lines = tuple(
        InvoiceLineRecord(
            line_number=line.line_number,
            description=(line.description or line.item_code or f"Line {line.line_number}")[:300],
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            po_line_number=line.po_line_number,
            item_code=line.item_code,
        )
        for line in invoice.lines.order_by("line_number")
    )
    return InvoiceRecord(
        reference=invoice_reference(invoice.pk),
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        supplier_number=invoice.vendor.number if invoice.vendor else "",
        currency=invoice.currency,
        total_amount=invoice.total_amount,
        tax_amount=invoice.tax_amount,
        document_type=invoice.document_type,
        po_number=invoice.purchase_order.number if invoice.purchase_order else invoice.po_number,
        lines=lines,
    )


def extra_charges(invoice: Invoice) -> list[tuple[str, Decimal]]:
    """Header amounts that are not lines (tax, freight): posted as lines of their own so Tryton's total is ours."""
    return [
        (label, amount)
        for label, amount in (("Tax", invoice.tax_amount), ("Freight", invoice.freight_amount))
        if amount
    ]


def signed(quantity: Decimal, document_type: str) -> float:
    """Tryton books a supplier credit note as an `in` invoice with negative quantities."""
    value = float(quantity)
    return -value if document_type == DocumentType.CREDIT_MEMO else value
