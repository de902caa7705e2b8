"""Round trip with the live Tryton: a PO and its receipt made in Tryton are pulled in (the inbound sync), the invoice
is matched and approved here, posted to Tryton through the outbox (our invoice `posted`), paid there with the pay
wizard, and the payment pull makes it `paid` here."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from integrations.models import SyncCursor, SyncRunStatus
from integrations.services.outbox import outbox_deliver_due, outbox_fanout
from integrations.services.payments import payments_pull
from integrations.services.sync import sync_entity_run
from integrations.tryton.mapping_outbound import invoice_reference
from integrations.tryton.pull import MODELS, WriteDateCursor
from matching.models import InvoiceStatus, PurchaseOrder
from matching.services.intake import invoice_ingest
from tests.integrations.outbox_support import erp_system, invoice_document, tryton_client

pytestmark = pytest.mark.django_db(transaction=True)


def start_cursors_now(erp, system) -> None:
    """Start each entity's cursor at Tryton's latest change, so the pull brings what this test makes (not what the
    session's other tests left in the shared Tryton)."""
    for entity, model in MODELS.items():
        rows = erp.search_read(model, [], ["id", "write_date"], order=[("write_date", "DESC"), ("id", "DESC")], limit=1)
        cursor = WriteDateCursor(rows[0]["write_date"], {rows[0]["id"]: rows[0]["write_date"]}).encode() if rows else ""
        SyncCursor.objects.create(system=system, entity=entity, cursor=cursor)
    # The payment pull's cursor is a plain write_date, read inclusively: start just after the latest invoice.
    latest = erp.search_read("account.invoice", [], ["write_date"], order=[("write_date", "DESC")], limit=1)
    after = (latest[0]["write_date"] + timedelta(microseconds=1)).isoformat() if latest else ""
    SyncCursor.objects.create(system=system, entity="payment", cursor=after)


def tryton_po_with_receipt(erp) -> tuple[int, str]:
    """A new supplier, a confirmed PO for 10 gloves at 9.50 and 4 masks at 7.25, and its receipt done."""
    (party_id,) = erp.create(
        "party.party",
        [
            {
                "name": "Round Trip Medical LLC",
                "addresses": [("create", [{"street": "3 Loop Rd", "city": "Capital City"}])],
            }
        ],
    )
    (party,) = erp.read("party.party", [party_id], ["addresses"])
    products = {p["code"]: p for p in erp.search_read("product.product", [], ["id", "code", "default_uom"])}
    lines = [
        {
            "product": products[code]["id"],
            "quantity": quantity,
            "unit": products[code]["default_uom"],
            "unit_price": price,
        }
        for code, quantity, price in (("GLV-100", 10.0, Decimal("9.50")), ("MSK-050", 4.0, Decimal("7.25")))
    ]
    (po_id,) = erp.create(
        "purchase.purchase",
        [
            {
                "party": party_id,
                "invoice_address": party["addresses"][0],
                "invoice_method": "manual",
                "reference": "RT-1",
                "lines": [("create", lines)],
            }
        ],
    )
    erp.call("purchase.purchase", "quote", [po_id])
    erp.call("purchase.purchase", "confirm", [po_id])
    (po,) = erp.read("purchase.purchase", [po_id], ["number", "moves"])
    warehouse_id = erp.call("stock.shipment.in", "default_get", ["warehouse"])["warehouse"]
    (warehouse,) = erp.read("stock.location", [warehouse_id], ["input_location", "storage_location"])
    (shipment_id,) = erp.create(
        "stock.shipment.in",
        [
            {
                "supplier": party_id,
                "warehouse": warehouse_id,
                "warehouse_input": warehouse["input_location"],
                "warehouse_storage": warehouse["storage_location"],
                "reference": f"ASN-{po['number']}",
                "incoming_moves": [("add", po["moves"])],
            }
        ],
    )
    erp.call("stock.shipment.in", "receive", [shipment_id])
    erp.call("stock.shipment.in", "do", [shipment_id])
    return po_id, str(po["number"])


def test_po_and_receipt_in_tryton_invoice_approved_here_posted_there_paid_there_paid_here(tryton, north) -> None:
    system = erp_system(tryton, code="tryton-rt", facility=north)
    with tryton_client(tryton) as erp:
        start_cursors_now(erp, system)
        po_id, po_number = tryton_po_with_receipt(erp)

        for entity in ("supplier", "purchase_order", "receipt"):
            run = sync_entity_run(actor="tests", system=system, entity=entity, triggered_by="tests")
            assert run.status == SyncRunStatus.SUCCEEDED, (entity, run.error)
        order = PurchaseOrder.objects.get(number=po_number, source_system="tryton-rt")
        assert [(line.quantity_ordered, line.quantity_received) for line in order.lines.order_by("line_number")] == [
            (Decimal(10), Decimal(10)),
            (Decimal(4), Decimal(4)),
        ]

        document = invoice_document(
            order.vendor,
            north,
            po_number,
            "RT-INV-1",
            [(1, "10", "9.50"), (2, "4", "7.25")],
            unit_of_measure=order.lines.get(line_number=1).unit_of_measure,
        )
        invoice = invoice_ingest(actor="tests", document=document, channel="api_json", facility=north)
        assert invoice.status == InvoiceStatus.APPROVED, list(invoice.exceptions.values_list("code", flat=True))

        outbox_fanout()
        assert outbox_deliver_due(system=system).delivered == 1
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.POSTED
        (posted,) = erp.search_read(
            "account.invoice",
            [("reference", "=", invoice_reference(invoice.pk))],
            ["id", "state", "total_amount", "lines"],
        )
        assert (posted["state"], posted["total_amount"]) == ("posted", Decimal("124.00"))
        origins = {line["origin"] for line in erp.read("account.invoice.line", posted["lines"], ["origin"])}
        (po,) = erp.read("purchase.purchase", [po_id], ["lines"])
        assert origins == {f"purchase.line,{line_id}" for line_id in po["lines"]}

        (method_id,) = erp.search("account.invoice.payment.method", [("name", "=", "Bank transfer")])
        erp.run_wizard(
            "account.invoice.pay",
            model="account.invoice",
            ids=[posted["id"]],
            steps=[("choice", {"payment_method": method_id})],
        )
        (po,) = erp.read("purchase.purchase", [po_id], ["invoice_state"])
        assert po["invoice_state"] == "paid"

    run = payments_pull(actor="tests", system=system, triggered_by="tests")
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert run.updated == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert payments_pull(actor="tests", system=system, triggered_by="tests").updated == 0  # idempotent
