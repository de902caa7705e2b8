"""New purchase orders in bulk (a sync page of a procurement suite): the same rows, history rows and reasons as
`purchase_order_upsert` creating them one by one, written with COPY on PostgreSQL (the ORM elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from matching.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from matching.services.bulk_writes import audit_columns, instances_insert
from matching.services.orders import OrderLineData
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import InvalidInputError
from p2p_portal.models import Facility
from vendors.models import Vendor

# Foreign keys are given as saved instances; full_clean would query each one again.
_ORDER_EXCLUDE = ["facility", "vendor"]
_LINE_EXCLUDE = ["purchase_order", "cost_center"]


@dataclass(frozen=True)
class NewOrder:
    """A purchase order not yet stored at its facility, as `purchase_order_upsert` takes it."""

    facility: Facility
    number: str
    vendor: Vendor
    ordered_on: date
    lines: list[OrderLineData]
    currency: str = "USD"
    status: str = PurchaseOrderStatus.OPEN
    source_system: str = ""


def _line_check(order: NewOrder, line: OrderLineData) -> None:
    # The table's check constraints, checked here: one bad row would otherwise refuse the whole COPY.
    if line.quantity <= Decimal(0):
        raise ValidationError(
            {"quantity_ordered": [f"PO {order.number} line {line.line_number}: quantity must be > 0"]}
        )
    if line.unit_price < Decimal(0):
        raise ValidationError({"unit_price": [f"PO {order.number} line {line.line_number}: price must be >= 0"]})


@transaction.atomic
def purchase_orders_create_bulk(*, actor: Any, orders: list[NewOrder]) -> list[PurchaseOrder]:
    """Create these new POs (revision 1) with their lines and history rows in a few statements.

    Every order is validated first (as `purchase_order_upsert` would), so a bad one refuses the batch before any
    write; an order whose (facility, number) exists refuses it at the database (IntegrityError)."""
    built: list[PurchaseOrder] = []
    lines: list[PurchaseOrderLine] = []
    order_reasons: list[str] = []
    line_reasons: list[str] = []
    for order in orders:
        numbers = [line.line_number for line in order.lines]
        if not order.lines or len(set(numbers)) != len(numbers):
            raise InvalidInputError(
                f"PO {order.number} needs at least one line, each line number once.",
                code="invalid_lines",
                field="lines",
            )
        reason = f"PO {order.number} revision 1 from {order.source_system or 'the API'}"
        purchase_order = PurchaseOrder(
            facility=order.facility,
            number=order.number,
            vendor=order.vendor,
            currency=order.currency,
            status=order.status,
            ordered_on=order.ordered_on,
            source_system=order.source_system,
            revision=1,
        )
        purchase_order.full_clean(exclude=_ORDER_EXCLUDE, validate_unique=False, validate_constraints=False)
        built.append(purchase_order)
        order_reasons.append(reason)
        for data in order.lines:
            _line_check(order, data)
            line = PurchaseOrderLine(
                purchase_order=purchase_order,
                line_number=data.line_number,
                description=data.description,
                quantity_ordered=data.quantity,
                unit_price=data.unit_price,
                unit_of_measure=data.unit_of_measure,
                item_code=data.item_code,
                gtin=data.gtin,
                category=data.category,
                cost_center=data.cost_center,
                match_type=data.match_type,
            )
            line.full_clean(exclude=_LINE_EXCLUDE, validate_unique=False, validate_constraints=False)
            lines.append(line)
            line_reasons.append(reason)
    with acting_as(actor) as acting:
        columns = audit_columns(acting)
        instances_insert(PurchaseOrder, built, order_reasons, columns)
        instances_insert(PurchaseOrderLine, lines, line_reasons, columns)
    return built
