"""Pulls from a live Tryton (seeded snapshot): suppliers, purchase orders and receipts, incremental by write_date,
and a PO and receipt created in Tryton through the client appearing here after a sync run."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from integrations.canonical import PurchaseOrderRecord, ReceiptRecord, SupplierRecord
from integrations.models import ExternalSystem, SyncRunStatus
from integrations.services.sync import sync_entity_run
from integrations.tryton.client import TrytonClient
from integrations.tryton.pull import pull
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
