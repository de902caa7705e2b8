"""A clerk's path through the workbench services, end to end (smoke)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from matching.models import InvoiceStatus, WorkActionKind, WorkItemState
from matching.services.intake import invoice_ingest
from matching.services.workbench.actions import (
    work_item_accept_variance,
    work_item_hold,
    work_item_reject,
)
from matching.services.workbench.claims import work_item_claim_next
from matching.services.orders import ReceiptLineData, receipt_record
from matching.workbench_selectors import work_item_detail, work_queue_health
from p2p_portal.roles import Role
from tests.factories import make_user_with_role
from tests.matching.conftest import canonical


def test_clerk_day(north, supplier, order) -> None:
    clerk = make_user_with_role("ann", Role.AP_CLERK, north)
    receipt_record(actor="tests", facility=north, number="R-1", purchase_order=order, received_on=date(2026, 11, 5),
                   lines=[ReceiptLineData(1, Decimal("100"))])
    small = invoice_ingest(actor="tests", document=canonical(supplier, (1, "10", "10.30"), number="A1"), channel="api_json", facility=north)
    big = invoice_ingest(actor="tests", document=canonical(supplier, (1, "60", "15.00"), number="A2"), channel="api_json", facility=north)
    held = invoice_ingest(actor="tests", document=canonical(supplier, (1, "5", "12.00"), number="A3"), channel="api_json", facility=north)
    assert small.status == big.status == held.status == InvoiceStatus.EXCEPTION
    health = work_queue_health(user=clerk)
    assert sum(h.open for h in health) == 3, health
    first = work_item_claim_next(actor=clerk)
    assert first is not None and first.invoice_id == small.pk
    detail = work_item_detail(first)
    assert detail.variance_total == Decimal("3.00")
    outcome = work_item_accept_variance(actor=clerk, item=first, reason_code="contract_price", note="GPO")
    assert outcome.accepted
    small.refresh_from_db()
    assert small.status == InvoiceStatus.APPROVED
    first.refresh_from_db()
    assert first.state == WorkItemState.CLOSED
    second = work_item_claim_next(actor=clerk)
    assert second is not None and second.invoice_id == big.pk
    outcome = work_item_accept_variance(actor=clerk, item=second, reason_code="price_increase_agreed")
    assert not outcome.accepted and outcome.approval_request is not None
    second.refresh_from_db()
    assert second.state == WorkItemState.AWAITING_APPROVAL
    third = work_item_claim_next(actor=clerk)
    assert third is not None and third.invoice_id == held.pk
    work_item_hold(actor=clerk, item=third, reason_code="awaiting_vendor", review_on=date.today() + timedelta(days=3))
    third.refresh_from_db()
    assert third.state == WorkItemState.ON_HOLD
    work_item_reject(actor=clerk, item=third, reason_code="pricing_dispute", note="Price not agreed")
    held.refresh_from_db()
    assert held.status == InvoiceStatus.REJECTED
    assert third.actions.filter(kind=WorkActionKind.REJECT).exists()
    assert work_item_claim_next(actor=clerk) is None
