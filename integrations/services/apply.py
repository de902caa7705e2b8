"""Applying canonical records from a system to the domain, idempotently by (system, external id).

Each function returns what it did (created, updated, unchanged) or raises: a rejection (`REJECTIONS`: the record
breaks a rule, names something unknown, or changed where we keep no revisions) goes to the dead letters and the run
goes on; anything else is a fault that aborts the page. Purchase orders: the domain's upsert, but only when something
differs (a re-post makes a revision); new orders of a page are written in bulk. Receipts: recorded once by
(facility, number). Suppliers: see apply_suppliers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from integrations.canonical import PurchaseOrderRecord, ReceiptRecord, SupplierRecord
from integrations.models import ExternalSystem
from matching.models import PurchaseOrder, Receipt
from matching.services.orders import OrderLineData, ReceiptLineData, purchase_order_upsert, receipt_record
from matching.services.orders_bulk import NewOrder, purchase_orders_create_bulk
from p2p_portal.errors import ApplicationError
from p2p_portal.models import CostCenter, Facility
from vendors.models import Vendor
from vendors.selectors import vendor_resolve


class Outcome(StrEnum):
    """What applying one record did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class RecordRejectedError(Exception):
    """A record that cannot be applied as it stands (e.g. it names a supplier we do not know yet)."""


# What makes a record a dead letter rather than a fault of the run.
REJECTIONS: tuple[type[Exception], ...] = (
    ApplicationError,
    ValidationError,
    IntegrityError,
    DataError,
    RecordRejectedError,
)


def rejection_text(error: Exception) -> str:
    """A rejection as people read it in the dead letters."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        return " ".join(error.messages)
    if isinstance(error, ApplicationError) and error.errors:
        return f"{error.message} " + "; ".join(f"{k}: {' '.join(v)}" for k, v in error.errors.items())
    return str(error)


@dataclass
class Resolver:
    """Look-ups of one run, cached: facilities by code, cost centers by (facility, code)."""

    system: ExternalSystem
    facilities: dict[str, Facility | None] = field(default_factory=dict)
    cost_centers: dict[tuple[int, str], CostCenter | None] = field(default_factory=dict)
    vendors: dict[str, Vendor] = field(default_factory=dict)

    def facility(self, code: str) -> Facility:
        """The facility a record names, else the system's own; a rejection when there is neither."""
        if code not in self.facilities:
            self.facilities[code] = Facility.objects.filter(code=code).first() if code else None
        found = self.facilities[code] or self.system.facility
        if found is None:
            raise RecordRejectedError(
                f"no facility {code!r} here, and {self.system.code} has no default facility to put it in"
            )
        return found

    def cost_center(self, facility: Facility, code: str) -> CostCenter | None:
        """The facility's cost center with this code, if there is one (an unknown one is left empty)."""
        if not code:
            return None
        key = (facility.pk, code)
        if key not in self.cost_centers:
            self.cost_centers[key] = CostCenter.objects.filter(facility=facility, code=code).first()
        return self.cost_centers[key]

    def vendor(self, external_id: str) -> Vendor | None:
        """The vendor of the system's supplier `external_id` (found ones cached for the run; unknown ones asked
        again, since a replay or the next page may bring them)."""
        if external_id not in self.vendors:
            found = vendor_resolve(system=self.system.code, external_id=external_id)
            if found is None:
                return None
            self.vendors[external_id] = found
        return self.vendors[external_id]


# --- purchase orders ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _OrderPlan:
    """A purchase order record resolved against our data, ready to compare and write."""

    record: PurchaseOrderRecord
    facility: Facility
    vendor: Vendor
    lines: list[OrderLineData]


def _order_plan(system: ExternalSystem, record: PurchaseOrderRecord, resolver: Resolver) -> _OrderPlan:
    facility = resolver.facility(record.facility_code)
    vendor = resolver.vendor(record.supplier_external_id)
    if vendor is None:
        raise RecordRejectedError(
            f"PO {record.number}: unknown supplier {system.code}:{record.supplier_external_id} (not synced yet, or "
            "its own record is in the dead letters)"
        )
    lines = [
        OrderLineData(
            line_number=line.line_number,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit_of_measure=line.unit_of_measure,
            item_code=line.item_code,
            gtin=line.gtin,
            category=line.category,
            cost_center=resolver.cost_center(facility, line.cost_center),
            match_type=line.match_type,
        )
        for line in record.lines
    ]
    return _OrderPlan(record=record, facility=facility, vendor=vendor, lines=lines)


def _order_matches(order: PurchaseOrder, plan: _OrderPlan, source: str) -> bool:
    """Whether the stored PO already says exactly what the record says (then no revision is made)."""
    record = plan.record
    if (order.vendor_id, order.currency, order.status, order.ordered_on, order.source_system) != (
        plan.vendor.pk,
        record.currency,
        record.status,
        record.ordered_on,
        source,
    ):
        return False
    stored = {line.line_number: line for line in order.lines.all()}
    if set(stored) != {line.line_number for line in plan.lines}:
        return False
    return all(
        (
            ours.description,
            ours.quantity_ordered,
            ours.unit_price,
            ours.unit_of_measure,
            ours.item_code,
            ours.gtin,
            ours.category,
            ours.cost_center_id,
            ours.match_type,
        )
        == (
            line.description,
            line.quantity,
            line.unit_price,
            line.unit_of_measure,
            line.item_code,
            line.gtin,
            line.category,
            line.cost_center.pk if line.cost_center else None,
            line.match_type,
        )
        for line in plan.lines
        for ours in (stored[line.line_number],)
    )


def purchase_order_apply(
    *, actor: Any, system: ExternalSystem, record: PurchaseOrderRecord, resolver: Resolver
) -> Outcome:
    """Create or revise the PO; unchanged (no revision) when the stored one already says the same."""
    plan = _order_plan(system, record, resolver)
    existing = (
        PurchaseOrder.objects.filter(facility=plan.facility, number=record.number).prefetch_related("lines").first()
    )
    if existing is not None and _order_matches(existing, plan, system.code):
        return Outcome.UNCHANGED
    _order, created = purchase_order_upsert(
        actor=actor,
        facility=plan.facility,
        number=record.number,
        vendor=plan.vendor,
        ordered_on=record.ordered_on,
        lines=plan.lines,
        currency=record.currency,
        status=record.status,
        source_system=system.code,
    )
    return Outcome.CREATED if created else Outcome.UPDATED


Result = Outcome | Exception


def purchase_orders_apply(
    *, actor: Any, system: ExternalSystem, records: Sequence[PurchaseOrderRecord], resolver: Resolver
) -> list[Result]:
    """Apply a page of POs (results in the records' order): orders new here go in one bulk write, the others (and a
    second version of a number within the page) one by one, each in a savepoint."""
    results: list[Result | None] = [None] * len(records)
    plans: dict[int, _OrderPlan] = {}
    for position, record in enumerate(records):
        try:
            plans[position] = _order_plan(system, record, resolver)
        except REJECTIONS as error:
            results[position] = error
    stored = set(
        PurchaseOrder.objects.filter(number__in=[plan.record.number for plan in plans.values()]).values_list(
            "facility_id", "number"
        )
    )
    fresh: dict[int, NewOrder] = {}
    for position, plan in plans.items():
        key = (plan.facility.pk, plan.record.number)
        if key in stored:
            continue
        stored.add(key)  # a later version in this page is then a revision, applied one by one
        fresh[position] = NewOrder(
            facility=plan.facility,
            number=plan.record.number,
            vendor=plan.vendor,
            ordered_on=plan.record.ordered_on,
            lines=plan.lines,
            currency=plan.record.currency,
            status=plan.record.status,
            source_system=system.code,
        )
    written = _bulk_create(actor, fresh)
    for position, outcome in written.items():
        results[position] = outcome
    for position, record in enumerate(records):
        if results[position] is not None:
            continue
        try:
            with transaction.atomic():
                results[position] = purchase_order_apply(actor=actor, system=system, record=record, resolver=resolver)
        except REJECTIONS as error:
            results[position] = error
    return [result for result in results if result is not None]


def _bulk_create(actor: Any, fresh: dict[int, NewOrder]) -> dict[int, Result]:
    """Create the new orders in one bulk write; when that is refused (a bad row, a concurrent writer), none is
    written and each goes the one-by-one way instead (its result left out here)."""
    if not fresh:
        return {}
    try:
        with transaction.atomic():
            purchase_orders_create_bulk(actor=actor, orders=list(fresh.values()))
    except REJECTIONS:
        return {}
    return dict.fromkeys(fresh, Outcome.CREATED)


# --- receipts -------------------------------------------------------------------------------------------------


def receipt_apply(*, actor: Any, system: ExternalSystem, record: ReceiptRecord, resolver: Resolver) -> Outcome:
    """Record the receipt once; a receipt already recorded the same is unchanged, one that differs is refused
    (receipts here are immutable: the source must send a correcting receipt or return)."""
    facility = resolver.facility(record.facility_code)
    order = PurchaseOrder.objects.filter(facility=facility, number=record.po_number).first()
    if order is None:
        raise RecordRejectedError(
            f"receipt {record.number}: PO {record.po_number} is not here at {facility.code} (not synced yet?)"
        )
    wanted: dict[int, Any] = {}
    for line in record.lines:
        wanted[line.po_line_number] = wanted.get(line.po_line_number, 0) + line.quantity
    existing = Receipt.objects.filter(facility=facility, number=record.number).first()
    if existing is not None:
        have: dict[int, Any] = {}
        for stored in existing.lines.select_related("po_line"):
            have[stored.po_line.line_number] = have.get(stored.po_line.line_number, 0) + stored.quantity
        if existing.purchase_order_id == order.pk and have == wanted:
            return Outcome.UNCHANGED
        raise RecordRejectedError(
            f"receipt {record.number} changed at {system.code} after it was recorded here ({have} -> {wanted}); "
            "recorded receipts are not rewritten: the source must send a correcting receipt or return"
        )
    receipt_record(
        actor=actor,
        facility=facility,
        number=record.number,
        purchase_order=order,
        received_on=record.received_on,
        lines=[ReceiptLineData(po_line_number=number, quantity=quantity) for number, quantity in wanted.items()],
        source_system=system.code,
    )
    return Outcome.CREATED


# --- any entity -----------------------------------------------------------------------------------------------


def records_apply(
    *, actor: Any, system: ExternalSystem, entity: str, records: Sequence[Any], resolver: Resolver
) -> list[Result]:
    """Apply a page of canonical records of `entity`; one result (an Outcome or the rejection) per record, in order."""
    if entity == "purchase_order":
        return purchase_orders_apply(actor=actor, system=system, records=records, resolver=resolver)
    from integrations.services.apply_suppliers import supplier_apply

    results: list[Result] = []
    for record in records:
        try:
            with transaction.atomic():
                if entity == "receipt" and isinstance(record, ReceiptRecord):
                    results.append(receipt_apply(actor=actor, system=system, record=record, resolver=resolver))
                elif entity == "supplier" and isinstance(record, SupplierRecord):
                    results.append(supplier_apply(actor=actor, system=system, record=record, resolver=resolver))
                else:
                    raise RecordRejectedError(f"a {type(record).__name__} is not a {entity} record")
        except REJECTIONS as error:
            results.append(error)
    return results
