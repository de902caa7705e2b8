"""The dashboard benchmark's data: a year of procure-to-pay at 3 facilities, COPYed straight into the tables.

N invoices (default 1,000,000) received evenly over the last 365 days, each of 2 lines (credit memos: 1), 85 % of
them against a PO of their own (2 lines with a UNSPSC category and a cost center, a receipt before the invoice:
7 % partial, 3 % followed by a return), the rest non-PO with a cost center and an approval request. Statuses follow
each invoice's own clock (matched, approved, posted, paid: a history row for every step, so cycle times have data),
with 1 % cancelled and 2 % credit memos against an earlier invoice of the same vendor. 10 % raise exceptions,
resolved over the year (accepted, approved, recovered by a credit memo, dismissed, confirmed duplicates) or still
open, each with its work item (queued, waiting, escalated past SLA, closed) and the action that closed it. POs
received but not invoiced yet (5 % more) feed the accruals. Around them: vendors (statuses, source systems), change
requests and bank changes with call-backs (some in cooling-off), duplicate candidates, exclusion lists with
screening hits and results, approvals with decisions, SoD blocks and reminders, hourly sync runs of two systems with
failures, and outbox deliveries (pending, delivered, dead-lettered).

Figures are drawn from each row's id through a fixed hash (`_draw`), so any pass can re-derive a row without
keeping a million plans in memory; the table helpers (`copy_model`, `sequence_reset`) are `_queue_load`'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from _queue_load import FACILITIES, copy_model, sequence_reset

READER = "bench-reader"
PASSWORD = "bench-reader-password-9"  # noqa: S105 (a throwaway account in a throwaway database)
INVOICED_VENDORS = 150  # created through the services; they are the ones invoicing
COST_CENTERS = 6  # per facility
ITEMS = 400
CATEGORIES = (
    "42131600",
    "42142500",
    "42221500",
    "42241700",
    "42281500",
    "42295100",
    "42311500",
    "42132200",
    "41104100",
    "51101500",
    "51142100",
    "53102700",
    "44121600",
    "47131800",
    "50202300",
    "42183000",
    "42271700",
    "42192200",
)
YEAR = 365 * 86400
REPEAT = 600  # invoice i and i - REPEAT share facility and vendor (credit memos and duplicates point back)
TWO = Decimal("0.01")


def _draw(number: int, salt: int) -> float:
    """A fixed pseudo-random fraction in [0, 1) for (row id, purpose): the same in every pass."""
    value = (number * 0x9E3779B1 + salt * 0x85EBCA77) & 0xFFFFFFFF
    value ^= value >> 15
    value = (value * 0x2C1B3C6D) & 0xFFFFFFFF
    value ^= value >> 12
    value = (value * 0x297A2D39) & 0xFFFFFFFF
    value ^= value >> 15
    return value / 2**32


@dataclass
class World:
    """The rows made through the services (facilities, people, vendors, queues, systems) that bulk rows point to."""

    now: datetime
    invoices: int
    facility_ids: list[int]
    vendor_ids: list[int]
    vendor_by_slot: list[int]  # REPEAT slots, skewed: a few vendors take most of the spend
    cost_centers: dict[int, list[int]]
    users: dict[str, int]
    rule: Any
    router: Any
    queues: dict[int, Any]
    policy_ids: dict[str, int]
    systems: dict[str, int]
    rows: dict[str, int] = field(default_factory=dict)
    plans: list[Plan] = field(default_factory=list)
    extra_vendor_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Plan:
    """One invoice's life: what it is, what it bills, and when each step happened (None: not yet)."""

    id: int
    facility_id: int
    vendor_id: int
    credit_memo: bool
    po_backed: bool
    received_at: datetime
    matched_at: datetime | None
    exception: str  # "" or the exception code
    resolved_at: datetime | None
    resolution: str
    approved_at: datetime | None
    posted_at: datetime | None
    paid_at: datetime | None
    cancelled: bool
    partial: bool
    returned: bool

    @property
    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.resolution == "confirmed":
            return "rejected"
        now_steps = (("paid", self.paid_at), ("posted", self.posted_at), ("approved", self.approved_at))
        for status, when in now_steps:
            if when is not None:
                return status
        if self.matched_at is None:
            return "received"
        if self.exception and self.resolved_at is None:
            return "exception"
        return "pending_approval"


EXCEPTION_MIX = (
    ("price_variance", 0.35, ("accepted", "accepted", "approved", "recovered", "rematch")),
    ("qty_over_received", 0.15, ("rematch", "rematch", "recovered")),
    ("no_receipt", 0.15, ("rematch",)),
    ("duplicate_suspect", 0.10, ("dismissed", "dismissed", "confirmed")),
    ("bank_unverified", 0.10, ("rematch",)),
    ("po_not_found", 0.05, ("rematch",)),
    ("total_mismatch", 0.05, ("rematch", "accepted")),
    ("uom_mismatch", 0.05, ("rematch",)),
)


def plan(world: World, number: int) -> Plan:
    """Invoice `number`'s plan, derived from its id alone."""
    now = world.now
    received = now - timedelta(seconds=YEAR * (world.invoices - number) // world.invoices + 600)
    received -= timedelta(seconds=int(_draw(number, 1) * 3000))
    credit = number > REPEAT and _draw(number, 2) < 0.02
    po_backed = not credit and _draw(number, 3) < 0.85
    matched = received + timedelta(seconds=2) if now - received > timedelta(minutes=20) else None
    exception, resolution, resolved = "", "", None
    if matched is not None and not credit and _draw(number, 4) < 0.10:
        draw, cumulative = _draw(number, 5), 0.0
        for code, share, outcomes in EXCEPTION_MIX:
            cumulative += share
            if draw < cumulative or code == EXCEPTION_MIX[-1][0]:
                exception = code
                resolution = outcomes[int(_draw(number, 6) * len(outcomes))]
                break
        if exception == "duplicate_suspect" and number <= REPEAT:
            exception, resolution = "bank_unverified", "rematch"
        if exception == "po_not_found" and po_backed:
            exception = "no_receipt"
        # Days to resolve: most within a week, a long tail of a month; what would end after now is still open.
        resolved = matched + timedelta(hours=2 + 24 * 30 * _draw(number, 7) ** 2)
        if resolved > now or _draw(number, 14) < 0.03:  # still open: recent ones, and a backlog of any age
            resolved, resolution = None, ""
    cancelled = _draw(number, 8) < 0.01 and exception == ""
    approved = posted = paid = None
    gate = resolved if exception else matched
    if gate is not None and not cancelled and resolution != "confirmed":
        wait = timedelta(minutes=5) if po_backed or credit else timedelta(hours=6 + 90 * _draw(number, 9))
        approved = gate + wait
        posted = approved + timedelta(hours=4 + 60 * _draw(number, 10))
        paid = posted + timedelta(days=10 + 25 * _draw(number, 11))
        approved, posted, paid = (when if when <= now else None for when in (approved, posted, paid))
        if approved is None:
            posted = paid = None
        elif posted is None:
            paid = None
    return Plan(
        id=number,
        facility_id=world.facility_ids[number % 3],
        vendor_id=world.vendor_by_slot[number % REPEAT],
        credit_memo=credit,
        po_backed=po_backed,
        received_at=received,
        matched_at=matched,
        exception=exception,
        resolved_at=resolved,
        resolution=resolution,
        approved_at=approved,
        posted_at=posted,
        paid_at=paid,
        cancelled=cancelled,
        partial=po_backed and _draw(number, 12) < 0.07,
        returned=po_backed and _draw(number, 13) < 0.03,
    )


def line_figures(item_plan: Plan, line: int) -> tuple[int, Decimal, Decimal, int]:
    """(item index, quantity billed, unit price billed, PO quantity ordered) of an invoice line."""
    number = item_plan.id
    item = (number * 7 + line * 131) % ITEMS
    quantity = 1 + int(_draw(number, 20 + line) * 40)
    price = item_price(item)
    if item_plan.exception == "price_variance" and line == 1:
        price = (price * Decimal("1.08")).quantize(Decimal("0.0001"))
    elif _draw(number, 30 + line) < 0.08:  # inside tolerance, paid anyway: the leakage the spend report finds
        price = (price * Decimal("1.015")).quantize(Decimal("0.0001"))
    ordered = quantity + (3 if item_plan.partial else 0)
    return item, Decimal(quantity), price, ordered


def item_price(item: int) -> Decimal:
    """The PO (catalogue) price of an item."""
    return Decimal(5 + (item * 37) % 480) + Decimal(item % 100) / 100


def setup(*, invoices: int) -> World:
    """Facilities, cost centers, people, vendors, queues, a policy per document type, two systems (services)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from approvals.models import Policy, PolicyStep
    from integrations.models import ExternalSystem
    from matching.models import ToleranceRule, WorkQueue
    from matching.services.work_items import QueueRouter, work_queue_defaults_ensure
    from p2p_portal.roles import Role
    from p2p_portal.services import cost_center_create
    from tests.factories import make_facility, make_user_with_role
    from tests.vendors.factories import make_vendor

    facilities = [make_facility(code, name) for code, name in FACILITIES]
    for facility in facilities:
        work_queue_defaults_ensure(facility=facility)
    cost_centers = {
        facility.pk: [
            cost_center_create(actor="bench", facility=facility, code=f"CC{index:02d}", name=f"Department {index}").pk
            for index in range(COST_CENTERS)
        ]
        for facility in facilities
    }
    reader = make_user_with_role(READER, Role.AP_MANAGER, *facilities, password=PASSWORD)
    from p2p_portal.services import role_grant

    for role in (Role.PROCUREMENT_ADMIN, Role.AUDITOR):
        for facility in facilities:
            role_grant(actor="bench", user=reader, role=role, facility=facility)
    # Hashed as production hashes (test settings use MD5, which the production gunicorn does not accept).
    reader.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    reader.save(update_fields=["password"])
    # AP managers and procurement admins need a second factor in production: the reader has an authenticator.
    TOTPDevice.objects.create(user=reader, name="bench authenticator", confirmed=True)
    users = {"reader": reader.pk}
    for name, role in (("clerk", Role.AP_CLERK), ("manager", Role.AP_MANAGER), ("steward", Role.VENDOR_STEWARD)):
        users[name] = make_user_with_role(f"bench-{name}", role, *facilities).pk
    for name in ("admin1", "admin2"):
        users[name] = make_user_with_role(f"bench-{name}", Role.PROCUREMENT_ADMIN, *facilities).pk
    vendor_ids = [make_vendor(f"Bench Dashboard Supplier {index:03d} Inc").pk for index in range(INVOICED_VENDORS)]
    # Skewed: slot s takes vendor (s^2 mod n)-ish, so low ids recur often (a few suppliers take most spend).
    vendor_by_slot = [vendor_ids[int(INVOICED_VENDORS * _draw(slot, 99) ** 2)] for slot in range(REPEAT)]
    policy_ids = {}
    for document_type in ("invoice", "invoice_variance", "vendor_change", "vendor_bank_change"):
        policy = Policy.objects.create(name=f"Bench {document_type}", document_type=document_type)
        PolicyStep.objects.create(policy=policy, position=1, role=Role.AP_MANAGER)
        policy_ids[document_type] = policy.pk
    systems = {
        code: ExternalSystem.objects.create(
            code=code, name=f"Bench {code}", kind=kind, connector=connector, base_url="http://127.0.0.1:9/"
        ).pk
        for code, kind, connector in (("tryton", "erp", "tryton"), ("coupa", "procurement", "sandbox"))
    }
    return World(
        now=datetime.now(UTC).replace(microsecond=0),
        invoices=invoices,
        facility_ids=[facility.pk for facility in facilities],
        vendor_ids=vendor_ids,
        vendor_by_slot=vendor_by_slot,
        cost_centers=cost_centers,
        users=users,
        rule=ToleranceRule.objects.filter(scope="global", active=True).first(),
        router=QueueRouter(),
        queues={queue.pk: queue for queue in WorkQueue.objects.all()},
        policy_ids=policy_ids,
        systems=systems,
    )


def invoice_row(world: World, item_plan: Plan) -> dict[str, Any]:
    """The invoice's row as it stands now."""
    from matching.duplicates import invoice_number_normalise

    number = item_plan.id
    lines = 1 if item_plan.credit_memo else 2
    total = sum(
        ((q * p).quantize(TWO) for _i, q, p, _o in (line_figures(item_plan, n) for n in range(1, lines + 1))),
        Decimal(0),
    )
    if item_plan.credit_memo:
        total = (total / 4).quantize(TWO)
    invoice_number = f"{'CM' if item_plan.credit_memo else 'INV'}-{number:08d}"
    return {
        "id": number,
        "facility_id": item_plan.facility_id,
        "document_type": "credit_memo" if item_plan.credit_memo else "invoice",
        "vendor_id": item_plan.vendor_id,
        "vendor_reference": {"number": f"V{item_plan.vendor_id:05d}"},
        "invoice_number": invoice_number,
        "invoice_number_normalised": invoice_number_normalise(invoice_number),
        "invoice_date": item_plan.received_at.date() - timedelta(days=2),
        "due_date": item_plan.received_at.date() + timedelta(days=30),
        "currency": "USD",
        "po_number": f"PO-{number:08d}" if item_plan.po_backed else "",
        "purchase_order_id": number if item_plan.po_backed else None,
        "cost_center_id": None
        if item_plan.po_backed
        else world.cost_centers[item_plan.facility_id][number // 3 % COST_CENTERS],
        "original_invoice_id": number - REPEAT if item_plan.credit_memo else None,
        "subtotal": total,
        "total_amount": total,
        "status": item_plan.status,
        "channel": ("api_json", "ubl", "cxml", "x12", "bulk")[number % 5],
        "received_at": item_plan.received_at,
        "matched_at": item_plan.matched_at,
    }


def invoice_history(row: dict[str, Any], item_plan: Plan) -> Iterator[dict[str, Any]]:
    """A history row for each step of the invoice's life so far (received, matched, approved, posted, paid...)."""
    steps: list[tuple[datetime | None, str, str]] = [(item_plan.received_at, "received", "received")]
    if item_plan.matched_at is not None:
        first = "exception" if item_plan.exception else ("approved" if item_plan.po_backed else "pending_approval")
        if item_plan.credit_memo:
            first = "approved"
        if first != "approved":
            steps.append((item_plan.matched_at, first, "matched"))
        if item_plan.exception and item_plan.resolved_at is not None and not item_plan.po_backed:
            steps.append((item_plan.resolved_at, "pending_approval", "exceptions resolved"))
    if item_plan.status == "rejected":
        steps.append((item_plan.resolved_at, "rejected", "duplicate confirmed"))
    if item_plan.cancelled:
        steps.append((item_plan.received_at + timedelta(days=1), "cancelled", "cancelled by the vendor"))
    steps += [
        (item_plan.approved_at, "approved", "approved"),
        (item_plan.posted_at, "posted", "posted to the ERP"),
        (item_plan.paid_at, "paid", "payment confirmed"),
    ]
    for index, (when, status, reason) in enumerate(step for step in steps if step[0] is not None):
        yield {
            **row,
            "status": status,
            "matched_at": None if index == 0 else item_plan.matched_at,
            "history_date": when,
            "history_type": "+" if index == 0 else "~",
            "history_change_reason": reason,
            "history_actor_label": "bench: dashboard",
        }


def load(*, invoices: int) -> tuple[World, float]:
    """Everything: the service-made world, then the bulk rows by COPY in foreign-key order; seconds taken."""
    started = time.perf_counter()
    world = setup(invoices=invoices)
    load_invoices(world)
    load_vendors(world)
    load_approvals(world)
    load_changes(world)
    load_duplicates_and_screening(world)
    load_integrations(world)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE") if connection.get_autocommit() else cursor.execute("ANALYZE")
    return world, round(time.perf_counter() - started, 1)


def load_invoices(world: World) -> None:
    """POs with lines and receipts (returns, received-not-invoiced ones), invoices with lines, matches, exceptions,
    work items with their closing actions, and the invoices' history rows."""
    from matching.models import (
        Invoice,
        InvoiceException,
        InvoiceLine,
        LineMatch,
        PurchaseOrder,
        PurchaseOrderLine,
        Receipt,
        ReceiptLine,
        WorkAction,
        WorkItem,
    )
    from matching.services.work_items import sla_due

    now, total = world.now, world.invoices
    plans = [plan(world, number) for number in range(1, total + 1)]
    extra_orders = range(total + 1, total + total // 20 + 1)  # received, not invoiced (yet): the accruals
    rows = world.rows

    def extra_ordered(number: int) -> datetime:
        return now - timedelta(days=120 * _draw(number, 40))

    def receipt_on(item_plan: Plan) -> datetime | None:
        """When goods arrived (before the invoice, or when a no-receipt exception was resolved)."""
        if item_plan.exception == "no_receipt":
            return item_plan.resolved_at
        return item_plan.received_at - timedelta(days=3)

    def order_rows() -> Iterator[dict[str, Any]]:
        for item_plan in plans:
            if item_plan.po_backed:
                ordered = item_plan.received_at - timedelta(days=10)
                yield {
                    "id": item_plan.id,
                    "facility_id": item_plan.facility_id,
                    "number": f"PO-{item_plan.id:08d}",
                    "vendor_id": item_plan.vendor_id,
                    "status": "closed" if item_plan.status == "paid" else "open",
                    "ordered_on": ordered.date(),
                    "source_system": "coupa",
                    "created_at": ordered,
                }
        for number in extra_orders:
            yield {
                "id": number,
                "facility_id": world.facility_ids[number % 3],
                "number": f"PO-{number:08d}",
                "vendor_id": world.vendor_by_slot[number % REPEAT],
                "status": "open",
                "ordered_on": extra_ordered(number).date(),
                "source_system": "coupa",
                "created_at": extra_ordered(number),
            }

    def po_line(
        order_id: int, line: int, facility_id: int, item: int, ordered: int, received: Decimal
    ) -> dict[str, Any]:
        return {
            "id": order_id * 2 + line - 1,
            "purchase_order_id": order_id,
            "line_number": line,
            "item_code": f"IT-{item:04d}",
            "category": CATEGORIES[item % len(CATEGORIES)],
            "description": f"Medical supply item {item}",
            "quantity_ordered": Decimal(ordered),
            "unit_price": item_price(item),
            "cost_center_id": world.cost_centers[facility_id][(order_id // 3 + line) % COST_CENTERS],
            "quantity_received": received,
        }

    def received_quantity(item_plan: Plan, line: int) -> Decimal:
        _item, quantity, _price, _ordered = line_figures(item_plan, line)
        arrived = receipt_on(item_plan)
        if arrived is None or arrived > now:
            return Decimal(0)
        returned = item_plan.returned and line == 1 and item_plan.received_at + timedelta(days=2) <= now
        return quantity - (1 if returned else 0)

    def billed(item_plan: Plan) -> bool:
        return item_plan.matched_at is not None and item_plan.status not in ("cancelled", "rejected")

    def order_line_rows() -> Iterator[dict[str, Any]]:
        for item_plan in plans:
            if item_plan.po_backed:
                for line in (1, 2):
                    item, quantity, _price, ordered = line_figures(item_plan, line)
                    row = po_line(
                        item_plan.id, line, item_plan.facility_id, item, ordered, received_quantity(item_plan, line)
                    )
                    row["quantity_invoiced"] = quantity if billed(item_plan) else Decimal(0)
                    yield row
        for number in extra_orders:
            arrived = extra_ordered(number) + timedelta(days=5) <= now
            for line in (1, 2):
                item, ordered = (number * 7 + line * 131) % ITEMS, 2 + int(_draw(number, 41 + line) * 30)
                partial = _draw(number, 43) < 0.2 and line == 2
                received = Decimal(ordered // 2 if partial else ordered) if arrived else Decimal(0)
                yield po_line(number, line, world.facility_ids[number % 3], item, ordered, received)

    def receipt_rows() -> Iterator[dict[str, Any]]:
        for item_plan in plans:
            arrived = receipt_on(item_plan) if item_plan.po_backed else None
            if arrived is not None and arrived <= now:
                yield {
                    "id": item_plan.id,
                    "facility_id": item_plan.facility_id,
                    "number": f"RC-{item_plan.id:08d}",
                    "purchase_order_id": item_plan.id,
                    "received_on": arrived.date(),
                    "created_at": arrived,
                }
                back = item_plan.received_at + timedelta(days=2)
                if item_plan.returned and back <= now:
                    yield {
                        "id": item_plan.id + 2 * total,
                        "facility_id": item_plan.facility_id,
                        "number": f"RT-{item_plan.id:08d}",
                        "purchase_order_id": item_plan.id,
                        "received_on": back.date(),
                        "created_at": back,
                    }
        for number in extra_orders:
            arrived = extra_ordered(number) + timedelta(days=5)
            if arrived <= now:
                yield {
                    "id": number,
                    "facility_id": world.facility_ids[number % 3],
                    "number": f"RC-{number:08d}",
                    "purchase_order_id": number,
                    "received_on": arrived.date(),
                    "created_at": arrived,
                }

    def receipt_line_rows() -> Iterator[dict[str, Any]]:
        for item_plan in plans:
            arrived = receipt_on(item_plan) if item_plan.po_backed else None
            if arrived is None or arrived > now:
                continue
            for line in (1, 2):
                quantity = line_figures(item_plan, line)[1]
                order_line = item_plan.id * 2 + line - 1
                yield {"id": order_line, "receipt_id": item_plan.id, "po_line_id": order_line, "quantity": quantity}
            if item_plan.returned and item_plan.received_at + timedelta(days=2) <= now:
                back = item_plan.id + 2 * total
                yield {"id": back * 2, "receipt_id": back, "po_line_id": item_plan.id * 2, "quantity": Decimal(-1)}
        for number in extra_orders:
            if extra_ordered(number) + timedelta(days=5) > now:
                continue
            for line in (1, 2):
                ordered = 2 + int(_draw(number, 41 + line) * 30)
                partial = _draw(number, 43) < 0.2 and line == 2
                yield {
                    "id": number * 2 + line - 1,
                    "receipt_id": number,
                    "po_line_id": number * 2 + line - 1,
                    "quantity": Decimal(ordered // 2 if partial else ordered),
                }

    def invoice_line_rows() -> Iterator[dict[str, Any]]:
        for item_plan in plans:
            for line in (1,) if item_plan.credit_memo else (1, 2):
                item, quantity, price, _ordered = line_figures(item_plan, line)
                if item_plan.credit_memo:
                    quantity = (quantity / 4).quantize(Decimal("0.0001"))
                yield {
                    "id": item_plan.id * 2 + line - 1,
                    "invoice_id": item_plan.id,
                    "line_number": line,
                    "po_line_number": line if item_plan.po_backed else None,
                    "item_code": f"IT-{item:04d}",
                    "description": f"Medical supply item {item}",
                    "quantity": quantity,
                    "unit_price": price,
                    "amount": (quantity * price).quantize(TWO),
                }

    def match_rows() -> Iterator[dict[str, Any]]:
        for item_plan in plans:
            if not item_plan.po_backed or item_plan.matched_at is None:
                continue
            for line in (1, 2):
                item, quantity, price, _ordered = line_figures(item_plan, line)
                variance = price - item_price(item)
                yield {
                    "id": item_plan.id * 2 + line - 1,
                    "invoice_line_id": item_plan.id * 2 + line - 1,
                    "po_line_id": item_plan.id * 2 + line - 1,
                    "quantity": quantity,
                    "received_quantity": received_quantity(item_plan, line),
                    "price_variance": variance,
                    "price_variance_pct": (variance * 100 / item_price(item)).quantize(TWO),
                    "extended_price_variance": (variance * quantity).quantize(TWO),
                    "rule_id": world.rule.pk if world.rule is not None else None,
                    "rule_version": world.rule.version if world.rule is not None else None,
                    "matched_at": item_plan.matched_at,
                }

    exceptional = [item_plan for item_plan in plans if item_plan.exception]
    kinds = {
        "accepted": "accepted",
        "approved": "approved",
        "recovered": "recovered",
        "dismissed": "dismissed",
        "confirmed": "confirmed",
        "rematch": "rematch",
    }

    def exception_rows() -> Iterator[dict[str, Any]]:
        for index, item_plan in enumerate(exceptional, start=1):
            ruled = item_plan.exception in ("price_variance", "qty_over_received") and world.rule is not None
            person = item_plan.resolution not in ("", "rematch")
            yield {
                "id": index,
                "invoice_id": item_plan.id,
                "code": item_plan.exception,
                "line_number": 1
                if item_plan.exception in ("price_variance", "qty_over_received", "uom_mismatch")
                else None,
                "detail": f"{item_plan.exception.replace('_', ' ')} found by matching",
                "state": "resolved" if item_plan.resolved_at is not None else "open",
                "rule_id": world.rule.pk if ruled else None,
                "rule_version": world.rule.version if ruled else None,
                "duplicate_of_id": item_plan.id - REPEAT if item_plan.exception == "duplicate_suspect" else None,
                "raised_at": item_plan.matched_at,
                "resolved_at": item_plan.resolved_at,
                "resolved_by_id": world.users["clerk"] if person else None,
                "resolution": f"{item_plan.resolution} (bench)" if item_plan.resolution else "",
                "resolution_kind": kinds.get(item_plan.resolution, ""),
            }

    def active_state(item_plan: Plan) -> str:
        draw = _draw(item_plan.id, 50)
        if item_plan.exception == "price_variance" and draw < 0.15:
            return "waiting_credit_memo" if draw < 0.08 else "awaiting_approval"
        if item_plan.exception == "no_receipt" and draw < 0.3:
            return "waiting_receipt"
        return "on_hold" if draw > 0.97 else "open"

    def item_rows() -> Iterator[dict[str, Any]]:
        for item_plan in exceptional:
            queue = world.router.route(item_plan.facility_id, [item_plan.exception])
            opened = item_plan.matched_at
            assert opened is not None
            due = sla_due(opened, queue)
            state = "closed" if item_plan.resolved_at is not None else active_state(item_plan)
            late = state != "closed" and due < now and _draw(item_plan.id, 51) < 0.6
            yield {
                "id": item_plan.id,
                "invoice_id": item_plan.id,
                "facility_id": item_plan.facility_id,
                "queue_id": queue.pk if queue is not None else None,
                "state": state,
                "opened_at": opened,
                "due_at": due,
                "waiting_since": opened + timedelta(hours=3) if state.startswith(("wait", "await")) else None,
                "hold_until": (now + timedelta(days=4)).date() if state == "on_hold" else None,
                "credit_expected": Decimal("40.00") if state == "waiting_credit_memo" else None,
                "escalated_at": due + timedelta(hours=1) if late else None,
                "closed_at": item_plan.resolved_at,
            }

    action_kinds = {
        "accepted": "accept_variance",
        "approved": "variance_approved",
        "recovered": "credit_recovered",
        "dismissed": "dismiss_duplicate",
        "confirmed": "confirm_duplicate",
        "rematch": "receipt_arrived",
    }

    def action_rows() -> Iterator[dict[str, Any]]:
        for item_plan in exceptional:
            base = {"item_id": item_plan.id, "invoice_id": item_plan.id, "facility_id": item_plan.facility_id}
            item, quantity, price, _ordered = line_figures(item_plan, 1)
            # The money at stake: the price variance on line 1, or one unit for the other codes.
            amount = ((price - item_price(item)) * quantity).quantize(TWO) or item_price(item).quantize(TWO)
            if item_plan.exception == "price_variance" and _draw(item_plan.id, 52) < 0.01:
                yield {
                    **base,
                    "kind": "blocked",
                    "reason_code": "sod",
                    "actor_id": world.users["clerk"],
                    "note": "Keyed the invoice: may not accept its variance",
                    "occurred_at": item_plan.received_at + timedelta(hours=1),
                }
            asked = item_plan.resolution == "recovered"
            if asked or (item_plan.resolved_at is None and active_state(item_plan) == "waiting_credit_memo"):
                assert item_plan.matched_at is not None
                yield {
                    **base,
                    "kind": "request_credit_memo",
                    "reason_code": "overcharge",
                    "note": "Credit the price above the PO",
                    "actor_id": world.users["clerk"],
                    "occurred_at": item_plan.matched_at + timedelta(hours=2),
                    "amount": amount,
                }
            if item_plan.resolved_at is not None:
                money = item_plan.resolution in ("accepted", "approved", "recovered")
                actor = world.users["manager" if item_plan.resolution == "approved" else "clerk"]
                yield {
                    **base,
                    "kind": action_kinds[item_plan.resolution],
                    "reason_code": item_plan.resolution,
                    "note": "bench",
                    "actor_id": actor,
                    "occurred_at": item_plan.resolved_at,
                    "amount": amount if money else None,
                }
            elif item_plan.matched_at is not None and _draw(item_plan.id, 51) < 0.6:
                queue = world.router.route(item_plan.facility_id, [item_plan.exception])
                due = sla_due(item_plan.matched_at, queue)
                if due < now:
                    yield {
                        **base,
                        "kind": "escalate",
                        "reason_code": "sla",
                        "actor_id": world.users["manager"],
                        "note": "SLA breached",
                        "occurred_at": due + timedelta(hours=1),
                    }

    def history() -> Iterator[dict[str, Any]]:
        for item_plan in plans:
            yield from invoice_history(invoice_row(world, item_plan), item_plan)

    rows["purchase_order"] = copy_model(PurchaseOrder, order_rows())
    rows["purchase_order_line"] = copy_model(PurchaseOrderLine, order_line_rows())
    rows["receipt"] = copy_model(Receipt, receipt_rows())
    rows["receipt_line"] = copy_model(ReceiptLine, receipt_line_rows())
    rows["invoice"] = copy_model(Invoice, (invoice_row(world, item_plan) for item_plan in plans))
    rows["invoice_line"] = copy_model(InvoiceLine, invoice_line_rows())
    rows["line_match"] = copy_model(LineMatch, match_rows())
    rows["exception"] = copy_model(InvoiceException, exception_rows())
    rows["work_item"] = copy_model(WorkItem, item_rows())
    rows["work_action"] = copy_model(WorkAction, action_rows(), with_pk=False)
    rows["invoice_history"] = copy_model(Invoice.history.model, history(), with_pk=False)
    sequence_reset(
        PurchaseOrder,
        PurchaseOrderLine,
        Receipt,
        ReceiptLine,
        Invoice,
        InvoiceLine,
        LineMatch,
        InvoiceException,
        WorkItem,
    )
    world.plans = plans


def change_plan(world: World, number: int) -> tuple[str, int, int, datetime, str, datetime | None]:
    """Change request `number` (from 1): kind, vendor, facility, submitted, status, decided."""
    now = world.now
    draw = _draw(number, 60)
    kind = "update" if draw < 0.6 else ("bank_account" if draw < 0.9 else "create")
    submitted = now - timedelta(seconds=int(YEAR * _draw(number, 61)))
    decided: datetime | None = submitted + timedelta(hours=6 + 90 * _draw(number, 62))
    outcome = _draw(number, 63)
    if decided is not None and (decided > now or (now - submitted < timedelta(days=21) and outcome < 0.5)):
        status, decided = "pending", None
    else:
        status = "applied" if outcome < 0.75 else ("rejected" if outcome < 0.9 else "withdrawn")
    vendor = world.extra_vendor_ids[(number - 1) % len(world.extra_vendor_ids)]
    return kind, vendor, world.facility_ids[number % 3], submitted, status, decided


def changes_count(world: World) -> int:
    return len(world.extra_vendor_ids) // 5


def load_vendors(world: World) -> None:
    """Vendors beyond the invoiced ones (statuses, merges, cooling-off) with their source references."""
    from django.conf import settings

    from vendors.models import SourceReference, Vendor

    now = world.now
    count = max(2000, world.invoices // 50)
    first = max(world.vendor_ids) + 1
    world.extra_vendor_ids = list(range(first, first + count))
    pairs = count // 10  # duplicate candidate k: vendors first + 2k and first + 2k + 1
    cooling = timedelta(days=settings.BANK_CHANGE_COOLING_OFF_DAYS)
    bank_changed = {}
    for number in range(1, changes_count(world) + 1):
        kind, vendor, _facility, _submitted, status, decided = change_plan(world, number)
        if kind == "bank_account" and status == "applied" and decided is not None:
            bank_changed[vendor] = decided if now - decided < cooling * 3 else None

    def vendor_rows() -> Iterator[dict[str, Any]]:
        for index, vendor_id in enumerate(world.extra_vendor_ids):
            draw = _draw(vendor_id, 70)
            status = "active"
            for name, share in (
                ("inactive", 0.08),
                ("on_hold", 0.04),
                ("blocked", 0.02),
                ("pending_approval", 0.03),
                ("draft", 0.03),
            ):
                if draw < share:
                    status = name
                    break
                draw -= share
            merged_into = None
            if index % 2 == 1 and index // 2 < pairs and duplicate_status(vendor_id - 1) == "merged":
                status, merged_into = "inactive", vendor_id - 1
            yield {
                "id": vendor_id,
                "number": f"V-{500000 + index:06d}",
                "legal_name": f"Bench Vendor {index:06d} {('Medical', 'Surgical', 'Pharma', 'Lab')[index % 4]} LLC",
                "tax_id": f"{10**8 + index:09d}",
                "tax_id_kind": "ein",
                "status": status,
                "merged_into_id": merged_into,
                "bank_changed_at": bank_changed.get(vendor_id),
                "created_at": now - timedelta(days=400 + index % 300),
            }

    def reference_rows() -> Iterator[dict[str, Any]]:
        for index, vendor_id in enumerate(world.extra_vendor_ids):
            for offset, system in enumerate(("tryton", "coupa", "ghx")):
                if offset == 0 or _draw(vendor_id, 71 + offset) < 0.4:
                    yield {
                        "system": system,
                        "external_id": f"{system}-{index}",
                        "vendor_id": vendor_id,
                        "last_payload": {},
                        "last_seen_at": now - timedelta(hours=index % 48),
                    }

    world.rows["vendor"] = copy_model(Vendor, vendor_rows())
    world.rows["source_reference"] = copy_model(SourceReference, reference_rows(), with_pk=False)
    sequence_reset(Vendor)


def duplicate_status(vendor_a: int) -> str:
    """A candidate pair's status, from its first vendor's id."""
    draw = _draw(vendor_a, 80)
    return "open" if draw < 0.3 else ("merged" if draw < 0.5 else "dismissed")


def load_approvals(world: World) -> None:
    """Approval requests (vendor changes, non-PO invoices, variances above authority) with decisions, SoD blocks
    and reminders of overdue steps."""
    from approvals.models import ApprovalDecision, ApprovalEscalation, ApprovalRequest, BlockedAttempt

    now = world.now
    requests: list[dict[str, Any]] = []
    closed = {"applied": "approved", "rejected": "rejected", "withdrawn": "withdrawn", "pending": "pending"}
    for number in range(1, changes_count(world) + 1):
        kind, _vendor, facility, submitted, status, decided = change_plan(world, number)
        document_type = "vendor_bank_change" if kind == "bank_account" else "vendor_change"
        requests.append(
            {
                "id": number,
                "document_type": document_type,
                "document_id": str(number),
                "summary": f"CR-{number} {kind}",
                "facility_id": facility,
                "amount": Decimal(0),
                "status": closed[status],
                "policy_id": world.policy_ids[document_type],
                "requester_id": world.users["steward"],
                "submitted_by_id": world.users["steward"],
                "submitted_at": submitted,
                "closed_at": decided,
            }
        )
    for item_plan in world.plans:
        if item_plan.po_backed or item_plan.credit_memo or item_plan.cancelled or item_plan.matched_at is None:
            continue
        sent = item_plan.resolved_at if item_plan.exception else item_plan.matched_at
        if sent is None:
            continue
        status = "approved" if item_plan.approved_at else ("withdrawn" if item_plan.status == "rejected" else "pending")
        requests.append(
            {
                "document_type": "invoice",
                "document_id": str(item_plan.id),
                "summary": f"Invoice INV-{item_plan.id:08d}",
                "facility_id": item_plan.facility_id,
                "cost_center_id": world.cost_centers[item_plan.facility_id][item_plan.id // 3 % COST_CENTERS],
                "amount": Decimal(100 + item_plan.id % 9000),
                "status": status,
                "policy_id": world.policy_ids["invoice"],
                "requester_id": world.users["clerk"],
                "submitted_by_id": world.users["clerk"],
                "submitted_at": sent,
                "closed_at": item_plan.approved_at if status == "approved" else None,
            }
        )
    for item_plan in world.plans:
        awaiting = item_plan.exception == "price_variance" and item_plan.resolved_at is None
        awaiting = awaiting and 0.08 <= _draw(item_plan.id, 50) < 0.15  # the items left awaiting approval
        if item_plan.resolution == "approved" or awaiting:
            assert item_plan.matched_at is not None
            requests.append(
                {
                    "document_type": "invoice_variance",
                    "document_id": str(item_plan.id),
                    "summary": f"Variance on INV-{item_plan.id:08d}",
                    "facility_id": item_plan.facility_id,
                    "amount": Decimal(25 + item_plan.id % 400),
                    "status": "pending" if awaiting else "approved",
                    "policy_id": world.policy_ids["invoice_variance"],
                    "requester_id": world.users["clerk"],
                    "submitted_by_id": world.users["clerk"],
                    "submitted_at": item_plan.matched_at + timedelta(hours=1),
                    "closed_at": item_plan.resolved_at,
                }
            )
    for index, request in enumerate(requests, start=1):
        request["id"] = index
        request.update(currency="USD", risk_level="low" if index % 4 else "medium", policy_version=1)
        pending = request["status"] == "pending"
        request["current_step"] = 1 if pending else None
        request["step_started_at"] = request["submitted_at"]
        overdue = pending and now - request["submitted_at"] > timedelta(days=3)
        request["reminded_at"] = request["submitted_at"] + timedelta(days=3) if overdue else None
        if not pending and request["closed_at"] is None:
            request["closed_at"] = request["submitted_at"] + timedelta(days=1)
    world.rows["approval_request"] = copy_model(ApprovalRequest, requests)

    def decision_rows() -> Iterator[dict[str, Any]]:
        verbs = {"approved": "approve", "rejected": "reject", "withdrawn": "withdraw"}
        for request in requests:
            if request["status"] in verbs:
                actor = "admin1" if request["document_type"].startswith("vendor") else "manager"
                yield {
                    "request_id": request["id"],
                    "step_position": 1,
                    "decision": verbs[request["status"]],
                    "actor_id": world.users[actor],
                    "comment": "bench",
                    "decided_at": request["closed_at"],
                }

    def blocked_rows() -> Iterator[dict[str, Any]]:
        for request in requests:
            if request["id"] % 200 == 7:
                yield {
                    "request_id": request["id"],
                    "actor_id": world.users["clerk"],
                    "decision": "approve",
                    "rule": "keyed_the_invoice",
                    "message": "You keyed this invoice: another person approves it.",
                    "attempted_at": request["submitted_at"] + timedelta(minutes=30),
                }

    def escalation_rows() -> Iterator[dict[str, Any]]:
        for request in requests:
            if request["reminded_at"] is not None:
                yield {
                    "request_id": request["id"],
                    "step_position": 1,
                    "kind": "remind",
                    "detail": "Step overdue: reminder sent",
                    "created_at": request["reminded_at"],
                }

    world.rows["approval_decision"] = copy_model(ApprovalDecision, decision_rows(), with_pk=False)
    world.rows["blocked_attempt"] = copy_model(BlockedAttempt, blocked_rows(), with_pk=False)
    world.rows["approval_escalation"] = copy_model(ApprovalEscalation, escalation_rows(), with_pk=False)
    sequence_reset(ApprovalRequest)


def load_changes(world: World) -> None:
    """Change requests (create, update, bank account) with their bank accounts, call-backs and ledger entries."""
    from approvals.models import LedgerEntry
    from vendors import crypto
    from vendors.models import BankAccount, CallbackEvidence, ChangeRequest

    ciphertext = crypto.encrypt("000123456789")
    plans = [(number, *change_plan(world, number)) for number in range(1, changes_count(world) + 1)]
    banks = [entry for entry in plans if entry[1] == "bank_account"]
    account_status = {"pending": "proposed", "applied": "active", "rejected": "rejected", "withdrawn": "rejected"}

    def account_rows() -> Iterator[dict[str, Any]]:
        for number, _kind, vendor, _facility, _submitted, status, decided in banks:
            yield {
                "id": number,
                "vendor_id": vendor,
                "holder_name": f"Vendor {vendor}",
                "routing_number": "011000015",
                "account_number_encrypted": ciphertext,
                "account_last4": "6789",
                "fingerprint": f"bench{number:059d}",
                "status": account_status[status],
                "activated_at": decided if status == "applied" else None,
            }

    def change_rows() -> Iterator[dict[str, Any]]:
        for number, kind, vendor, facility, submitted, status, decided in plans:
            field_name = {"update": "legal_name", "create": "vendor", "bank_account": "bank_account"}[kind]
            yield {
                "id": number,
                "kind": kind,
                "vendor_id": vendor,
                "facility_id": facility,
                "status": status,
                "diff": [{"field": field_name, "label": field_name, "old": "before", "new": "after"}],
                "fields": [field_name],
                "reason": "Supplier letter (bench)",
                "bank_account_id": number if kind == "bank_account" else None,
                "submitted_by_id": world.users["steward"],
                "submitted_at": submitted,
                "approval_request_id": number,
                "decided_at": decided,
                "decision_note": "bench" if decided else "",
            }

    def callback_rows() -> Iterator[dict[str, Any]]:
        for number, _kind, _vendor, _facility, submitted, status, _decided in banks:
            if status != "pending" or number % 2:
                called = submitted + timedelta(hours=2)
                yield {
                    "change_request_id": number,
                    "phone_number": "+1 217 555 0100",
                    "contact_name": "AR desk",
                    "called_by_id": world.users["admin2"],
                    "called_at": called,
                    "outcome": "denied" if status == "rejected" else "confirmed",
                    "recorded_at": called,
                }

    def ledger_rows() -> Iterator[dict[str, Any]]:
        for _number, _kind, vendor, facility, submitted, _status, _decided in banks:
            yield {
                "user_id": world.users["steward"],
                "action": "vendor.bank_changed",
                "subject": f"vendor:{vendor}",
                "facility_id": facility,
                "occurred_at": submitted,
            }

    world.rows["bank_account"] = copy_model(BankAccount, account_rows())
    world.rows["change_request"] = copy_model(ChangeRequest, change_rows())
    world.rows["callback"] = copy_model(CallbackEvidence, callback_rows(), with_pk=False)
    world.rows["ledger_entry"] = copy_model(LedgerEntry, ledger_rows(), with_pk=False)
    sequence_reset(BankAccount, ChangeRequest)


def load_duplicates_and_screening(world: World) -> None:
    """Duplicate candidate pairs (open, merged, dismissed), exclusion lists with entries, hits and results."""
    from vendors.models import DuplicateCandidate, ExclusionEntry, ExclusionList, ScreeningHit, ScreeningResult

    now, vendors = world.now, world.extra_vendor_ids

    def candidate_rows() -> Iterator[dict[str, Any]]:
        for pair in range(len(vendors) // 10):
            vendor_a = vendors[2 * pair]
            status = duplicate_status(vendor_a)
            found = now - timedelta(seconds=int(YEAR * _draw(vendor_a, 81)))
            decided = found + timedelta(days=1 + 20 * _draw(vendor_a, 82)) if status != "open" else None
            yield {
                "vendor_a_id": vendor_a,
                "vendor_b_id": vendor_a + 1,
                "score": Decimal("0.850") + Decimal(pair % 14) / 100,
                "reasons": ["same tax id"],
                "status": status,
                "found_at": found,
                "survivor_id": vendor_a if status == "merged" else None,
                "decided_by_id": world.users["steward"] if decided else None,
                "decided_at": decided,
            }

    lists = {}
    for source in ("leie", "sam"):
        for version, is_current in (("2026-10", False), ("2026-11", True)):
            lists[source, is_current] = ExclusionList.objects.create(
                source=source,
                version=version,
                file_name=f"{source}-{version}.csv",
                file_sha256="0" * 64,
                row_count=2000,
                imported_at=now - timedelta(days=5 if is_current else 35),
                is_current=is_current,
            ).pk
    current = [lists["leie", True], lists["sam", True]]

    def entry_rows() -> Iterator[dict[str, Any]]:
        for list_index, list_id in enumerate(current):
            for row in range(1, 2001):
                yield {
                    "id": list_index * 2000 + row,
                    "exclusion_list_id": list_id,
                    "row_number": row,
                    "name": f"Excluded Party {row}",
                    "name_key": f"excluded party {row}",
                    "state": "IL",
                }

    def hit_rows() -> Iterator[dict[str, Any]]:
        for index in range(len(vendors) // 40):
            vendor = vendors[index * 7 % len(vendors)]
            draw = _draw(vendor, 90)
            status = "open" if draw < 0.4 else ("confirmed" if draw < 0.5 else "cleared")
            found = now - timedelta(seconds=int(YEAR * _draw(vendor, 91)))
            yield {
                "vendor_id": vendor,
                "entry_id": index % 4000 + 1,
                "exclusion_list_id": current[index % 4000 // 2000],
                "match_kind": "name_state",
                "score": Decimal("0.900"),
                "detail": "name and state",
                "status": status,
                "found_at": found,
                "decided_by_id": None if status == "open" else world.users["steward"],
                "decided_at": None if status == "open" else found + timedelta(days=2),
            }

    def result_rows() -> Iterator[dict[str, Any]]:
        for months in range(3):
            for vendor in vendors:
                yield {
                    "vendor_id": vendor,
                    "screened_at": now - timedelta(days=30 * months + 1),
                    "trigger": "monthly",
                    "list_versions": {"leie": "2026-11", "sam": "2026-11"},
                    "hits": 0,
                }

    world.rows["duplicate_candidate"] = copy_model(DuplicateCandidate, candidate_rows(), with_pk=False)
    world.rows["exclusion_entry"] = copy_model(ExclusionEntry, entry_rows())
    world.rows["screening_hit"] = copy_model(ScreeningHit, hit_rows(), with_pk=False)
    world.rows["screening_result"] = copy_model(ScreeningResult, result_rows(), with_pk=False)
    sequence_reset(ExclusionEntry)


def load_integrations(world: World) -> None:
    """Hourly sync runs of both systems over the year (some failed or partial, the last receipts failing), outbox
    events of the last 30 days' approvals with their deliveries, and dead letters."""
    from integrations.models import DeadLetter, OutboxDelivery, SyncRun
    from p2p_portal.models import OutboxEvent

    now = world.now
    entities = (
        ("coupa", "purchase_order"),
        ("coupa", "receipt"),
        ("coupa", "supplier"),
        ("tryton", "supplier"),
        ("tryton", "payment"),
    )

    def run_rows() -> Iterator[dict[str, Any]]:
        number = 0
        for hour in range(365 * 24, 0, -1):
            for system, entity in entities:
                number += 1
                draw = _draw(number, 100)
                failing = system == "coupa" and entity == "receipt" and hour <= 6
                status = "failed" if failing or draw < 0.02 else ("partial" if draw < 0.05 else "succeeded")
                started = now - timedelta(hours=hour)
                yield {
                    "id": number,
                    "system_id": world.systems[system],
                    "entity": entity,
                    "status": status,
                    "started_at": started,
                    "finished_at": started + timedelta(seconds=40),
                    "fetched": 50,
                    "created": 5,
                    "updated": 10,
                    "unchanged": 35,
                    "failed": 1 if status == "partial" else 0,
                    "error": "connection refused" if status == "failed" else "",
                    "triggered_by": "beat",
                }

    recent = [
        item_plan
        for item_plan in world.plans
        if item_plan.approved_at and now - item_plan.approved_at < timedelta(days=30)
    ]

    def event_rows() -> Iterator[dict[str, Any]]:
        for index, item_plan in enumerate(recent, start=1):
            yield {
                "id": index,
                "topic": "invoice.approved",
                "subject": f"invoice:{item_plan.id}",
                "payload": {"invoice": item_plan.id},
                "created_at": item_plan.approved_at,
                "dispatched_at": item_plan.approved_at,
            }

    def delivery_status(index: int, item_plan: Plan) -> str:
        assert item_plan.approved_at is not None
        if now - item_plan.approved_at < timedelta(hours=2):
            return "pending"
        return "dead" if _draw(index, 101) < 0.003 else "delivered"

    def delivery_rows() -> Iterator[dict[str, Any]]:
        for index, item_plan in enumerate(recent, start=1):
            status = delivery_status(index, item_plan)
            assert item_plan.approved_at is not None
            yield {
                "id": index,
                "event_id": index,
                "system_id": world.systems["tryton"],
                "status": status,
                "attempts": 8 if status == "dead" else 1,
                "next_attempt_at": item_plan.approved_at,
                "last_error": "HTTP 500" if status == "dead" else "",
                "delivered_at": item_plan.approved_at + timedelta(minutes=2) if status == "delivered" else None,
            }

    def letter_rows() -> Iterator[dict[str, Any]]:
        for index, item_plan in enumerate(recent, start=1):
            if delivery_status(index, item_plan) == "dead":
                yield {
                    "system_id": world.systems["tryton"],
                    "direction": "outbound",
                    "entity": "invoice.approved",
                    "external_id": str(item_plan.id),
                    "payload": {},
                    "error": "HTTP 500",
                    "attempts": 8,
                    "delivery_id": index,
                    "created_at": item_plan.approved_at,
                    "status": "open",
                }
        for run in run_rows():
            if run["status"] == "partial":
                old = now - run["started_at"] > timedelta(days=30)
                yield {
                    "system_id": run["system_id"],
                    "direction": "inbound",
                    "entity": run["entity"],
                    "external_id": f"r{run['id']}",
                    "payload": {},
                    "error": "invalid record",
                    "attempts": 3,
                    "sync_run_id": run["id"],
                    "created_at": run["finished_at"],
                    "status": "replayed" if old else "open",
                    "resolved_at": run["finished_at"] + timedelta(days=1) if old else None,
                }

    world.rows["sync_run"] = copy_model(SyncRun, run_rows())
    world.rows["outbox_event"] = copy_model(OutboxEvent, event_rows())
    world.rows["outbox_delivery"] = copy_model(OutboxDelivery, delivery_rows())
    world.rows["dead_letter"] = copy_model(DeadLetter, letter_rows(), with_pk=False)
    sequence_reset(SyncRun, OutboxEvent, OutboxDelivery)
