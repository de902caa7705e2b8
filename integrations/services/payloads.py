"""Canonical records as JSON and back: what a dead letter keeps of a record that mapped but could not be applied,
so that a replay can apply it again without the source (the Tryton connector cannot fetch one record)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
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

CANONICAL_KEY = "canonical"
Canonical = SupplierRecord | PurchaseOrderRecord | ReceiptRecord
_TYPES: dict[str, type[Canonical]] = {
    "supplier": SupplierRecord,
    "purchase_order": PurchaseOrderRecord,
    "receipt": ReceiptRecord,
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def canonical_payload(record: Canonical) -> dict[str, Any]:
    """The record as JSON-ready data under the key `canonical` (decimals and dates as text)."""
    return {CANONICAL_KEY: _plain(dataclasses.asdict(record))}


def is_canonical_payload(payload: dict[str, Any]) -> bool:
    """Whether a stored payload is a canonical record (rather than a system's raw payload)."""
    return isinstance(payload.get(CANONICAL_KEY), dict)


def canonical_from_payload(entity: str, payload: dict[str, Any]) -> Canonical:
    """The canonical record a `canonical_payload` stored (the inverse of it)."""
    data = dict(payload[CANONICAL_KEY])
    if entity == "supplier":
        address = data.get("remit_to")
        return SupplierRecord(
            **{
                **data,
                "updated_at": datetime.fromisoformat(data["updated_at"]),
                "remit_to": AddressRecord(**address) if address else None,
                "contacts": tuple(ContactRecord(**contact) for contact in data.get("contacts", ())),
            }
        )
    if entity == "purchase_order":
        lines = tuple(
            PurchaseOrderLineRecord(
                **{**line, "quantity": Decimal(line["quantity"]), "unit_price": Decimal(line["unit_price"])}
            )
            for line in data.get("lines", ())
        )
        return PurchaseOrderRecord(
            **{
                **data,
                "ordered_on": date.fromisoformat(data["ordered_on"]),
                "updated_at": datetime.fromisoformat(data["updated_at"]),
                "lines": lines,
            }
        )
    if entity == "receipt":
        receipt_lines = tuple(
            ReceiptLineRecord(po_line_number=line["po_line_number"], quantity=Decimal(line["quantity"]))
            for line in data.get("lines", ())
        )
        return ReceiptRecord(
            **{
                **data,
                "received_on": date.fromisoformat(data["received_on"]),
                "updated_at": datetime.fromisoformat(data["updated_at"]),
                "lines": receipt_lines,
            }
        )
    raise ValueError(f"entity is one of {', '.join(_TYPES)}")
