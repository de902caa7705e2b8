"""Incremental pulls from Tryton: suppliers (party.party with identifiers), purchase orders (purchase.purchase with
lines; confirmed, processing, done, cancelled) and receipts (done stock.shipment.in, their moves received against
purchase lines).

Each walk is a keyset over (write_date, id). Tryton stamps write_date with its transaction's start, so a long
transaction can commit a record stamped before one we have already read: a cursor that only moved forward would
skip it for good. So every run starts `cursor_overlap_seconds` (system config, default 300) before the cursor, and
the cursor remembers each record it delivered in that window with the write_date delivered: a record seen again
unchanged is dropped, a late one (or one changed again) is delivered. Nothing is skipped or repeated, whatever
changes between requests, for transactions shorter than the overlap. Records are assembled into JSON-ready payloads
(what a dead letter keeps) and mapped by mapping_inbound. The TrytonConnector calls `pull(client, system, entity,
cursor)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from integrations.connectors import Page, Unreadable
from integrations.models import ExternalSystem
from integrations.tryton.client import TrytonClient
from integrations.tryton.mapping_inbound import Canonical, mapped

PAGE_SIZE = 100
CURSOR_OVERLAP = timedelta(seconds=300)
# Cancelled too: a PO confirmed, sent back to draft and cancelled in Tryton must close here. A purchase cancelled
# before it was ever quoted has no number and was never an order: not pulled.
PO_STATES = ["confirmed", "processing", "done", "cancelled"]
MODELS = {"supplier": "party.party", "purchase_order": "purchase.purchase", "receipt": "stock.shipment.in"}


@dataclass(frozen=True)
class WriteDateCursor:
    """The latest write_date delivered, and every record delivered within the overlap before it (id -> the
    write_date it had when delivered)."""

    write_date: datetime | None = None
    recent: Mapping[int, datetime] = field(default_factory=dict)

    def encode(self) -> str:
        """As stored in SyncCursor.cursor."""
        if self.write_date is None:
            return ""
        recent = {str(key): value.isoformat() for key, value in sorted(self.recent.items())}
        return json.dumps({"write_date": self.write_date.isoformat(), "recent": recent})

    @classmethod
    def decode(cls, text: str) -> WriteDateCursor:
        """From SyncCursor.cursor ("" or JSON; the earlier form with the ids at exactly write_date reads too)."""
        if not text:
            return cls()
        stored = json.loads(text)
        last = datetime.fromisoformat(stored["write_date"])
        if "recent" not in stored:
            return cls(last, {int(i): last for i in stored["ids_at"]})
        return cls(last, {int(key): datetime.fromisoformat(value) for key, value in stored["recent"].items()})

    def delivered(self, record: dict[str, Any]) -> bool:
        """Whether this record, as it is now, went out already."""
        return bool(self.recent.get(int(record["id"])) == record["write_date"])

    def advanced(self, records: list[dict[str, Any]], overlap: timedelta) -> WriteDateCursor:
        """The cursor after delivering `records`."""
        if not records:
            return self
        latest = max([r["write_date"] for r in records] + ([self.write_date] if self.write_date else []))
        recent = {**self.recent, **{int(r["id"]): r["write_date"] for r in records}}
        return WriteDateCursor(latest, {key: when for key, when in recent.items() if when >= latest - overlap})


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
        return [("state", "in", PO_STATES), ("number", "!=", None)]
    return [("state", "=", "done")]


def _walk(
    client: TrytonClient,
    entity: str,
    cursor: WriteDateCursor,
    fields: list[str],
    page_size: int,
    overlap: timedelta,
) -> Iterator[tuple[list[dict[str, Any]], WriteDateCursor]]:
    """Raw records changed since `cursor` (and late ones within the overlap), page by page, with the cursor after
    each page."""
    model = RETURNS[1] if entity == RETURNS[0] else MODELS[entity]
    base = _base_domain(client, entity)
    position: tuple[datetime, int] | None = (cursor.write_date - overlap, 0) if cursor.write_date else None
    while True:
        domain: list[Any] = [*base]
        if position is not None:
            at, after_id = position
            domain.append(["OR", ("write_date", ">", at), [("write_date", "=", at), ("id", ">", after_id)]])
        answer = client.search_read(
            model, domain, ["id", "write_date", *fields], limit=page_size, order=[("write_date", "ASC"), ("id", "ASC")]
        )
        fresh = [record for record in answer if not cursor.delivered(record)]
        cursor = cursor.advanced(fresh, overlap)
        yield fresh, cursor
        if len(answer) < page_size:
            return
        position = (answer[-1]["write_date"], int(answer[-1]["id"]))


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


def _purchase_line_of(client: TrytonClient, moves: list[dict[str, Any]]) -> dict[int, int]:
    """Move id -> the purchase line it was received (or returned) against: its origin, or, for a return made from a
    receipt's move, that move's origin."""
    via_move = {
        m["id"]: int(str(m["origin"]).split(",")[1])
        for m in moves
        if str(m.get("origin") or "").startswith("stock.move,")
    }
    origins = {
        o["id"]: str(o.get("origin") or "")
        for o in client.read("stock.move", sorted(set(via_move.values())), ["origin"])
    }
    line_of: dict[int, int] = {}
    for move in moves:
        origin = str(move.get("origin") or "")
        if origin.startswith("stock.move,"):
            origin = origins.get(via_move[move["id"]], "")
        if origin.startswith("purchase.line,"):
            line_of[move["id"]] = int(origin.split(",")[1])
    return line_of


def _shipments(
    client: TrytonClient,
    shipments: list[dict[str, Any]],
    moves_field: str,
    *,
    sign: int,
    id_prefix: str,
    number_prefix: str,
) -> list[dict[str, Any]]:
    """Done shipments as one receipt payload per (shipment, purchase): the moves' quantities against the purchase's
    line numbers, negative for returns."""
    moves = client.read("stock.move", [m for s in shipments for m in s[moves_field]], ["quantity", "origin", "state"])
    by_id = {m["id"]: m for m in moves}
    line_of = _purchase_line_of(client, [m for m in moves if m.get("state") == "done"])
    line_ids = sorted(set(line_of.values()))
    purchase_of = {line["id"]: line["purchase"] for line in client.read("purchase.line", line_ids, ["purchase"])}
    purchases = {
        p["id"]: p for p in client.read("purchase.purchase", sorted(set(purchase_of.values())), ["number", "lines"])
    }
    payloads = []
    for shipment in shipments:
        grouped: dict[int, list[dict[str, Any]]] = {}
        for move_id in shipment[moves_field]:
            if move_id not in line_of:
                continue
            line_id = line_of[move_id]
            purchase = purchases[purchase_of[line_id]]
            number = sorted(purchase["lines"]).index(line_id) + 1
            quantity = Decimal(str(by_id[move_id]["quantity"])) * sign
            grouped.setdefault(purchase["id"], []).append(
                {"move": move_id, "line_number": number, "quantity": quantity}
            )
        for purchase_id, received in sorted(grouped.items()):
            suffix = "" if len(grouped) == 1 else f"/{purchases[purchase_id]['number']}"
            payloads.append(
                {
                    "external_id": f"{id_prefix}{shipment['id']}:{purchase_id}",
                    "id": shipment["id"],
                    "number": f"{number_prefix}{shipment['number']}{suffix}",
                    "po_number": purchases[purchase_id]["number"],
                    "effective_date": shipment.get("effective_date"),
                    "write_date": shipment["write_date"],
                    "moves": received,
                }
            )
    return payloads


def _receipts(client: TrytonClient, shipments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _shipments(client, shipments, "incoming_moves", sign=1, id_prefix="", number_prefix="")


def _returns(client: TrytonClient, shipments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Returns are receipts with negative quantities here. Tryton numbers returns in a sequence of their own, so
    # their ids and numbers carry a prefix that keeps them apart from the receipts'.
    return _shipments(client, shipments, "moves", sign=-1, id_prefix="return-", number_prefix="RET-")


_FIELDS = {
    "supplier": ["name", "code", "active", "identifiers", "addresses", "contact_mechanisms"],
    "purchase_order": ["number", "reference", "state", "party", "purchase_date", "currency.code", "lines"],
    "receipt": ["number", "reference", "effective_date", "state", "incoming_moves"],
    "receipt_return": ["number", "reference", "effective_date", "state", "moves"],
}
_ASSEMBLE = {"supplier": _suppliers, "purchase_order": _orders, "receipt": _receipts, "receipt_return": _returns}
# Supplier returns (done stock.shipment.in.return) come with the receipts, under a cursor of their own.
RETURNS = ("receipt_return", "stock.shipment.in.return")


def _receipt_cursors(text: str) -> tuple[str, str]:
    """The receipts' and the returns' cursors within the receipt entity's one (a plain one is the receipts')."""
    if text.startswith("{") and '"returns"' in text:
        stored = json.loads(text)
        return str(stored["receipts"]), str(stored["returns"])
    return text, ""


def _receipt_cursor(receipts: str, returns: str) -> str:
    return json.dumps({"receipts": receipts, "returns": returns}) if returns else receipts


def pull(
    client: TrytonClient, system: ExternalSystem, entity: str, cursor: str, *, page_size: int = PAGE_SIZE
) -> Iterator[Page]:
    """Pages of canonical records (or Unreadable) of `entity` changed in Tryton since `cursor`, oldest first."""
    if entity not in MODELS:
        raise ValueError(f"entity is one of {', '.join(MODELS)}")
    size = int(system.config.get("page_size") or page_size)
    overlap = timedelta(seconds=float(system.config.get("cursor_overlap_seconds", CURSOR_OVERLAP.total_seconds())))

    def pages(walked: str, text: str) -> Iterator[tuple[list[Canonical | Unreadable], str]]:
        for raw, following in _walk(client, walked, WriteDateCursor.decode(text), _FIELDS[walked], size, overlap):
            payloads = [jsonable(payload) for payload in _ASSEMBLE[walked](client, raw)] if raw else []
            yield [mapped(entity, payload) for payload in payloads], following.encode()

    if entity != "receipt":
        for records, following in pages(entity, cursor):
            yield Page(records=records, cursor=following)
        return
    receipts, returns = _receipt_cursors(cursor)
    for records, after in pages(entity, receipts):
        receipts = after
        yield Page(records=records, cursor=_receipt_cursor(receipts, returns))
    for records, after in pages(RETURNS[0], returns):
        returns = after
        yield Page(records=records, cursor=_receipt_cursor(receipts, returns))
