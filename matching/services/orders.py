"""Purchase orders and receipts pushed by the procurement suite. Re-posting a PO by number makes a new revision;
a receipt adds to its PO lines' received quantities under a row lock, so concurrent receipts never lose one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from matching.models import MatchType, PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus, Receipt, ReceiptLine
from matching.services._common import _save
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.models import CostCenter, Facility
from vendors.models import Vendor


@dataclass(frozen=True)
class OrderLineData:
    """A PO line as the procurement suite sends it."""

    line_number: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit_of_measure: str = "EA"
    item_code: str = ""
    gtin: str = ""
    category: str = ""
    cost_center: CostCenter | None = None
    match_type: str = MatchType.THREE_WAY


@transaction.atomic
def purchase_order_upsert(
    *,
    actor: Any,
    facility: Facility,
    number: str,
    vendor: Vendor,
    ordered_on: date,
    lines: list[OrderLineData],
    currency: str = "USD",
    status: str = PurchaseOrderStatus.OPEN,
    source_system: str = "",
) -> tuple[PurchaseOrder, bool]:
    """Create a PO, or revise the one with this number at this facility (revision + 1); True when created.

    A revision may change any line; it may drop a line only if nothing was received or invoiced on it yet."""
    numbers = [line.line_number for line in lines]
    if not lines or len(set(numbers)) != len(numbers):
        raise InvalidInputError(
            "A purchase order needs at least one line, each line number once.", code="invalid_lines", field="lines"
        )
    order = PurchaseOrder.objects.select_for_update().filter(facility=facility, number=number).first()
    created = order is None
    if order is None:
        order = PurchaseOrder(facility=facility, number=number, revision=1)
    else:
        order.revision += 1
    order.vendor = vendor
    order.currency = currency
    order.status = status
    order.ordered_on = ordered_on
    order.source_system = source_system
    reason = f"PO {number} revision {order.revision} from {source_system or 'the API'}"
    _save(order, actor, reason)
    existing = {line.line_number: line for line in order.lines.select_for_update()}
    for data in lines:
        line = existing.pop(data.line_number, None) or PurchaseOrderLine(
            purchase_order=order, line_number=data.line_number
        )
        line.description = data.description
        line.quantity_ordered = data.quantity
        line.unit_price = data.unit_price
        line.unit_of_measure = data.unit_of_measure
        line.item_code = data.item_code
        line.gtin = data.gtin
        line.category = data.category
        line.cost_center = data.cost_center
        line.match_type = data.match_type
        _save(line, actor, reason)
    for dropped in existing.values():
        if dropped.quantity_received or dropped.quantity_invoiced or dropped.receipt_lines.exists():
            raise ApplicationError(
                f"Line {dropped.line_number} of PO {number} has receipts or invoices; a revision cannot drop it "
                "(send it with quantity and status as they now are).",
                code="po_line_in_use",
                field="lines",
            )
        with acting_as(actor, reason=f"{reason}: line {dropped.line_number} dropped"):
            dropped.delete()
    return order, created


@dataclass(frozen=True)
class ReceiptLineData:
    """A quantity received (negative: returned) on one PO line, named by its line number."""

    po_line_number: int
    quantity: Decimal


@transaction.atomic
def receipt_record(
    *,
    actor: Any,
    facility: Facility,
    number: str,
    purchase_order: PurchaseOrder,
    received_on: date,
    lines: list[ReceiptLineData],
    source_system: str = "",
) -> Receipt:
    """Record goods received against a PO; the PO lines' received totals move in the same transaction."""
    if purchase_order.facility_id != facility.pk:
        raise InvalidInputError(
            f"PO {purchase_order.number} belongs to another facility.", code="po_other_facility", field="po_number"
        )
    if Receipt.objects.filter(facility=facility, number=number).exists():
        raise ApplicationError(f"Receipt {number} is already recorded at {facility.code}.", code="receipt_exists")
    # Lock the PO lines in a fixed order, so two receipts on the same lines queue up instead of deadlocking.
    po_lines = {
        line.line_number: line
        for line in PurchaseOrderLine.objects.select_for_update().filter(purchase_order=purchase_order).order_by("pk")
    }
    errors: dict[str, list[str]] = {}
    for position, data in enumerate(lines):
        line = po_lines.get(data.po_line_number)
        if line is None:
            errors[f"lines.{position}.po_line_number"] = [
                f"PO {purchase_order.number} has no line {data.po_line_number}."
            ]
        elif data.quantity == 0:
            errors[f"lines.{position}.quantity"] = ["A receipt line receives or returns something (not 0)."]
        elif line.quantity_received + data.quantity < 0:
            errors[f"lines.{position}.quantity"] = [
                f"Returning {-data.quantity} would leave less than nothing received on line {line.line_number}"
                f" ({line.quantity_received} received)."
            ]
    if not lines:
        errors["lines"] = ["A receipt needs at least one line."]
    if errors:
        raise InvalidInputError("The receipt is not valid.", code="invalid_receipt", errors=errors)
    receipt = Receipt(
        facility=facility,
        number=number,
        purchase_order=purchase_order,
        received_on=received_on,
        source_system=source_system,
    )
    reason = f"receipt {number} for PO {purchase_order.number}"
    _save(receipt, actor, reason)
    for data in lines:
        line = po_lines[data.po_line_number]
        _save(ReceiptLine(receipt=receipt, po_line=line, quantity=data.quantity), actor, reason)
        # An UPDATE with F() under the lock: the running total is derived data and keeps no history row.
        PurchaseOrderLine.objects.filter(pk=line.pk).update(quantity_received=F("quantity_received") + data.quantity)
    from matching.services.workbench.actions import work_items_receipt_arrived

    work_items_receipt_arrived(actor=actor, facility_id=facility.pk, po_number=purchase_order.number)
    _rematch_after_commit(purchase_order)
    return receipt


def _rematch_after_commit(order: PurchaseOrder) -> None:
    """Invoices of the PO are judged again by a worker once the receipt is committed."""
    from matching.services.rematch import invoices_waiting_on_purchase_order
    from matching.tasks import rematch_invoices
    from p2p_portal.tasking import enqueue_on_commit

    ids = list(invoices_waiting_on_purchase_order(order).values_list("pk", flat=True))
    if ids:
        enqueue_on_commit(rematch_invoices, ids)
