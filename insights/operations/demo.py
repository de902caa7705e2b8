"""Demo seeding of the operations reports: a small month at NGH the dashboard can show — clean invoices that went
through on their own (some posted and paid), a variance accepted, a duplicate confirmed, a variance recovered by a
credit memo — all through the services; then the summaries are computed so the dashboard shows numbers at once.
Idempotent: the volume is added once (keyed on its PO), the summaries are recomputed on every run."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from insights.operations.services import operations_summary_refresh
from matching.demo import TODAY, _invoice, _line, _order, _vendor
from matching.models import Invoice, PurchaseOrder, WorkItem
from matching.services.intake import invoice_ingest
from matching.services.orders import OrderLineData, ReceiptLineData, receipt_record
from matching.services.payments import invoice_mark_paid, invoice_mark_posted
from matching.services.workbench.actions import (
    work_item_accept_variance,
    work_item_confirm_duplicate,
    work_item_request_credit_memo,
)
from p2p_portal.demo import ACTOR, DemoLogin
from p2p_portal.models import Facility

PO = "PO-7020"
ORDER_LINES = [
    OrderLineData(1, "Exam gloves nitrile M, box of 100", Decimal("2000"), Decimal("6.00"), "BX", "GN-M"),
    OrderLineData(2, "Syringe 10 ml, box of 100", Decimal("1000"), Decimal("14.00"), "BX", "SY-10"),
]
# (invoice number, PO line, quantity, unit price billed): the first eight are clean.
INVOICES = (
    ("OP-9001", 1, "20", "6.00"),
    ("OP-9002", 2, "10", "14.00"),
    ("OP-9003", 1, "35", "6.00"),
    ("OP-9004", 2, "12", "14.00"),
    ("OP-9005", 1, "50", "6.00"),
    ("OP-9006", 2, "8", "14.00"),
    ("OP-9007", 1, "15", "6.00"),
    ("OP-9008", 2, "20", "14.00"),
    ("OP-9011", 1, "30", "6.20"),  # 6.00 on the PO: a 6.00 variance the clerk accepts
    ("OP-9012", 2, "10", "15.50"),  # 14.00 on the PO: 15.00 asked back by credit memo
)


def _seed_volume() -> None:
    facility = Facility.objects.get(code="NGH")
    vendor = _vendor("ERP-1006")
    _order(facility, PO, vendor, ORDER_LINES)
    order = PurchaseOrder.objects.get(facility=facility, number=PO)
    receipt_record(
        actor=ACTOR,
        facility=facility,
        number="GR-7020-1",
        purchase_order=order,
        received_on=TODAY - timedelta(days=12),
        lines=[ReceiptLineData(1, Decimal("2000")), ReceiptLineData(2, Decimal("1000"))],
    )
    invoices = {}
    for number, po_line, quantity, price in INVOICES:
        document = _invoice(vendor, number, PO, _line(1, po_line, quantity, price, "BX"))
        invoices[number] = invoice_ingest(actor=ACTOR, document=document, channel="api_json", facility=facility)
    # The ERP confirmed some posts and paid some of those (what integrations would report).
    for index, number in enumerate(("OP-9001", "OP-9002", "OP-9003", "OP-9004", "OP-9005")):
        invoice = Invoice.objects.get(pk=invoices[number].pk)
        if invoice.status == "approved":
            invoice_mark_posted(actor=ACTOR, invoice=invoice, reference=f"ERP-DOC-{9001 + index}")
            if index < 3:
                invoice_mark_paid(actor=ACTOR, invoice=invoice, paid_on=TODAY, reference=f"PAY-{9001 + index}")
    clerk = get_user_model().objects.get(username="clerk")
    accepted = WorkItem.objects.filter(invoice=invoices["OP-9011"]).first()
    if accepted is not None:
        work_item_accept_variance(
            actor=clerk, item=accepted, reason_code="price_increase_agreed", note="Buyer agreed the new price."
        )
    recovering = WorkItem.objects.filter(invoice=invoices["OP-9012"]).first()
    if recovering is not None:
        work_item_request_credit_memo(actor=clerk, item=recovering, reason_code="overcharge", note="PO price 14.00.")
        credit = _invoice(vendor, "OP-CM-9012", "", _line(1, None, "1", "15.00"))
        credit = replace(credit, document_type="credit_memo", original_invoice_number="OP-9012")
        invoice_ingest(actor=ACTOR, document=credit, channel="api_json", facility=facility)
    # The vendor sent OP-9006 twice: the second is suspected, and the clerk confirms it.
    again = invoice_ingest(
        actor=ACTOR,
        document=_invoice(vendor, "OP-9006", PO, _line(1, 2, "8", "14.00", "BX")),
        channel="api_json",
        facility=facility,
    )
    duplicate = WorkItem.objects.filter(invoice=again).first()
    if duplicate is not None:
        work_item_confirm_duplicate(actor=clerk, item=duplicate, note="Same goods billed twice.")


def seed() -> list[DemoLogin]:
    """Add the operations volume once, then refresh the operations summaries (no logins of its own)."""
    if not PurchaseOrder.objects.filter(number=PO).exists():
        _seed_volume()
    operations_summary_refresh(actor=ACTOR)
    return []
