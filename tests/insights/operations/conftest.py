"""A known data set for the operations dashboard: two weeks at NORTH with every edge case the figures handle
(credit memo, cancelled and non-PO invoices, an invoice received before the range, one not yet matched, partial
receipts, duplicates confirmed and dismissed, variances accepted and recovered) and records at SOUTH that a NORTH
reader must never see. Times are set exactly (history dates included), so every figure is known by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from approvals.models import ApprovalRequest, Policy, PolicyStep
from insights.operations.definitions import week_of
from matching.models import Invoice, InvoiceException, WorkAction, WorkItem, WorkQueue
from p2p_portal.audit.context import acting_as
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from tests.factories import make_user_with_role


@dataclass
class DataSet:
    """What the tests read: the first Monday, the people and the records by name."""

    monday: date
    north: Facility
    south: Facility
    people: dict[str, User]
    invoices: dict[str, Invoice] = field(default_factory=dict)
    queue: WorkQueue | None = None

    def at(self, day: int, hour: int) -> datetime:
        """Day `day` after the first Monday (0-13: the two weeks of the range), at `hour`:00 local time."""
        return timezone.make_aware(datetime.combine(self.monday + timedelta(days=day), time(hour)))

    @property
    def query(self) -> dict[str, str]:
        """The dashboard filters of the two weeks."""
        return {"from": self.monday.isoformat(), "to": (self.monday + timedelta(days=13)).isoformat()}


def _invoice(
    data: DataSet,
    number: str,
    received: datetime,
    *,
    facility: Facility | None = None,
    po: str = "PO-1",
    kind: str = "invoice",
    matched: bool = True,
    total: str = "100.00",
) -> Invoice:
    invoice = Invoice.objects.create(
        facility=facility or data.north,
        document_type=kind,
        invoice_number=number,
        invoice_number_normalised=number.lower(),
        invoice_date=received.date(),
        currency="USD",
        po_number=po,
        subtotal=Decimal(total),
        total_amount=Decimal(total),
        channel="api_json",
        vendor_reference={"number": "V-1"},
    )
    # received_at is auto_now_add: set the arrival time afterwards (the history keeps its own dates).
    Invoice.objects.filter(pk=invoice.pk).update(received_at=received, matched_at=received if matched else None)
    invoice.refresh_from_db()
    data.invoices[number] = invoice
    return invoice


def _status(invoice: Invoice, status: str, when: datetime) -> None:
    invoice.status = status
    invoice._history_date = when  # simple-history dates the row with it
    invoice.save()


def _exception(
    invoice: Invoice, code: str, raised: datetime, resolved: datetime | None = None, kind: str = "", line: int = 1
) -> InvoiceException:
    return InvoiceException.objects.create(
        invoice=invoice,
        code=code,
        line_number=line,
        detail=code,
        raised_at=raised,
        state="resolved" if resolved else "open",
        resolved_at=resolved,
        resolution_kind=kind,
    )


def _item(
    data: DataSet, invoice: Invoice, *, state: str, opened: datetime, due: datetime, queue: Any = None
) -> WorkItem:
    return WorkItem.objects.create(
        invoice=invoice,
        facility=invoice.facility,
        queue=queue,
        state=state,
        opened_at=opened,
        due_at=due,
        closed_at=due if state == "closed" else None,
    )


def _action(item: WorkItem, kind: str, when: datetime, actor: User, amount: str | None = None) -> WorkAction:
    return WorkAction.objects.create(
        item=item,
        invoice=item.invoice,
        facility=item.facility,
        kind=kind,
        actor=actor,
        occurred_at=when,
        amount=Decimal(amount) if amount is not None else None,
    )


def _request(data: DataSet, policy: Policy, facility: Facility, started: datetime, status: str = "pending") -> None:
    requester = data.people["clerk"]
    ApprovalRequest.objects.create(
        document_type="invoice",
        document_id=f"{facility.code}-{started.timestamp()}-{status}",
        summary="test",
        facility=facility,
        amount=Decimal("10.00"),
        currency="USD",
        risk_level="low",
        requester=requester,
        submitted_by=requester,
        status=status,
        policy=policy,
        policy_version=1,
        current_step=1,
        submitted_at=started,
        step_started_at=started,
    )


@pytest.fixture
def dataset(north: Facility, south: Facility) -> DataSet:
    people = {
        "manager": make_user_with_role("ops_manager", Role.AP_MANAGER, north),
        "auditor": make_user_with_role("ops_auditor", Role.AUDITOR, north, south),
        "clerk": make_user_with_role("ops_clerk", Role.AP_CLERK, north),
        "outsider": make_user_with_role("ops_outsider", Role.AP_MANAGER, south),
        "nobody": User.objects.create_user("ops_nobody", password="correct-horse-battery-9"),
    }
    data = DataSet(week_of(timezone.localdate()) - timedelta(weeks=3), north, south, people)
    clerk = people["clerk"]
    now = timezone.now()
    with acting_as("tests", reason="operations data set"):
        data.queue = WorkQueue.objects.create(
            code="ops-receipt",
            name="Waiting for receipt",
            exception_codes=["no_receipt"],
            group=Group.objects.get_or_create(name=Role.AP_CLERK.value)[0],
            position=50,
        )
        # Touchless: approved 2 h after arrival, posted 24 h later, paid 48 h after that.
        t1 = _invoice(data, "T1", data.at(1, 10))
        _status(t1, "approved", data.at(1, 12))
        _status(t1, "posted", data.at(2, 12))
        _status(t1, "paid", data.at(4, 12))
        # Touchless, approved after 5 h and paid straight from approved 24 h later (never posted).
        t2 = _invoice(data, "T2", data.at(2, 9))
        _status(t2, "approved", data.at(2, 14))
        _status(t2, "paid", data.at(3, 14))
        # A price variance accepted in week 2: approved 120 h after arrival.
        x1 = _invoice(data, "X1", data.at(2, 9))
        _status(x1, "exception", data.at(2, 9))
        _exception(x1, "price_variance", data.at(2, 9), data.at(7, 9), "accepted")
        _status(x1, "approved", data.at(7, 9))
        x1_item = _item(data, x1, state="closed", opened=data.at(2, 9), due=data.at(5, 9), queue=data.queue)
        _action(x1_item, "accept_variance", data.at(7, 9), clerk, "40.00")
        # Partial receipt: nothing received yet on line 1, open, in the queue, past due and escalated.
        x2 = _invoice(data, "X2", data.at(8, 9))
        _status(x2, "exception", data.at(8, 9))
        _exception(x2, "no_receipt", data.at(8, 9))
        x2_item = _item(
            data, x2, state="open", opened=now - timedelta(days=4), due=now - timedelta(days=1), queue=data.queue
        )
        _action(x2_item, "escalate", data.at(9, 9), clerk)
        _action(x2_item, "request_variance_approval", data.at(8, 10), clerk, "500.00")  # not a decision yet
        # Duplicates: one confirmed (rejected, 250.00), one dismissed (approved 30 h after arrival, 80.00).
        d1 = _invoice(data, "D1", data.at(8, 8), total="250.00")
        _exception(d1, "duplicate_suspect", data.at(8, 8), data.at(8, 15), "confirmed", line=0)
        _status(d1, "rejected", data.at(8, 15))
        d2 = _invoice(data, "D2", data.at(7, 8), total="80.00")
        _exception(d2, "duplicate_suspect", data.at(7, 8), data.at(8, 13), "dismissed", line=0)
        _status(d2, "approved", data.at(8, 14))
        # Quantity over received (a partial receipt), recovered by a credit memo; the latest request (30.00) counts.
        r1 = _invoice(data, "R1", data.at(3, 10))
        _exception(r1, "qty_over_received", data.at(3, 10), data.at(7, 13), "recovered")
        r1_item = _item(data, r1, state="closed", opened=data.at(3, 10), due=data.at(6, 10), queue=data.queue)
        _action(r1_item, "request_credit_memo", data.at(3, 11), clerk, "45.00")
        _action(r1_item, "request_credit_memo", data.at(4, 11), clerk, "30.00")
        _status(r1, "approved", data.at(7, 14))
        # Edge cases the touchless rate leaves out: a credit memo, a cancelled invoice, a non-PO invoice, one not
        # yet matched; and one received before the range but approved in it (counts in cycle times only).
        cm = _invoice(data, "CM", data.at(8, 9), kind="credit_memo")
        _status(cm, "approved", data.at(8, 12))
        cx = _invoice(data, "CX", data.at(1, 9))
        _status(cx, "approved", data.at(1, 10))
        _status(cx, "cancelled", data.at(1, 11))
        np = _invoice(data, "NP", data.at(0, 9), po="")
        _status(np, "pending_approval", data.at(0, 9))
        _status(np, "approved", data.at(2, 11))
        _invoice(data, "UN", data.at(9, 9), matched=False)
        o1 = _invoice(data, "O1", data.at(4, 10) - timedelta(hours=200))
        _status(o1, "approved", data.at(4, 10))
        # Work items outside the range's invoices: one waiting (not in the aging buckets), one unrouted.
        w1 = _invoice(data, "W1", data.at(-20, 9), matched=False)
        _item(
            data,
            w1,
            state="waiting_receipt",
            opened=now - timedelta(days=12),
            due=now + timedelta(days=1),
            queue=data.queue,
        )
        u1 = _invoice(data, "U1", data.at(-20, 10), matched=False)
        _item(data, u1, state="open", opened=now - timedelta(days=1), due=now + timedelta(days=1))
        # SOUTH: a touchless invoice, an open exception and work item, a variance accepted, an overdue approval.
        s1 = _invoice(data, "S1", data.at(1, 9), facility=south)
        _status(s1, "approved", data.at(1, 10))
        s2 = _invoice(data, "S2", data.at(1, 9), facility=south)
        _exception(s2, "price_variance", data.at(1, 9))
        s2_item = _item(
            data, s2, state="open", opened=now - timedelta(days=20), due=now - timedelta(days=17), queue=data.queue
        )
        _action(s2_item, "variance_approved", data.at(1, 12), clerk, "900.00")
        # Approvals: NORTH one overdue, one not yet due, one waiting on the requester (not overdue by definition).
        policy = Policy.objects.create(name="ops test", document_type="invoice")
        PolicyStep.objects.create(policy=policy, position=1, role=Role.AP_MANAGER, sla_business_days=2)
        _request(data, policy, north, now - timedelta(days=10))
        _request(data, policy, north, now - timedelta(hours=1))
        _request(data, policy, north, now - timedelta(days=10), status="info_requested")
        _request(data, policy, south, now - timedelta(days=10))
    return data
