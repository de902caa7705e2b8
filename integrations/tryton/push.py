"""Delivering outbox events to Tryton: vendors as parties, approved invoices as posted supplier invoices.

Every delivery looks before it creates (party by `code` = our vendor number, invoice by `reference` = ``P2P-<id>``)
and carries on from whatever state an earlier, interrupted attempt left (a draft invoice is validated and posted, a
posted one is only reported), so a redelivery has no second effect. Reads our records through the ORM; writes go
through the pure client. Errors are the client's typed ConnectorErrors, or PermanentError for events that cannot
be delivered as they stand (an unknown vendor or invoice, a total Tryton computes differently).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from integrations.errors import PermanentError
from integrations.models import ExternalSystem
from integrations.tryton.client import TrytonClient, TrytonError
from integrations.tryton.mapping_outbound import (
    MANAGED_IDENTIFIER_TYPES,
    extra_charges,
    invoice_record,
    party_values,
    signed,
)
from matching.models import Invoice, InvoiceStatus
from vendors.models import Vendor

logger = logging.getLogger(__name__)

ALL_PARTIES: Final = {"active_test": False}  # look-ups must find deactivated parties too
POSTABLE: Final = frozenset({InvoiceStatus.APPROVED, InvoiceStatus.POSTED, InvoiceStatus.PAID})
ROUNDING: Final = Decimal("0.01")


@dataclass
class Lookups:
    """Tryton records every invoice needs, read once per connector (journal, accounts, term, currencies)."""

    client: TrytonClient
    cache: dict[str, Any] = field(default_factory=dict)

    def _first(self, key: str, model: str, domain: list[Any]) -> int:
        if key not in self.cache:
            found = self.client.search(model, domain, limit=1, order=[("id", "ASC")])
            if not found:
                raise PermanentError(f"Tryton has no {model} matching {domain!r}: configure the ERP")
            self.cache[key] = found[0]
        return int(self.cache[key])

    def journal(self) -> int:
        return self._first("journal", "account.journal", [("type", "=", "expense")])

    def payable(self) -> int:
        return self._first("payable", "account.account", [("type.payable", "=", True), ("closed", "!=", True)])

    def expense(self) -> int:
        return self._first("expense", "account.account", [("type.expense", "=", True), ("closed", "!=", True)])

    def payment_term(self) -> int | None:
        if "term" not in self.cache:
            found = self.client.search("account.invoice.payment_term", [], limit=1, order=[("id", "ASC")])
            self.cache["term"] = found[0] if found else None
        term = self.cache["term"]
        return int(term) if term else None

    def currency(self, code: str) -> int:
        return self._first(f"currency:{code}", "currency.currency", [("code", "=", code)])

    def product_expense_account(self, product_id: int) -> int:
        key = f"product-account:{product_id}"
        if key not in self.cache:
            (product,) = self.client.read("product.product", [product_id], ["account_category"])
            account = None
            if product.get("account_category"):
                (category,) = self.client.read("product.category", [product["account_category"]], ["account_expense"])
                account = category.get("account_expense")
            self.cache[key] = account or self.expense()
        return int(self.cache[key])


# --- vendors ------------------------------------------------------------------------------------------------------
def _vendor(number: str) -> Vendor:
    vendor = Vendor.objects.prefetch_related("sites").filter(number=number).first()
    if vendor is None:
        raise PermanentError(f"No vendor {number!r} here to send to Tryton")
    return vendor


def party_find(client: TrytonClient, code: str) -> dict[str, Any] | None:
    """The party with this code, active or not."""
    found = client.search_read(
        "party.party",
        [("code", "=", code)],
        ["id", "name", "active", "identifiers", "addresses"],
        order=[("id", "ASC")],
        context=ALL_PARTIES,
    )
    return found[0] if found else None


def party_upsert(client: TrytonClient, vendor: Vendor) -> int:
    """Create the vendor's party, or bring the one with its code in step (name, identifiers, address, active)."""
    wanted = party_values(vendor)
    party = party_find(client, wanted.code)
    if party is None:
        values: dict[str, Any] = {"code": wanted.code, "name": wanted.name}
        if wanted.identifiers:
            values["identifiers"] = [
                ("create", [{"type": kind, "code": code} for kind, code in sorted(wanted.identifiers, key=str)])
            ]
        if wanted.address:
            values["addresses"] = [("create", [wanted.address])]
        try:
            (party_id,) = client.create("party.party", [values], context=ALL_PARTIES)
        except TrytonError:
            # Two deliveries for one new vendor at once (two of its invoices): the other created the party between
            # our look and our create, and its code is unique. Use that one; anything else is a real refusal.
            if party_find(client, wanted.code) is None:
                raise
            return party_upsert(client, vendor)
        if not wanted.active:
            client.write("party.party", [party_id], {"active": False}, context=ALL_PARTIES)
        return party_id
    party_id = int(party["id"])
    if not party["active"]:
        if not wanted.active:
            return party_id  # Tryton keeps an inactive party read-only, and so do we
        client.write("party.party", [party_id], {"active": True}, context=ALL_PARTIES)
    changes: dict[str, Any] = {}
    if party["name"] != wanted.name:
        changes["name"] = wanted.name
    existing = client.read("party.identifier", party["identifiers"], ["type", "code"]) if party["identifiers"] else []
    have = {(row["type"] or None, row["code"]): row["id"] for row in existing}
    missing = [{"type": kind, "code": code} for kind, code in sorted(wanted.identifiers - set(have), key=str)]
    stale = [
        row_id for key, row_id in have.items() if key[0] in MANAGED_IDENTIFIER_TYPES and key not in wanted.identifiers
    ]
    if missing or stale:
        changes["identifiers"] = [*([("create", missing)] if missing else []), *([("delete", stale)] if stale else [])]
    if wanted.address:
        if party["addresses"]:
            (address,) = client.read("party.address", party["addresses"][:1], ["street", "city", "postal_code"])
            if any((address.get(key) or "") != value for key, value in wanted.address.items()):
                changes["addresses"] = [("write", [address["id"]], wanted.address)]
        else:
            changes["addresses"] = [("create", [wanted.address])]
    if changes:
        client.write("party.party", [party_id], changes, context=ALL_PARTIES)
    if not wanted.active:
        client.write("party.party", [party_id], {"active": False}, context=ALL_PARTIES)
    return party_id


def vendor_push(client: TrytonClient, payload: dict[str, Any]) -> str:
    """`vendor.created` / `vendor.changed`: the vendor's party as the master now has it; returns its Tryton id."""
    return f"party.party,{party_upsert(client, _vendor(str(payload.get('vendor', ''))))}"


def vendor_merge_push(client: TrytonClient, payload: dict[str, Any]) -> str:
    """`vendor.merged`: the survivor's party is brought in step and the merged vendor's party deactivated.

    Not Tryton's party-replace wizard: that rewrites the merged party's posted invoices and moves, which the ERP's
    books must keep as they were booked; a deactivated party keeps its history and takes no new documents."""
    survivor = party_upsert(client, _vendor(str(payload.get("survivor", ""))))
    merged = party_find(client, str(payload.get("merged", "")))
    if merged is not None and merged["active"]:
        client.write("party.party", [merged["id"]], {"active": False}, context=ALL_PARTIES)
    merged_ref = f"party.party,{merged['id']}" if merged else "none"
    return f"party.party,{survivor} (merged {merged_ref} inactive)"


# --- invoices -----------------------------------------------------------------------------------------------------
def _invoice(invoice_id: Any) -> Invoice:
    invoice = (
        Invoice.objects.select_related("vendor", "purchase_order")
        .prefetch_related("lines", "vendor__sites")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise PermanentError(f"No invoice {invoice_id!r} here to post to Tryton")
    if invoice.vendor is None:
        raise PermanentError(f"Invoice {invoice.invoice_number} has no vendor to post it for")
    if invoice.status not in POSTABLE:
        raise PermanentError(f"Invoice {invoice.invoice_number} is {invoice.status}, not approved: not posted")
    return invoice


def purchase_lines(client: TrytonClient, system: ExternalSystem, invoice: Invoice) -> dict[int, dict[str, Any]]:
    """Our PO line numbers -> the Tryton purchase lines, when the invoice's PO came from this Tryton (numbered as
    Tryton numbers the purchase; line N is the purchase line with the N-th lowest id, as tryton/pull.py counts)."""
    order = invoice.purchase_order
    if order is None or order.source_system != system.code:
        return {}
    found = client.search_read("purchase.purchase", [("number", "=", order.number)], ["id", "lines"], limit=1)
    if not found:
        return {}
    lines = client.read("purchase.line", found[0]["lines"], ["id", "product", "unit", "moves"])
    by_id = {line["id"]: line for line in lines}
    ordered = [by_id[line_id] for line_id in sorted(found[0]["lines"]) if line_id in by_id]
    done_moves = {
        move["id"]
        for move in client.read("stock.move", [m for line in ordered for m in line["moves"]], ["state"])
        if move["state"] == "done"
    }
    for line in ordered:
        line["done_moves"] = [move for move in line["moves"] if move in done_moves]
    return dict(enumerate(ordered, start=1))


def _invoice_lines(
    client: TrytonClient, system: ExternalSystem, invoice: Invoice, lookups: Lookups
) -> list[dict[str, Any]]:
    record = invoice_record(invoice)
    linked = purchase_lines(client, system, invoice)
    values: list[dict[str, Any]] = []
    for line in record.lines:
        row: dict[str, Any] = {
            "type": "line",
            "description": line.description,
            "quantity": signed(line.quantity, record.document_type),
            "unit_price": line.unit_price,
        }
        purchase_line = linked.get(line.po_line_number) if line.po_line_number else None
        if purchase_line is not None and purchase_line.get("product"):
            row["product"] = purchase_line["product"]
            row["unit"] = purchase_line["unit"]
            row["account"] = lookups.product_expense_account(purchase_line["product"])
            row["origin"] = f"purchase.line,{purchase_line['id']}"
            if purchase_line["done_moves"]:
                row["stock_moves"] = [("add", purchase_line["done_moves"])]
        else:
            row["account"] = lookups.expense()
        values.append(row)
    for label, amount in extra_charges(invoice):
        quantity = signed(Decimal(1), record.document_type)
        values.append(
            {
                "type": "line",
                "description": label,
                "quantity": quantity,
                "unit_price": amount,
                "account": lookups.expense(),
            }
        )
    return values


def _invoice_create(
    client: TrytonClient, system: ExternalSystem, invoice: Invoice, party_id: int, lookups: Lookups
) -> int:
    (party,) = client.read("party.party", [party_id], ["addresses", "supplier_payment_term"])
    if not party["addresses"]:
        raise PermanentError(f"Vendor {invoice.vendor.number if invoice.vendor else ''} has no address for Tryton")
    record = invoice_record(invoice)
    values: dict[str, Any] = {
        "type": "in",
        "party": party_id,
        "invoice_address": party["addresses"][0],
        "journal": lookups.journal(),
        "account": lookups.payable(),
        "currency": lookups.currency(record.currency),
        "invoice_date": record.invoice_date,
        "reference": record.reference,
        "description": f"{record.invoice_number} (P2P {record.po_number or 'no PO'})"[:200],
        "lines": [("create", _invoice_lines(client, system, invoice, lookups))],
    }
    term = party.get("supplier_payment_term") or lookups.payment_term()
    if term:
        values["payment_term"] = term
    (tryton_id,) = client.create("account.invoice", [values])
    return tryton_id


def _expected_total(invoice: Invoice) -> Decimal:
    total = invoice.total_amount
    return -total if invoice.document_type == "credit_memo" else total


def invoice_post(client: TrytonClient, system: ExternalSystem, payload: dict[str, Any], lookups: Lookups) -> str:
    """`invoice.approved`: the supplier invoice with our reference, created if missing, validated and posted;
    returns its Tryton id. A redelivery finds it and only finishes what is left."""
    invoice = _invoice(payload.get("invoice"))
    reference = invoice_record(invoice).reference
    found = client.search_read(
        "account.invoice",
        [("type", "=", "in"), ("reference", "=", reference)],
        ["id", "state", "total_amount"],
        order=[("id", "ASC")],
    )
    if len(found) > 1:
        logger.warning("Tryton holds %s supplier invoices with reference %s", len(found), reference)
    if found:
        tryton_id, state, total = int(found[0]["id"]), str(found[0]["state"]), found[0]["total_amount"]
    else:
        party_id = party_upsert(client, invoice.vendor) if invoice.vendor else 0
        tryton_id = _invoice_create(client, system, invoice, party_id, lookups)
        (created,) = client.read("account.invoice", [tryton_id], ["state", "total_amount"])
        state, total = str(created["state"]), created["total_amount"]
    if state == "cancelled":
        raise PermanentError(f"Tryton invoice {tryton_id} ({reference}) is cancelled there")
    if state == "draft":
        expected = _expected_total(invoice)
        if abs(Decimal(total) - expected) > ROUNDING:
            # Ours and only a draft: removed, so that a replay after the fix starts clean.
            client.delete("account.invoice", [tryton_id])
            raise PermanentError(
                f"Tryton computes {total} for {reference} where the invoice says {expected}: not posted"
            )
        client.call("account.invoice", "validate_invoice", [tryton_id])
        state = "validated"
    if state == "validated":
        client.call("account.invoice", "post", [tryton_id])
    return f"account.invoice,{tryton_id}"
