"""The workbench benchmark's data: N invoices at 3 facilities, M of them in exception with a work item each, COPYed
straight into the tables (benchmark data need no audit trail; a few history rows per item feed the timeline).

Exception invoices get 3 lines, a PO with 3 lines and (unless they wait for one) a receipt, line matches, 1 or 2
exceptions, a raw inbound document and history rows ("received", "raised", "needs a person"). Clean invoices are
header rows only (no lines, no PO rows), except the earlier invoices that suspected duplicates resemble, which get
lines for the side-by-side. As many closed work items (on clean invoices, with a resolved exception) as open ones
keep the work item and exception tables shaped like a workbench that has been used.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Model, NOT_PROVIDED

FACILITIES = (("BQN", "Bench North Hospital"), ("BQS", "Bench South Hospital"), ("BQE", "Bench East Clinic"))
VENDORS = 60
LINES = 3
CLERK = "bench-clerk"
PASSWORD = "bench-clerk-password-9"  # noqa: S105 (a throwaway account in a throwaway database)
# Share of active items per state besides "open" (they still have open exceptions).
OTHER_STATES = (
    ("waiting_credit_memo", 0.03),
    ("waiting_receipt", 0.03),
    ("on_hold", 0.02),
    ("awaiting_approval", 0.02),
)


@dataclass
class Loaded:
    """What the harness needs to know about the loaded data."""

    facility_ids: list[int]
    queue_ids: list[int]
    clerk_id: int
    invoices: int
    items: int
    open_items: int
    closed_items: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _defaults(model: type[Model]) -> dict[str, Any]:
    """Each column's value when a row does not give it: the field default, NULL, or "" for blank text."""
    values: dict[str, Any] = {}
    for model_field in model._meta.concrete_fields:
        if model_field.default is not NOT_PROVIDED:
            values[model_field.attname] = model_field.get_default()
        elif model_field.null:
            values[model_field.attname] = None
        elif model_field.blank and model_field.get_internal_type() in ("CharField", "TextField", "SlugField"):
            values[model_field.attname] = ""
    return values


def copy_model(model: type[Model], rows: Iterable[dict[str, Any]], *, with_pk: bool = True) -> int:
    """COPY rows (dicts by attname) into a model's table; JSON values are dumped, absent columns take defaults."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    defaults = _defaults(model)
    names = [f.attname for f in fields]
    json_names = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = []
            for name in names:
                value = row[name] if name in row else defaults[name]
                values.append(json.dumps(value) if name in json_names else value)
            copy.write_row(values)
            count += 1
    return count


def sequence_reset(*models: type[Model]) -> None:
    """Point the id sequences past the rows COPYed with explicit ids."""
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(  # our own table names, no input
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 1))"  # noqa: S608
            )


def history_rows(
    rows: Iterable[dict[str, Any]], *, when: str, reason: str, kind: str = "+"
) -> Iterator[dict[str, Any]]:
    """History rows ("created" by default) for rows just loaded, dated by their column `when`."""
    for row in rows:
        yield {
            **row,
            "history_date": row[when],
            "history_type": kind,
            "history_change_reason": reason,
            "history_actor_label": "bench: queue",
        }


@dataclass(frozen=True)
class ItemPlan:
    """One exception invoice: its codes, its PO and receipt situation, its work item's state and age."""

    invoice_id: int
    facility_id: int
    vendor_id: int
    codes: tuple[tuple[str, int | None], ...]  # (code, line number or None for the header)
    has_po: bool
    po_closed: bool
    received: bool
    state: str
    opened_at: datetime


def _plan_codes(rng: random.Random) -> tuple[tuple[tuple[str, int | None], ...], bool, bool, bool]:
    """An exception mix like a hospital network's: codes, has a PO, PO closed, goods received."""
    draw = rng.random()
    if draw < 0.35:
        extra: tuple[tuple[str, int | None], ...] = (("qty_over_received", 3),) if rng.random() < 0.3 else ()
        return (("price_variance", 2), *extra), True, False, True
    if draw < 0.50:
        return (("qty_over_received", 1),), True, False, True
    if draw < 0.65:
        return (("no_receipt", None),), True, False, False
    if draw < 0.70:
        return (("po_not_found", None),), False, False, False
    if draw < 0.75:
        return (("po_closed", None),), True, True, True
    if draw < 0.85:
        code = "bank_unverified" if rng.random() < 0.6 else "vendor_not_active"
        return ((code, None),), True, False, True
    extra = (("price_variance", 2),) if rng.random() < 0.2 else ()
    return (("duplicate_suspect", None), *extra), True, False, True


def _state(rng: random.Random) -> str:
    draw = rng.random()
    for state, share in OTHER_STATES:
        if draw < share:
            return state
        draw -= share
    return "open"


def load(*, invoices: int, items: int, seed: int = 7) -> Loaded:
    """Create the facilities, vendors, queues and the clerk through the services, then COPY the bulk rows."""
    import time

    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.contrib.auth.models import User

    from matching.duplicates import invoice_number_normalise
    from matching.models import (
        InboundDocument,
        Invoice,
        InvoiceException,
        InvoiceLine,
        LineMatch,
        PurchaseOrder,
        PurchaseOrderLine,
        Receipt,
        ReceiptLine,
        ToleranceRule,
        WorkItem,
        WorkQueue,
    )
    from matching.services.work_items import QueueRouter, sla_due, work_queue_defaults_ensure
    from p2p_portal.roles import Role
    from tests.factories import make_facility, make_user_with_role
    from tests.vendors.factories import make_vendor

    if items * 2 > invoices:
        raise SystemExit("--items must be at most half of --invoices (every other invoice id stays clean)")
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    facilities = [make_facility(code, name) for code, name in FACILITIES]
    vendor_ids = [make_vendor(f"Bench Queue Supplier {index:03d} Inc").pk for index in range(VENDORS)]
    for facility in facilities:
        work_queue_defaults_ensure(facility=facility)
    clerk = make_user_with_role(CLERK, Role.AP_CLERK, *facilities, password=PASSWORD)
    # Hashed as production hashes (test settings use MD5, which the production gunicorn does not accept).
    clerk.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    clerk.save(update_fields=["password"])
    rule = ToleranceRule.objects.filter(scope="global", active=True).first()
    router = QueueRouter()
    queues = {queue.pk: queue for queue in WorkQueue.objects.all()}
    now = datetime.now(UTC).replace(microsecond=0)
    step = invoices // items
    facility_ids = [facility.pk for facility in facilities]

    plans: dict[int, ItemPlan] = {}
    for number in range(1, items + 1):
        invoice_id = number * step
        codes, has_po, po_closed, received = _plan_codes(rng)
        plans[invoice_id] = ItemPlan(
            invoice_id=invoice_id,
            facility_id=facility_ids[invoice_id % 3],
            vendor_id=vendor_ids[invoice_id % VENDORS],
            codes=codes,
            has_po=has_po,
            po_closed=po_closed,
            received=received,
            state=_state(rng),
            opened_at=now - timedelta(seconds=rng.randrange(30 * 86400)),
        )
    duplicates = {plan.invoice_id - 1 for plan in plans.values() if plan.codes[0][0] == "duplicate_suspect"}
    closed_items = {number * step - 1 for number in range(1, items + 1)}  # clean now, once an exception
    rows: dict[str, int] = {}

    def amounts(invoice_id: int) -> tuple[int, Decimal]:
        quantity = invoice_id % 90 + 10
        return quantity, Decimal("12.50") + Decimal(invoice_id % 40)

    def invoice_rows() -> Iterator[dict[str, Any]]:
        span = 365 * 86400
        for invoice_id in range(1, invoices + 1):
            plan = plans.get(invoice_id)
            quantity, price = amounts(invoice_id)
            total = price * quantity * LINES
            if plan is not None:
                received_at = plan.opened_at - timedelta(minutes=2)
                status = "exception"
            else:
                received_at = now - timedelta(seconds=span * (invoices - invoice_id) // invoices + 3600)
                status = ("approved", "posted", "paid", "paid")[invoice_id % 4]
            number = f"INV-{invoice_id:08d}"
            yield {
                "id": invoice_id,
                "facility_id": facility_ids[invoice_id % 3],
                "document_type": "invoice",
                "vendor_id": vendor_ids[invoice_id % VENDORS],
                "vendor_reference": {"number": f"V{invoice_id % VENDORS:05d}"},
                "invoice_number": number,
                "invoice_number_normalised": invoice_number_normalise(number),
                "invoice_date": received_at.date() - timedelta(days=2),
                "currency": "USD",
                "po_number": f"PO-{invoice_id:08d}",
                "purchase_order_id": invoice_id if plan is not None and plan.has_po else None,
                "subtotal": total,
                "tax_amount": Decimal(0),
                "freight_amount": Decimal(0),
                "total_amount": total,
                "status": status,
                "channel": "api_json",
                "inbound_document_id": invoice_id if plan is not None else None,
                "received_at": received_at,
                "matched_at": received_at + timedelta(seconds=1),
            }

    def inbound_rows() -> Iterator[dict[str, Any]]:
        for plan in plans.values():
            quantity, price = amounts(plan.invoice_id)
            body = {
                "invoice_number": f"INV-{plan.invoice_id:08d}",
                "po_number": f"PO-{plan.invoice_id:08d}",
                "currency": "USD",
                "lines": [
                    {
                        "line_number": line,
                        "item_code": f"IT-{line}",
                        "quantity": str(quantity),
                        "unit_price": str(price),
                    }
                    for line in range(1, LINES + 1)
                ],
            }
            raw = json.dumps(body, indent=2).encode()
            yield {
                "id": plan.invoice_id,
                "received_at": plan.opened_at - timedelta(minutes=2),
                "channel": "api_json",
                "content_type": "application/json",
                "sha256": hashlib.sha256(raw).hexdigest(),
                "size": len(raw),
                "raw": raw,
                "outcome": "accepted",
            }

    # The store's line ids: invoice id * LINES + line - 1 (unique, no lookups); PO ids are the invoice's id.
    def line_rows() -> Iterator[dict[str, Any]]:
        for invoice_id in sorted({*plans, *duplicates}):
            quantity, price = amounts(invoice_id)
            plan = plans.get(invoice_id)
            for line in range(1, LINES + 1):
                unit_price = price
                if plan is not None and ("price_variance", line) in plan.codes:
                    unit_price = price * Decimal("1.08")
                billed = quantity + (5 if plan is not None and ("qty_over_received", line) in plan.codes else 0)
                yield {
                    "id": invoice_id * LINES + line - 1,
                    "invoice_id": invoice_id,
                    "line_number": line,
                    "po_line_number": line,
                    "item_code": f"IT-{line}",
                    "description": f"Surgical supply item {line}",
                    "quantity": Decimal(billed),
                    "unit_price": unit_price,
                    "amount": (unit_price * billed).quantize(Decimal("0.01")),
                }

    with_po = [plan for plan in plans.values() if plan.has_po]

    def order_rows() -> Iterator[dict[str, Any]]:
        for plan in with_po:
            yield {
                "id": plan.invoice_id,
                "facility_id": plan.facility_id,
                "number": f"PO-{plan.invoice_id:08d}",
                "vendor_id": plan.vendor_id,
                "status": "closed" if plan.po_closed else "open",
                "ordered_on": plan.opened_at.date() - timedelta(days=14),
                "created_at": plan.opened_at - timedelta(days=14),
            }

    def order_line_rows() -> Iterator[dict[str, Any]]:
        for plan in with_po:
            quantity, price = amounts(plan.invoice_id)
            for line in range(1, LINES + 1):
                yield {
                    "id": plan.invoice_id * LINES + line - 1,
                    "purchase_order_id": plan.invoice_id,
                    "line_number": line,
                    "item_code": f"IT-{line}",
                    "description": f"Surgical supply item {line}",
                    "quantity_ordered": Decimal(quantity),
                    "unit_price": price,
                    "quantity_received": Decimal(quantity if plan.received else 0),
                    "quantity_invoiced": Decimal(0),
                }

    receipted = [plan for plan in with_po if plan.received]

    def receipt_rows() -> Iterator[dict[str, Any]]:
        for plan in receipted:
            yield {
                "id": plan.invoice_id,
                "facility_id": plan.facility_id,
                "number": f"RC-{plan.invoice_id:08d}",
                "purchase_order_id": plan.invoice_id,
                "received_on": plan.opened_at.date() - timedelta(days=3),
                "created_at": plan.opened_at - timedelta(days=3),
            }

    def receipt_line_rows() -> Iterator[dict[str, Any]]:
        for plan in receipted:
            quantity, _price = amounts(plan.invoice_id)
            for line in range(1, LINES + 1):
                yield {
                    "id": plan.invoice_id * LINES + line - 1,
                    "receipt_id": plan.invoice_id,
                    "po_line_id": plan.invoice_id * LINES + line - 1,
                    "quantity": Decimal(quantity),
                }

    def match_rows() -> Iterator[dict[str, Any]]:
        for plan in with_po:
            quantity, price = amounts(plan.invoice_id)
            for line in range(1, LINES + 1):
                over = 5 if ("qty_over_received", line) in plan.codes else 0
                variance = price * Decimal("0.08") if ("price_variance", line) in plan.codes else Decimal(0)
                yield {
                    "id": plan.invoice_id * LINES + line - 1,
                    "invoice_line_id": plan.invoice_id * LINES + line - 1,
                    "po_line_id": plan.invoice_id * LINES + line - 1,
                    "quantity": Decimal(quantity + over),
                    "received_quantity": Decimal(quantity if plan.received else 0),
                    "price_variance": variance,
                    "price_variance_pct": Decimal("8.00") if variance else Decimal(0),
                    "extended_price_variance": (variance * (quantity + over)).quantize(Decimal("0.01")),
                    "quantity_over_received": Decimal(over),
                    "rule_id": rule.pk if rule is not None else None,
                    "rule_version": rule.version if rule is not None else None,
                    "matched_at": plan.opened_at,
                }

    def exception_rows() -> Iterator[dict[str, Any]]:
        next_id = 1
        for plan in plans.values():
            for code, line in plan.codes:
                yield {
                    "id": next_id,
                    "invoice_id": plan.invoice_id,
                    "code": code,
                    "line_number": line,
                    "detail": f"{code.replace('_', ' ')} found by matching",
                    "state": "open",
                    "rule_id": rule.pk
                    if rule is not None and code in ("price_variance", "qty_over_received")
                    else None,
                    "rule_version": rule.version
                    if rule is not None and code in ("price_variance", "qty_over_received")
                    else None,
                    "duplicate_of_id": plan.invoice_id - 1 if code == "duplicate_suspect" else None,
                    "raised_at": plan.opened_at,
                }
                next_id += 1
        for invoice_id in sorted(closed_items):
            raised = now - timedelta(days=40 + invoice_id % 300)
            yield {
                "id": next_id,
                "invoice_id": invoice_id,
                "code": "price_variance",
                "line_number": 1,
                "detail": "price variance found by matching",
                "state": "resolved",
                "raised_at": raised,
                "resolved_at": raised + timedelta(days=2),
                "resolution": "Variance accepted.",
                "resolution_kind": "accepted",
            }
            next_id += 1

    item_facility_queue: dict[int, int | None] = {}
    for plan in plans.values():
        queue = router.route(plan.facility_id, [code for code, _line in plan.codes])
        item_facility_queue[plan.invoice_id] = queue.pk if queue is not None else None
    variance_queue = {facility_id: router.route(facility_id, ["price_variance"]) for facility_id in facility_ids}

    def item_rows() -> Iterator[dict[str, Any]]:
        for plan in plans.values():
            queue_id = item_facility_queue[plan.invoice_id]
            waiting = plan.state.startswith("wait") or plan.state == "awaiting_approval"
            yield {
                "id": plan.invoice_id,
                "invoice_id": plan.invoice_id,
                "facility_id": plan.facility_id,
                "queue_id": queue_id,
                "state": plan.state,
                "opened_at": plan.opened_at,
                "due_at": sla_due(plan.opened_at, queues.get(queue_id) if queue_id else None),
                "waiting_since": plan.opened_at + timedelta(days=1) if waiting else None,
                "hold_until": (now + timedelta(days=5)).date() if plan.state == "on_hold" else None,
                "credit_expected": Decimal("25.00") if plan.state == "waiting_credit_memo" else None,
            }
        for invoice_id in sorted(closed_items):
            opened = now - timedelta(days=40 + invoice_id % 300)
            facility_id = facility_ids[invoice_id % 3]
            queue = variance_queue[facility_id]
            yield {
                "id": invoice_id,
                "invoice_id": invoice_id,
                "facility_id": facility_id,
                "queue_id": queue.pk if queue is not None else None,
                "state": "closed",
                "opened_at": opened,
                "due_at": sla_due(opened, queue),
                "closed_at": opened + timedelta(days=2),
            }

    def buffered(generator: Any) -> list[dict[str, Any]]:
        return list(generator())

    # In the order of the foreign keys (each COPY commits on its own).
    rows["inbound_document"] = copy_model(InboundDocument, inbound_rows())
    rows["purchase_order"] = copy_model(PurchaseOrder, order_rows())
    rows["purchase_order_line"] = copy_model(PurchaseOrderLine, order_line_rows())
    rows["receipt"] = copy_model(Receipt, receipt_rows())
    rows["receipt_line"] = copy_model(ReceiptLine, receipt_line_rows())
    rows["invoice"] = copy_model(Invoice, invoice_rows())
    rows["invoice_line"] = copy_model(InvoiceLine, line_rows())
    rows["line_match"] = copy_model(LineMatch, match_rows())
    exceptions = buffered(exception_rows)
    rows["exception"] = copy_model(InvoiceException, exceptions)
    work_items = buffered(item_rows)
    rows["work_item"] = copy_model(WorkItem, work_items)
    # A few history rows per exception invoice, so that the item page's timeline reads real rows.
    open_invoices = [row for row in invoice_rows() if row["id"] in plans]
    rows["history"] = copy_model(
        Invoice.history.model, history_rows(open_invoices, when="received_at", reason="received"), with_pk=False
    )
    rows["history"] += copy_model(
        InvoiceException.history.model,
        history_rows((row for row in exceptions if row["state"] == "open"), when="raised_at", reason="raised"),
        with_pk=False,
    )
    rows["history"] += copy_model(
        WorkItem.history.model,
        history_rows(
            (row for row in work_items if row["state"] != "closed"), when="opened_at", reason="needs a person"
        ),
        with_pk=False,
    )
    sequence_reset(
        Invoice, InboundDocument, InvoiceLine, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine, LineMatch,
        InvoiceException, WorkItem,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE") if connection.get_autocommit() else cursor.execute("ANALYZE")
    return Loaded(
        facility_ids=facility_ids,
        queue_ids=sorted({queue_id for queue_id in item_facility_queue.values() if queue_id is not None}),
        clerk_id=User.objects.get(pk=clerk.pk).pk,
        invoices=invoices,
        items=items,
        open_items=sum(1 for plan in plans.values() if plan.state == "open"),
        closed_items=len(closed_items),
        rows=rows,
        seconds=round(time.perf_counter() - started, 1),
    )
