"""Tryton records (as integrations/tryton/pull.py assembles them, JSON-ready) to canonical records. Pure: no ORM.

A payload that cannot be read raises MalformedRecordError naming the field; `mapped` turns that into Unreadable.
"""

from __future__ import annotations

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
from integrations.connectors import Unreadable
from integrations.errors import MalformedRecordError

# Tryton purchase states -> ours (matching.models.PurchaseOrderStatus values).
PO_STATES = {"confirmed": "open", "processing": "open", "done": "closed", "cancelled": "cancelled"}

Canonical = SupplierRecord | PurchaseOrderRecord | ReceiptRecord


def _malformed(field: str, problem: str) -> MalformedRecordError:
    error = MalformedRecordError(f"{field}: {problem}")
    error.field = field  # type: ignore[attr-defined]
    return error


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _malformed(field, f"not a number: {value!r}") from None
    if not number.is_finite():
        raise _malformed(field, f"not a finite number: {value!r}")
    return number


def _date(value: Any, field: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _malformed(field, f"not a date: {value!r}") from None


def _moment(value: Any) -> datetime:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise _malformed("write_date", f"not a time: {value!r}") from None


def supplier_from(payload: dict[str, Any]) -> SupplierRecord:
    """A party with its identifiers, first address and contact mechanisms."""
    name = str(payload.get("name") or "").strip()
    if not name:
        raise _malformed("name", "missing")
    tax_id = gln = ""
    for identifier in payload.get("identifiers", []):
        kind, code = identifier.get("type"), str(identifier.get("code") or "")
        if kind in ("us_ein", "ein") and not tax_id:
            tax_id = code
        elif kind in (None, "", "gln") and len(code) == 13 and code.isdigit() and not gln:
            gln = code
    remit_to = None
    addresses = payload.get("addresses", [])
    if addresses:
        first = addresses[0]
        street = str(first.get("street") or "").strip().splitlines()
        if street and first.get("city"):
            remit_to = AddressRecord(
                line1=street[0],
                line2=" ".join(street[1:]),
                city=str(first["city"]),
                postal_code=str(first.get("postal_code") or ""),
                country=str(first.get("country_code") or "US"),
            )
    mechanisms = {m.get("type"): str(m.get("value") or "") for m in payload.get("contact_mechanisms", [])}
    contacts: tuple[ContactRecord, ...] = ()
    if mechanisms.get("email") or mechanisms.get("phone"):
        contacts = (ContactRecord(name="", email=mechanisms.get("email", ""), phone=mechanisms.get("phone", "")),)
    return SupplierRecord(
        external_id=str(payload["id"]),
        legal_name=name,
        tax_id=tax_id,
        gln=gln,
        active=bool(payload.get("active", True)),
        remit_to=remit_to,
        contacts=contacts,
        updated_at=_moment(payload.get("write_date")),
    )


def purchase_order_from(payload: dict[str, Any]) -> PurchaseOrderRecord:
    """A purchase with its lines (numbered by their order in the purchase)."""
    state = payload.get("state")
    if state not in PO_STATES:
        raise _malformed("state", f"not a state we take: {state!r}")
    if not payload.get("number"):
        raise _malformed("number", "missing")
    if payload.get("party") is None:
        raise _malformed("party", "missing")
    lines = []
    for position, line in enumerate(payload.get("lines", [])):
        field = f"lines.{position}"
        lines.append(
            PurchaseOrderLineRecord(
                line_number=int(line["line_number"]),
                description=str(line.get("description") or line.get("product_name") or "").strip()[:300]
                or str(line.get("product_code") or "item"),
                quantity=_decimal(line.get("quantity"), f"{field}.quantity"),
                unit_price=_decimal(line.get("unit_price"), f"{field}.unit_price"),
                unit_of_measure=str(line.get("unit") or "EA")[:10],
                item_code=str(line.get("product_code") or "")[:60],
                match_type="two_way" if line.get("product_type") == "service" else "three_way",
            )
        )
    if not lines:
        raise _malformed("lines", "a purchase without lines")
    return PurchaseOrderRecord(
        external_id=str(payload["id"]),
        number=str(payload["number"]),
        facility_code="",
        supplier_external_id=str(payload["party"]),
        currency=str(payload.get("currency") or "USD"),
        ordered_on=_date(payload.get("purchase_date"), "purchase_date"),
        status=PO_STATES[state],
        updated_at=_moment(payload.get("write_date")),
        lines=tuple(lines),
    )


def receipt_from(payload: dict[str, Any]) -> ReceiptRecord:
    """The moves of one supplier shipment received against one purchase."""
    if not payload.get("po_number"):
        raise _malformed("po_number", "missing")
    lines = tuple(
        ReceiptLineRecord(
            po_line_number=int(move["line_number"]),
            quantity=_decimal(move.get("quantity"), f"moves.{position}.quantity"),
        )
        for position, move in enumerate(payload.get("moves", []))
    )
    if not lines:
        raise _malformed("moves", "a receipt without moves")
    return ReceiptRecord(
        external_id=str(payload["external_id"]),
        number=str(payload["number"]),
        facility_code="",
        po_number=str(payload["po_number"]),
        received_on=_date(payload.get("effective_date"), "effective_date"),
        updated_at=_moment(payload.get("write_date")),
        lines=lines,
    )


MAPPERS: dict[str, Callable[[dict[str, Any]], Canonical]] = {
    "supplier": supplier_from,
    "purchase_order": purchase_order_from,
    "receipt": receipt_from,
}


def mapped(entity: str, payload: dict[str, Any]) -> Canonical | Unreadable:
    """The canonical record of an assembled Tryton payload, or an Unreadable with the field that failed."""
    try:
        return MAPPERS[entity](payload)
    except MalformedRecordError as error:
        return Unreadable(
            external_id=str(payload.get("external_id") or payload.get("id") or ""), payload=payload, error=error
        )
    except (KeyError, TypeError, ValueError) as error:
        return Unreadable(
            external_id=str(payload.get("external_id") or payload.get("id") or ""),
            payload=payload,
            error=_malformed(str(error), "missing or unreadable"),
        )
