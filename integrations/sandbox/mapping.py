"""Coupa-style payloads (hyphenated keys, decimal strings) of the procurement sandbox to canonical records.

Pure: no ORM, no Django. A payload that cannot be read raises `FieldMalformedError` naming the field, and the
connector turns it into an `Unreadable` so that the sync run dead-letters it and goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integrations.canonical import (
    AddressRecord,
    ContactRecord,
    PurchaseOrderLineRecord,
    PurchaseOrderRecord,
    ReceiptLineRecord,
    ReceiptRecord,
    SupplierRecord,
)
from integrations.errors import MalformedRecordError

SUPPLIER = "supplier"
PURCHASE_ORDER = "purchase_order"
RECEIPT = "receipt"
# Our entity names -> the sandbox API's collection names.
COLLECTIONS = {SUPPLIER: "suppliers", PURCHASE_ORDER: "purchase_orders", RECEIPT: "receipts"}
# The sandbox's PO statuses -> ours (matching.models.PurchaseOrderStatus values).
PO_STATUSES = {"issued": "open", "closed": "closed", "cancelled": "cancelled"}
_EIN = re.compile(r"\d{2}-?\d{7}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

Canonical = SupplierRecord | PurchaseOrderRecord | ReceiptRecord


class FieldMalformedError(MalformedRecordError):
    """A payload field that cannot be read; `field` is its path in the payload (`order-lines.0.price`)."""

    def __init__(self, field: str, problem: str) -> None:
        """Say which field and what is wrong with it."""
        super().__init__(f"{field}: {problem}")
        self.field = field


def external_id(payload: dict[str, Any]) -> str:
    """The record's id as our cross-references keep it (the sandbox's numeric id, as text)."""
    return str(payload.get("id", ""))


def _text(payload: dict[str, Any], key: str, path: str = "", *, required: bool = True) -> str:
    value = payload.get(key)
    where = f"{path}{key}"
    if value is None or value == "":
        if required:
            raise FieldMalformedError(where, "missing")
        return ""
    if not isinstance(value, str):
        raise FieldMalformedError(where, f"expected text, got {type(value).__name__}")
    return value.strip()


def _decimal(payload: dict[str, Any], key: str, path: str = "") -> Decimal:
    raw = payload.get(key)
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise FieldMalformedError(f"{path}{key}", f"not a decimal number: {raw!r}") from None
    if not value.is_finite():
        raise FieldMalformedError(f"{path}{key}", f"not a finite number: {raw!r}")
    return value


def _date(payload: dict[str, Any], key: str, path: str = "") -> date:
    raw = payload.get(key)
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise FieldMalformedError(f"{path}{key}", f"not an ISO date: {raw!r}") from None


def _moment(payload: dict[str, Any], key: str = "updated-at") -> datetime:
    raw = payload.get(key)
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError:
        raise FieldMalformedError(key, f"not an ISO time: {raw!r}") from None


def _mapping(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    if not isinstance(value, dict):
        raise FieldMalformedError(key, "missing or not an object")
    return value


def supplier_from(payload: dict[str, Any]) -> SupplierRecord:
    """A sandbox supplier as a canonical supplier (its primary address is the address of record)."""
    tax_id = _text(payload, "tax-id", required=False)
    if tax_id and not _EIN.fullmatch(tax_id):
        raise FieldMalformedError("tax-id", f"not an EIN: {tax_id!r}")
    contacts: tuple[ContactRecord, ...] = ()
    contact = payload.get("primary-contact")
    if isinstance(contact, dict):
        email = _text(contact, "email", "primary-contact.", required=False)
        if email and not _EMAIL.fullmatch(email):
            raise FieldMalformedError("primary-contact.email", f"not an email address: {email!r}")
        name = " ".join(
            part for part in (contact.get("name-given") or "", contact.get("name-family") or "") if part
        ).strip()
        contacts = (ContactRecord(name=name, email=email, phone=str(contact.get("phone-work") or "")),)
    address = payload.get("primary-address")
    remit_to = None
    if isinstance(address, dict):
        remit_to = AddressRecord(
            line1=_text(address, "street1", "primary-address."),
            line2=_text(address, "street2", "primary-address.", required=False),
            city=_text(address, "city", "primary-address."),
            state=_text(address, "state", "primary-address.", required=False),
            postal_code=_text(address, "postal-code", "primary-address.", required=False),
            country=_text(address, "country", "primary-address.", required=False) or "US",
        )
    return SupplierRecord(
        external_id=external_id(payload),
        legal_name=_text(payload, "name"),
        dba_name=_text(payload, "display-name", required=False),
        tax_id=tax_id,
        active=payload.get("status") == "active",
        remit_to=remit_to,
        contacts=contacts,
        updated_at=_moment(payload),
    )


def purchase_order_from(payload: dict[str, Any]) -> PurchaseOrderRecord:
    """A sandbox PO with its lines as a canonical purchase order."""
    supplier = _mapping(payload, "supplier")
    if supplier.get("id") is None:
        raise FieldMalformedError("supplier.id", "missing")
    status = _text(payload, "status")
    if status not in PO_STATUSES:
        raise FieldMalformedError("status", f"unknown status {status!r}")
    raw_lines = payload.get("order-lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise FieldMalformedError("order-lines", "missing or empty")
    lines = []
    for position, line in enumerate(raw_lines):
        path = f"order-lines.{position}."
        if not isinstance(line, dict):
            raise FieldMalformedError(f"order-lines.{position}", "not an object")
        number = line.get("line-num")
        if isinstance(number, bool) or not isinstance(number, int):
            raise FieldMalformedError(f"{path}line-num", f"not a line number: {number!r}")
        lines.append(
            PurchaseOrderLineRecord(
                line_number=number,
                description=_text(line, "description", path),
                quantity=_decimal(line, "quantity", path),
                unit_price=_decimal(line, "price", path),
                unit_of_measure=_text(line, "uom", path, required=False) or "EA",
                item_code=_text(line, "item-code", path, required=False),
                category=_text(line, "unspsc", path, required=False),
                cost_center=_text(line, "cost-center", path, required=False),
                match_type=_text(line, "match-type", path, required=False) or "three_way",
            )
        )
    return PurchaseOrderRecord(
        external_id=external_id(payload),
        number=_text(payload, "po-number"),
        facility_code=_text(payload, "ship-to-code", required=False),
        supplier_external_id=str(supplier["id"]),
        currency=_text(payload, "currency", required=False) or "USD",
        ordered_on=_date(payload, "order-date"),
        status=PO_STATUSES[status],
        updated_at=_moment(payload),
        lines=tuple(lines),
    )


def receipt_from(payload: dict[str, Any]) -> ReceiptRecord:
    """A sandbox receipt (or return, with a negative quantity) against one PO line as a canonical receipt."""
    order_line = _mapping(payload, "order-line")
    number = order_line.get("line-num")
    if isinstance(number, bool) or not isinstance(number, int):
        raise FieldMalformedError("order-line.line-num", f"not a line number: {number!r}")
    return ReceiptRecord(
        external_id=external_id(payload),
        number=_text(payload, "receipt-number"),
        facility_code=_text(payload, "receiving-facility", required=False),
        po_number=_text(order_line, "po-number", "order-line."),
        received_on=_date(payload, "transaction-date"),
        updated_at=_moment(payload),
        lines=(ReceiptLineRecord(po_line_number=number, quantity=_decimal(payload, "quantity")),),
    )


MAPPERS: dict[str, Callable[[dict[str, Any]], Canonical]] = {
    SUPPLIER: supplier_from,
    PURCHASE_ORDER: purchase_order_from,
    RECEIPT: receipt_from,
}


def record_from(entity: str, payload: dict[str, Any]) -> Canonical:
    """Map one payload of `entity`; raises FieldMalformedError (a MalformedRecordError) when it cannot be read."""
    try:
        mapper = MAPPERS[entity]
    except KeyError:
        raise ValueError(f"entity is one of {', '.join(MAPPERS)}") from None
    return mapper(payload)
