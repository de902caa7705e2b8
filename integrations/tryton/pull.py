"""Incremental pulls from Tryton: suppliers (party.party with identifiers), purchase orders (purchase.purchase with
lines; confirmed, processing, done) and receipts (done stock.shipment.in, their moves received against purchase lines).

Each walk is a keyset over (write_date, id): the cursor is the last write_date and the ids already delivered at
exactly it, and the next request asks for `write_date >= last` and drops those ids, so nothing is skipped or
repeated, whatever changes between requests. Records are assembled into JSON-ready payloads (what a dead letter
keeps) and mapped by mapping_inbound. The TrytonConnector calls `pull(client, system, entity, cursor)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from integrations.connectors import Page
from integrations.models import ExternalSystem
from integrations.tryton.client import TrytonClient
from integrations.tryton.mapping_inbound import mapped

PAGE_SIZE = 100
PO_STATES = ["confirmed", "processing", "done"]
MODELS = {"supplier": "party.party", "purchase_order": "purchase.purchase", "receipt": "stock.shipment.in"}


@dataclass(frozen=True)
class WriteDateCursor:
    """The last write_date delivered and the ids delivered at exactly it."""

    write_date: datetime | None = None
    ids_at: frozenset[int] = frozenset()

    def encode(self) -> str:
        """As stored in SyncCursor.cursor."""
        if self.write_date is None:
            return ""
        return json.dumps({"write_date": self.write_date.isoformat(), "ids_at": sorted(self.ids_at)})

    @classmethod
    def decode(cls, text: str) -> WriteDateCursor:
        """From SyncCursor.cursor ("" or JSON)."""
        if not text:
            return cls()
        stored = json.loads(text)
        return cls(datetime.fromisoformat(stored["write_date"]), frozenset(int(i) for i in stored["ids_at"]))

    def advanced(self, records: list[dict[str, Any]]) -> WriteDateCursor:
        """The cursor after delivering `records` (in (write_date, id) order)."""
        if not records:
            return self
        last = records[-1]["write_date"]
        at_last = {int(r["id"]) for r in records if r["write_date"] == last}
        return WriteDateCursor(last, (self.ids_at | at_last) if last == self.write_date else frozenset(at_last))


def jsonable(value: Any) -> Any:
    """Tryton's decoded values as JSON (decimals and dates as text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _base_domain(client: TrytonClient, entity: str) -> list[Any]:
    if entity == "supplier":
        companies = client.search_read("company.company", [], ["party"])
        return [("id", "not in", [c["party"] for c in companies])]
    if entity == "purchase_order":
        return [("state", "in", PO_STATES)]
    return [("state", "=", "done")]


def _walk(
    client: TrytonClient, entity: str, cursor: WriteDateCursor, fields: list[str], page_size: int
) -> Iterator[tuple[list[dict[str, Any]], WriteDateCursor]]:
    """Raw records changed since `cursor`, page by page, with the cursor after each page."""
    model, base = MODELS[entity], _base_domain(client, entity)
    offset = 0
    while True:
        domain = [*base] + ([("write_date", ">=", cursor.write_date)] if cursor.write_date else [])
        answer = client.search_read(
            model,
            domain,
            ["id", "write_date", *fields],
            offset=offset,
            limit=page_size,
            order=[("write_date", "ASC"), ("id", "ASC")],
        )
        fresh = [r for r in answer if not (r["write_date"] == cursor.write_date and int(r["id"]) in cursor.ids_at)]
        following = cursor.advanced(fresh)
        yield fresh, following
        if len(answer) < page_size:
            return
        # A page all at one write_date: step through the tie by offset; otherwise restart from the new cursor.
        offset = offset + page_size if all(r["write_date"] == cursor.write_date for r in answer) else 0
        cursor = following


def _suppliers(client: TrytonClient, parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    identifier_ids = [i for party in parties for i in party["identifiers"]]
    address_ids = [a for party in parties for a in party["addresses"][:1]]
    mechanism_ids = [m for party in parties for m in party["contact_mechanisms"]]
    identifiers = {i["id"]: i for i in client.read("party.identifier", identifier_ids, ["type", "code"])}
    addresses = {
        a["id"]: a for a in client.read("party.address", address_ids, ["street", "city", "postal_code", "country.code"])
    }
    mechanisms = {m["id"]: m for m in client.read("party.contact_mechanism", mechanism_ids, ["type", "value"])}
    payloads = []
    for party in parties:
        address = [addresses[a] for a in party["addresses"][:1]]
        payloads.append(
            {
                "id": party["id"],
                "name": party["name"],
                "code": party.get("code"),
                "active": party.get("active", True),
                "write_date": party["write_date"],
                "identifiers": [
                    {"type": identifiers[i]["type"], "code": identifiers[i]["code"]} for i in party["identifiers"]
                ],
                "addresses": [
                    {
                        "street": a.get("street"),
                        "city": a.get("city"),
                        "postal_code": a.get("postal_code"),
                        "country_code": (a.get("country.") or {}).get("code"),
                    }
                    for a in address
                ],
                "contact_mechanisms": [mechanisms[m] for m in party["contact_mechanisms"]],
            }
        )
    return payloads


def _purchase_lines(client: TrytonClient, line_ids: list[int]) -> dict[int, dict[str, Any]]:
    fields = ["type", "description", "quantity", "unit_price", "unit.symbol", "product.code", "product.type"]
    return {line["id"]: line for line in client.read("purchase.line", line_ids, fields)}


def _orders(client: TrytonClient, purchases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = _purchase_lines(client, [i for p in purchases for i in p["lines"]])
    payloads = []
    for purchase in purchases:
        own = [lines[i] for i in sorted(purchase["lines"]) if lines[i].get("type", "line") == "line"]
        payloads.append(
            {
                "id": purchase["id"],
                "number": purchase["number"],
                "reference": purchase.get("reference"),
                "state": purchase["state"],
                "party": purchase["party"],
                "purchase_date": purchase.get("purchase_date"),
                "currency": (purchase.get("currency.") or {}).get("code"),
                "write_date": purchase["write_date"],
                "lines": [
                    {
                        # Lines are numbered in id order: what a PO line number is to us (stable while lines stay).
                        "line_number": position,
                        "id": line["id"],
                        "description": line.get("description"),
                        "quantity": line.get("quantity"),
                        "unit_price": line.get("unit_price"),
                        "unit": (line.get("unit.") or {}).get("symbol"),
                        "product_code": (line.get("product.") or {}).get("code"),
                        "product_type": (line.get("product.") or {}).get("type"),
                    }
                    for position, line in enumerate(own, start=1)
                ],
            }
        )
    return payloads


def _receipts(client: TrytonClient, shipments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    moves = client.read(
        "stock.move", [m for s in shipments for m in s["incoming_moves"]], ["quantity", "origin", "state"]
    )
    by_id = {m["id"]: m for m in moves}
    line_ids = sorted(
        {int(str(m["origin"]).split(",")[1]) for m in moves if str(m.get("origin") or "").startswith("purchase.line,")}
    )
    purchase_of = {line["id"]: line["purchase"] for line in client.read("purchase.line", line_ids, ["purchase"])}
    purchases = {
        p["id"]: p for p in client.read("purchase.purchase", sorted(set(purchase_of.values())), ["number", "lines"])
    }
    payloads = []
    for shipment in shipments:
        grouped: dict[int, list[dict[str, Any]]] = {}
        for move_id in shipment["incoming_moves"]:
            move = by_id[move_id]
            origin = str(move.get("origin") or "")
            if move.get("state") != "done" or not origin.startswith("purchase.line,"):
                continue
            line_id = int(origin.split(",")[1])
            purchase = purchases[purchase_of[line_id]]
            number = sorted(purchase["lines"]).index(line_id) + 1
            grouped.setdefault(purchase["id"], []).append(
                {"move": move_id, "line_number": number, "quantity": move["quantity"]}
            )
        for purchase_id, received in sorted(grouped.items()):
            suffix = "" if len(grouped) == 1 else f"/{purchases[purchase_id]['number']}"
            payloads.append(
                {
                    "external_id": f"{shipment['id']}:{purchase_id}",
                    "id": shipment["id"],
                    "number": f"{shipment['number']}{suffix}",
                    "po_number": purchases[purchase_id]["number"],
                    "effective_date": shipment.get("effective_date"),
                    "write_date": shipment["write_date"],
                    "moves": received,
                }
            )
    return payloads


_FIELDS = {
    "supplier": ["name", "code", "active", "identifiers", "addresses", "contact_mechanisms"],
    "purchase_order": ["number", "reference", "state", "party", "purchase_date", "currency.code", "lines"],
    "receipt": ["number", "reference", "effective_date", "state", "incoming_moves"],
}
_ASSEMBLE = {"supplier": _suppliers, "purchase_order": _orders, "receipt": _receipts}


def pull(
    client: TrytonClient, system: ExternalSystem, entity: str, cursor: str, *, page_size: int = PAGE_SIZE
) -> Iterator[Page]:
    """Pages of canonical records (or Unreadable) of `entity` changed in Tryton since `cursor`, oldest first."""
    if entity not in MODELS:
        raise ValueError(f"entity is one of {', '.join(MODELS)}")
    size = int(system.config.get("page_size") or page_size)
    for raw, following in _walk(client, entity, WriteDateCursor.decode(cursor), _FIELDS[entity], size):
        payloads = [jsonable(payload) for payload in _ASSEMBLE[entity](client, raw)] if raw else []
        yield Page(records=[mapped(entity, payload) for payload in payloads], cursor=following.encode())
