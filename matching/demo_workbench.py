"""Demo volume for the AP workbench: a received PO at NGH with invoices billed above its prices, aged over two
weeks so that every aging bucket and some SLA breaches show, one item waiting for a credit memo and one on hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from matching.demo import TODAY, _invoice, _line, _order, _vendor
from matching.models import PurchaseOrder, WorkItem
from matching.services._common import _save
from matching.services.intake import invoice_ingest
from matching.services.orders import OrderLineData, ReceiptLineData, receipt_record
from matching.services.work_items import sla_due
from matching.services.workbench.actions import work_item_hold, work_item_request_credit_memo
from p2p_portal.demo import ACTOR
from p2p_portal.models import Facility

# (invoice number, PO line, quantity, unit price billed, days since it needed a person)
VARIANCES = (
    ("MS-8101", 1, "10", "4.40", 0),
    ("MS-8102", 2, "4", "19.90", 1),
    ("MS-8103", 3, "2", "88.00", 2),
    ("MS-8104", 1, "25", "4.35", 3),
    ("MS-8105", 2, "6", "19.50", 4),
    ("MS-8106", 3, "3", "85.00", 5),
    ("MS-8107", 1, "40", "4.60", 7),
    ("MS-8108", 2, "10", "21.00", 9),
    ("MS-8109", 3, "5", "99.00", 12),  # above a clerk's authority: goes to an AP manager
    ("MS-8110", 1, "12", "4.50", 15),
)
ORDER_LINES = [
    OrderLineData(1, "Alcohol prep pads, box of 200", Decimal("500"), Decimal("4.00"), "BX", "AP-200"),
    OrderLineData(2, "Sharps container 2 gal", Decimal("100"), Decimal("18.00"), "EA", "SH-2"),
    OrderLineData(3, "Pulse oximeter, finger", Decimal("40"), Decimal("80.00"), "EA", "OX-1"),
]


def seed_workbench() -> None:
    """Add the workbench volume (called once, right after the demo invoices)."""
    facility = Facility.objects.get(code="NGH")
    vendor = _vendor("ERP-1005")
    _order(facility, "PO-7010", vendor, ORDER_LINES)
    order = PurchaseOrder.objects.get(facility=facility, number="PO-7010")
    receipt_record(
        actor=ACTOR,
        facility=facility,
        number="GR-7010-1",
        purchase_order=order,
        received_on=TODAY - timedelta(days=10),
        lines=[
            ReceiptLineData(1, Decimal("500")),
            ReceiptLineData(2, Decimal("100")),
            ReceiptLineData(3, Decimal("40")),
        ],
    )
    now = timezone.now()
    items = {}
    for number, po_line, quantity, price, days in VARIANCES:
        invoice = invoice_ingest(
            actor=ACTOR,
            document=_invoice(vendor, number, "PO-7010", _line(1, po_line, quantity, price)),
            channel="api_json",
            facility=facility,
        )
        item = WorkItem.objects.filter(invoice=invoice).first()
        if item is None:
            continue
        # Demo data only: the item needed a person `days` ago, so ages, buckets and breaches look like a real week.
        item.opened_at = now - timedelta(days=days, hours=2)
        item.due_at = sla_due(item.opened_at, item.queue)
        _save(item, ACTOR, "demo data: aged")
        items[number] = item
    clerk = get_user_model().objects.get(username="clerk")
    if "MS-8108" in items:
        work_item_request_credit_memo(
            actor=clerk, item=items["MS-8108"], reason_code="overcharge", note="Quoted 18.00 on the PO."
        )
    if "MS-8107" in items:
        work_item_hold(
            actor=clerk,
            item=items["MS-8107"],
            reason_code="awaiting_buyer",
            review_on=timezone.localdate() + timedelta(days=2),
            note="Buyer checking the new contract price.",
        )
