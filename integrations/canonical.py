"""Canonical, versioned records: what every connector's mapping turns a system's payloads into (inbound) or reads
to build them (outbound). A change that breaks a consumer gets a new version number, never a silent edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

VERSION = 1


@dataclass(frozen=True)
class ContactRecord:
    """A person at a supplier."""

    name: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class AddressRecord:
    """A postal address (remit-to or ordering)."""

    line1: str
    city: str
    postal_code: str
    country: str = "US"
    line2: str = ""
    state: str = ""


@dataclass(frozen=True)
class SupplierRecord:
    """A supplier as a source system holds it."""

    external_id: str
    legal_name: str
    updated_at: datetime
    dba_name: str = ""
    tax_id: str = ""
    duns: str = ""
    gln: str = ""
    active: bool = True
    remit_to: AddressRecord | None = None
    contacts: tuple[ContactRecord, ...] = ()
    version: int = VERSION


@dataclass(frozen=True)
class PurchaseOrderLineRecord:
    """One line of a purchase order."""

    line_number: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit_of_measure: str = "EA"
    item_code: str = ""
    gtin: str = ""
    category: str = ""
    cost_center: str = ""
    match_type: str = "three_way"


@dataclass(frozen=True)
class PurchaseOrderRecord:
    """A purchase order as the procurement suite (or the ERP) holds it."""

    external_id: str
    number: str
    facility_code: str
    supplier_external_id: str
    currency: str
    ordered_on: date
    status: str
    updated_at: datetime
    lines: tuple[PurchaseOrderLineRecord, ...] = ()
    version: int = VERSION


@dataclass(frozen=True)
class ReceiptLineRecord:
    """A quantity received (negative: returned) on a PO line."""

    po_line_number: int
    quantity: Decimal


@dataclass(frozen=True)
class ReceiptRecord:
    """Goods received against a purchase order."""

    external_id: str
    number: str
    facility_code: str
    po_number: str
    received_on: date
    updated_at: datetime
    lines: tuple[ReceiptLineRecord, ...] = ()
    version: int = VERSION


@dataclass(frozen=True)
class InvoiceLineRecord:
    """An approved invoice line as the ERP receives it, tied to its PO line where it matched one."""

    line_number: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    po_line_number: int | None = None
    item_code: str = ""


@dataclass(frozen=True)
class InvoiceRecord:
    """An approved invoice to post: our id is its external reference in the ERP (a retried post finds it)."""

    reference: str
    invoice_number: str
    invoice_date: date
    supplier_number: str
    currency: str
    total_amount: Decimal
    tax_amount: Decimal
    document_type: str = "invoice"
    po_number: str = ""
    lines: tuple[InvoiceLineRecord, ...] = field(default_factory=tuple)
    version: int = VERSION


@dataclass(frozen=True)
class PaymentRecord:
    """The ERP's word on what was paid of one of our invoices."""

    reference: str
    paid: bool
    amount_paid: Decimal
    paid_on: date | None
    updated_at: datetime
    version: int = VERSION
