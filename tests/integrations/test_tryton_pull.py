"""Pulls from a live Tryton (seeded snapshot): suppliers, purchase orders and receipts, incremental by write_date,
and a PO and receipt created in Tryton through the client appearing here after a sync run."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from integrations.canonical import PurchaseOrderRecord, ReceiptRecord, SupplierRecord
from integrations.connectors import Unreadable
from integrations.models import DeadLetter, ExternalSystem, SyncRunStatus
from integrations.services.sync import sync_entity_run
from integrations.tryton.client import TrytonClient
from integrations.tryton.pull import WriteDateCursor, pull
from matching.models import PurchaseOrder, Receipt
from vendors.models import SourceReference

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(tryton):
    with TrytonClient(tryton.url, tryton.database, tryton.login, tryton.password) as client:
        yield client


@pytest.fixture
def erp(tryton, north, monkeypatch) -> ExternalSystem:
    monkeypatch.setenv("P2P_TEST_TRYTON_LOGIN", tryton.login)
    monkeypatch.setenv("P2P_TEST_TRYTON_PASSWORD", tryton.password)
    system = ExternalSystem(
        code="tryton",
        name="Tryton ERP",
        kind="erp",
        connector="tryton",
        base_url=tryton.url,
        config={
            "database": tryton.database,
            "login_env": "P2P_TEST_TRYTON_LOGIN",
            "password_env": "P2P_TEST_TRYTON_PASSWORD",
        },
        facility=north,
    )
    system.full_clean()
    system.save()
    return system


def records(
    client: TrytonClient, system: ExternalSystem, entity: str, cursor: str = "", page_size: int = 100
) -> tuple[list[Any], str]:
    pages = list(pull(client, system, entity, cursor, page_size=page_size))
    return [r for page in pages for r in page.records], (pages[-1].cursor if pages else cursor)


def _purchase_with_receipt(client: TrytonClient, quantity: float) -> tuple[str, str]:
    """A confirmed PO for CareGoods with its receipt done, created through the client; (PO number, shipment no)."""
    (supplier,) = client.search_read("party.party", [("name", "=", "CareGoods Inc")], ["id", "addresses"])
    (product,) = client.search_read("product.product", [("code", "=", "SAL-500")], ["id", "default_uom"])
    (term_id,) = client.search("account.invoice.payment_term", [("name", "=", "Net 30")])
    (po_id,) = client.create(
        "purchase.purchase",
        [
            {
                "party": supplier["id"],
                "invoice_address": supplier["addresses"][0],
                "payment_term": term_id,
                "invoice_method": "manual",
                "reference": f"P2P-PULL-{uuid.uuid4().hex[:6]}",
                "lines": [
                    ("create", [{"product": product["id"], "quantity": quantity, "unit": product["default_uom"],
                                 "unit_price": Decimal("2.4000")}])
                ],
            }
        ],
    )  # fmt: skip
    client.call("purchase.purchase", "quote", [po_id])
    client.call("purchase.purchase", "confirm", [po_id])
    (po,) = client.read("purchase.purchase", [po_id], ["number", "moves"])
    warehouse_id = client.call("stock.shipment.in", "default_get", ["warehouse"])["warehouse"]
    (warehouse,) = client.read("stock.location", [warehouse_id], ["input_location", "storage_location"])
    (shipment_id,) = client.create(
        "stock.shipment.in",
        [
            {
                "supplier": supplier["id"],
                "warehouse": warehouse_id,
                "warehouse_input": warehouse["input_location"],
                "warehouse_storage": warehouse["storage_location"],
                "incoming_moves": [("add", po["moves"])],
            }
        ],
    )
    client.call("stock.shipment.in", "receive", [shipment_id])
    client.call("stock.shipment.in", "do", [shipment_id])
    (shipment,) = client.read("stock.shipment.in", [shipment_id], ["number"])
    return po["number"], shipment["number"]


def test_pulls_map_the_seeded_suppliers_po_and_receipt(client, erp):
    suppliers, cursor = records(client, erp, "supplier")
    by_name = {s.legal_name: s for s in suppliers}
    assert set(by_name) >= {"MedSupply Ltd", "CareGoods Inc"}
    assert "Acme Hospital Trust" not in by_name  # the company's own party is no supplier
    assert all(isinstance(s, SupplierRecord) for s in suppliers)
    medsupply = by_name["MedSupply Ltd"]
    assert (medsupply.tax_id, medsupply.gln) == ("91-1144442", "5790000000001")
    assert medsupply.remit_to is not None
    assert medsupply.remit_to.city == "Springfield"
    assert records(client, erp, "supplier", cursor)[0] == []  # nothing since

    (order,) = [o for o in records(client, erp, "purchase_order")[0] if o.supplier_external_id == medsupply.external_id]
    assert isinstance(order, PurchaseOrderRecord)
    assert [(line.line_number, line.quantity, line.unit_price, line.item_code) for line in order.lines] == [
        (1, Decimal("10"), Decimal("9.50"), "GLV-100"),
        (2, Decimal("4"), Decimal("7.25"), "MSK-050"),
    ]
    assert order.status == "open"
    (receipt,) = [r for r in records(client, erp, "receipt")[0] if r.po_number == order.number]
    assert isinstance(receipt, ReceiptRecord)
    assert sorted((line.po_line_number, line.quantity) for line in receipt.lines) == [
        (1, Decimal("10")),
        (2, Decimal("4")),
    ]


def test_the_walk_neither_skips_nor_repeats_across_small_pages(client, erp):
    everything, _ = records(client, erp, "supplier")
    paged, cursor = records(client, erp, "supplier", page_size=1)
    assert [s.external_id for s in paged] == [s.external_id for s in everything]
    (party_id,) = client.search("party.party", [("name", "=", "CareGoods Inc")])
    client.write("party.party", [party_id], {"name": "CareGoods Inc."})
    try:
        changed, _ = records(client, erp, "supplier", cursor, page_size=1)
        assert [(s.external_id, s.legal_name) for s in changed] == [(str(party_id), "CareGoods Inc.")]
    finally:
        client.write("party.party", [party_id], {"name": "CareGoods Inc"})


def test_a_record_committed_late_under_an_earlier_write_date_is_still_pulled(client, erp, tryton):
    _, cursor = records(client, erp, "supplier")
    (party_id,) = client.search("party.party", [("name", "=", "MedSupply Ltd")])
    client.write("party.party", [party_id], {"name": "MedSupply Ltd (late)"})
    # What a Tryton transaction that began a minute before the cursor's newest record, and committed only now,
    # leaves behind: write_date is the transaction's start.
    newest = WriteDateCursor.decode(cursor).write_date
    assert newest is not None
    earlier = newest - timedelta(seconds=60)
    with sqlite3.connect(tryton.server.database_file) as database:
        database.execute(
            "UPDATE party_party SET write_date = ? WHERE id = ?", (earlier.strftime("%Y-%m-%d %H:%M:%S.%f"), party_id)
        )
    try:
        late, after = records(client, erp, "supplier", cursor)
        assert [(s.external_id, s.legal_name) for s in late] == [(str(party_id), "MedSupply Ltd (late)")]
        assert records(client, erp, "supplier", after)[0] == []  # delivered once, not on every run after
        erp.config["cursor_overlap_seconds"] = 0  # a cursor that only moves forward skips it for good
        assert records(client, erp, "supplier", cursor)[0] == []
    finally:
        client.write("party.party", [party_id], {"name": "MedSupply Ltd"})


def test_a_po_cancelled_in_tryton_after_we_synced_it_is_cancelled_here(client, erp, tryton):
    for entity in ("supplier", "purchase_order"):
        sync_entity_run(actor="tests", system=erp, entity=entity, triggered_by="tests")
    number, _ = _purchase_with_receipt(client, 3.0)
    sync_entity_run(actor="tests", system=erp, entity="purchase_order", triggered_by="tests")
    order = PurchaseOrder.objects.get(number=number, source_system="tryton")
    assert order.status == "open"
    # Tryton lets a confirmed purchase go back to draft and be cancelled before its queue processes it; over RPC
    # confirm processes at once, so the end state is written as that path leaves it (state and a new write_date).
    (po_id,) = client.search("purchase.purchase", [("number", "=", number)])
    with sqlite3.connect(tryton.server.database_file) as database:
        database.execute(
            "UPDATE purchase_purchase SET state = 'cancelled', write_date = ? WHERE id = ?",
            ((datetime.now(UTC).replace(tzinfo=None)).strftime("%Y-%m-%d %H:%M:%S.%f"), po_id),
        )
    run = sync_entity_run(actor="tests", system=erp, entity="purchase_order", triggered_by="tests")
    assert (run.status, run.updated) == (SyncRunStatus.SUCCEEDED, 1)
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_a_purchase_cancelled_before_it_was_ever_quoted_is_not_pulled(client, erp):
    (supplier,) = client.search_read("party.party", [("name", "=", "CareGoods Inc")], ["id", "addresses"])
    values = {"party": supplier["id"], "invoice_address": supplier["addresses"][0]}
    (po_id,) = client.create("purchase.purchase", [values])
    client.call("purchase.purchase", "cancel", [po_id])
    pulled, _ = records(client, erp, "purchase_order")
    assert all(order.external_id != str(po_id) for order in pulled)
    assert not any(isinstance(order, Unreadable) for order in pulled)


def _return_to_supplier(client: TrytonClient, po_number: str, quantity: float) -> str:
    """A done supplier return of `quantity` of the PO's first line, made in Tryton; its shipment number."""
    (po,) = client.search_read("purchase.purchase", [("number", "=", po_number)], ["party", "lines", "currency"])
    (line,) = client.read("purchase.line", sorted(po["lines"])[:1], ["product", "unit", "unit_price"])
    warehouse_id = client.call("stock.shipment.in", "default_get", ["warehouse"])["warehouse"]
    (warehouse,) = client.read("stock.location", [warehouse_id], ["storage_location"])
    (supplier_location,) = client.search("stock.location", [("type", "=", "supplier")], limit=1)
    move = {
        "product": line["product"],
        "unit": line["unit"],
        "quantity": quantity,
        "from_location": warehouse["storage_location"],
        "to_location": supplier_location,
        "unit_price": line["unit_price"],
        "currency": po["currency"],
        "origin": f"purchase.line,{line['id']}",
    }
    (shipment_id,) = client.create(
        "stock.shipment.in.return",
        [
            {
                "supplier": po["party"],
                "from_location": warehouse["storage_location"],
                "to_location": supplier_location,
                "moves": [("create", [move])],
            }
        ],
    )
    for step in ("wait", "assign_try", "do"):
        client.call("stock.shipment.in.return", step, [shipment_id])
    (shipment,) = client.read("stock.shipment.in.return", [shipment_id], ["number", "state"])
    assert shipment["state"] == "done"
    return str(shipment["number"])


def test_a_supplier_return_in_tryton_is_a_negative_receipt_here(client, erp):
    number, _ = _purchase_with_receipt(client, 10.0)
    for entity in ("supplier", "purchase_order", "receipt"):
        sync_entity_run(actor="tests", system=erp, entity=entity, triggered_by="tests")
    (line,) = PurchaseOrder.objects.get(number=number, source_system="tryton").lines.all()
    assert line.quantity_received == Decimal("10")

    shipment = _return_to_supplier(client, number, 3.0)
    run = sync_entity_run(actor="tests", system=erp, entity="receipt", triggered_by="tests")
    assert (run.status, run.fetched, run.created) == (SyncRunStatus.SUCCEEDED, 1, 1), [
        (d.error, d.payload) for d in DeadLetter.objects.all()
    ]
    returned = Receipt.objects.get(number=f"RET-{shipment}")
    assert [(r.quantity) for r in returned.lines.all()] == [Decimal("-3")]
    line.refresh_from_db()
    assert line.quantity_received == Decimal("7")
    again = sync_entity_run(actor="tests", system=erp, entity="receipt", triggered_by="tests")
    assert (again.fetched, again.created) == (0, 0)


def test_a_po_and_receipt_created_in_tryton_appear_here_after_a_run(client, erp):
    for entity in ("supplier", "purchase_order", "receipt"):
        assert sync_entity_run(actor="tests", system=erp, entity=entity, triggered_by="tests").status == (
            SyncRunStatus.SUCCEEDED
        )
    number, shipment = _purchase_with_receipt(client, 12.0)
    runs = {
        entity: sync_entity_run(actor="tests", system=erp, entity=entity, triggered_by="tests")
        for entity in ("supplier", "purchase_order", "receipt")
    }
    assert runs["purchase_order"].created == 1
    assert runs["receipt"].created == 1
    order = PurchaseOrder.objects.get(number=number, source_system="tryton")
    assert (
        order.vendor
        == SourceReference.objects.get(
            system="tryton", external_id=order.vendor.source_references.get().external_id
        ).vendor
    )
    assert order.vendor.legal_name == "CareGoods Inc"
    (line,) = order.lines.all()
    assert (line.quantity_ordered, line.unit_price, line.item_code, line.quantity_received) == (
        Decimal("12"), Decimal("2.40"), "SAL-500", Decimal("12"),
    )  # fmt: skip
    assert Receipt.objects.get(number=shipment).purchase_order == order
    again = sync_entity_run(actor="tests", system=erp, entity="purchase_order", triggered_by="tests")
    assert (again.fetched, again.created, again.updated) == (0, 0, 0)
