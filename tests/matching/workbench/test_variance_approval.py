"""Variance acceptance: the authority limit per role and facility, the approval an AP manager gives above it, and the
segregation-of-duties rules that keep a clerk from waving through their own keying or their own bank change."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django.fixtures import Settings

from approvals.services import approval_request_approve, approval_request_reject, ledger_entry_record
from matching.models import (
    AuthorityLimit,
    ExceptionState,
    Invoice,
    InvoiceStatus,
    ResolutionKind,
    WorkAction,
    WorkActionKind,
    WorkItemState,
)
from matching.services.workbench.actions import work_item_accept_variance
from matching.services.workbench.authority import authority_limit
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import NotAllowedError
from p2p_portal.models import Facility, Notification
from p2p_portal.roles import Role
from tests.matching.workbench.conftest import Ingest, actions, item_of, open_codes
from vendors.models import Vendor
from vendors.services.bank import LEDGER_BANK_CHANGED


def _limit(role: str, facility: Facility | None, amount: str) -> None:
    with acting_as("tests", reason="authority"):
        AuthorityLimit.objects.create(role=role, facility=facility, max_variance=Decimal(amount))


def _big(ingest: Ingest) -> Invoice:
    """An invoice 300.00 above the PO price (60 gloves at 15.00 instead of 10.00)."""
    invoice = ingest("V-300", (1, "60", "15.00"))
    assert open_codes(invoice) == {"price_variance"}
    return invoice


def test_above_authority_a_manager_approves_the_variance(
    ingest: Ingest, received: object, ann: User, maria: User
) -> None:
    invoice = _big(ingest)
    item = item_of(invoice)
    outcome = work_item_accept_variance(actor=ann, item=item, reason_code="price_increase_agreed", note="Buyer ok")
    assert not outcome.accepted
    assert outcome.amount == Decimal("300.00")
    assert outcome.authority == Decimal("250.00")
    request = outcome.approval_request
    assert request is not None
    assert request.amount == Decimal("300.00")
    item.refresh_from_db()
    assert (item.state, item.claimed_by) == (WorkItemState.AWAITING_APPROVAL, None)
    [asked] = actions(item, WorkActionKind.REQUEST_VARIANCE_APPROVAL)
    assert (asked.actor, asked.reason_code, asked.note, asked.amount, asked.approval_request) == (
        ann, "price_increase_agreed", "Buyer ok", Decimal("300.00"), request,
    )  # fmt: skip
    assert open_codes(invoice) == {"price_variance"}, "nothing accepted until the manager decides"
    assert Notification.objects.filter(user=maria).exists(), "the manager is told a request waits"

    approval_request_approve(actor=maria, request=request, comment="Price rise agreed")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    [variance] = invoice.exceptions.all()
    assert (variance.state, variance.resolution_kind, variance.resolved_by) == (
        ExceptionState.RESOLVED,
        ResolutionKind.APPROVED,
        maria,
    )
    item.refresh_from_db()
    assert item.state == WorkItemState.CLOSED
    [approved] = actions(item, WorkActionKind.VARIANCE_APPROVED)
    assert (approved.actor, approved.amount, approved.note) == (maria, Decimal("300.00"), "Price rise agreed")


def test_a_refused_variance_goes_back_to_the_queue(ingest: Ingest, received: object, ann: User, maria: User) -> None:
    invoice = _big(ingest)
    item = item_of(invoice)
    outcome = work_item_accept_variance(actor=ann, item=item, reason_code="price_increase_agreed")
    assert outcome.approval_request is not None
    approval_request_reject(actor=maria, request=outcome.approval_request, reason="Not agreed: ask for credit")
    item.refresh_from_db()
    assert item.state == WorkItemState.OPEN
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.EXCEPTION
    assert open_codes(invoice) == {"price_variance"}
    [refused] = actions(item, WorkActionKind.VARIANCE_REFUSED)
    assert (refused.actor, refused.note) == (maria, "Not agreed: ask for credit")


def test_a_manager_accepts_within_their_own_larger_authority(ingest: Ingest, received: object, maria: User) -> None:
    invoice = _big(ingest)
    outcome = work_item_accept_variance(actor=maria, item=item_of(invoice), reason_code="contract_price")
    assert outcome.accepted
    assert outcome.authority == Decimal("10000.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED


def test_a_facility_limit_beats_the_network_limit(ingest: Ingest, received: object, ann: User, north: Facility) -> None:
    _limit(Role.AP_CLERK, None, "500.00")
    _limit(Role.AP_CLERK, north, "100.00")
    outcome = work_item_accept_variance(actor=ann, item=item_of(_big(ingest)), reason_code="contract_price")
    assert not outcome.accepted
    assert outcome.authority == Decimal("100.00")


def test_a_network_limit_lets_a_clerk_accept_more(ingest: Ingest, received: object, ann: User) -> None:
    _limit(Role.AP_CLERK, None, "500.00")
    invoice = _big(ingest)
    outcome = work_item_accept_variance(actor=ann, item=item_of(invoice), reason_code="contract_price")
    assert outcome.accepted
    assert outcome.authority == Decimal("500.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED


def test_another_facilitys_limit_does_not_apply_and_the_default_comes_from_settings(
    ann: User, north: Facility, south: Facility, settings: Settings
) -> None:
    _limit(Role.AP_CLERK, south, "5000.00")
    assert authority_limit(ann, north.pk) == Decimal("250.00")
    settings.WORKBENCH_AUTHORITY_DEFAULTS = {"ap_clerk": "400.00", "ap_manager": "10000.00"}
    assert authority_limit(ann, north.pk) == Decimal("400.00")
    assert authority_limit(ann, south.pk) == Decimal("0"), "no role at SOUTH: no authority there"


def _assert_blocked_and_unchanged(invoice: Invoice, clerk: User, rule: str) -> None:
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.EXCEPTION
    assert open_codes(invoice) == {"price_variance"}
    item = item_of(invoice)
    assert (item.state, item.claimed_by) == (WorkItemState.OPEN, None), "the lease taken to act was rolled back"
    assert not actions(item, WorkActionKind.ACCEPT_VARIANCE)
    [blocked] = WorkAction.objects.filter(item=item, kind=WorkActionKind.BLOCKED)
    assert blocked.actor == clerk
    assert blocked.detail == {"action": WorkActionKind.ACCEPT_VARIANCE, "rule": rule}


def test_a_clerk_cannot_accept_variances_on_an_invoice_they_keyed(
    ingest: Ingest, received: object, ann: User, bob: User
) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"), keyed_by=ann)
    with pytest.raises(NotAllowedError) as refused:
        work_item_accept_variance(actor=ann, item=item_of(invoice), reason_code="contract_price")
    assert refused.value.code == "sod_keyed_by"
    assert refused.value.extra["rule"] == "sod_keyed_by"
    _assert_blocked_and_unchanged(invoice, ann, "sod_keyed_by")
    assert work_item_accept_variance(actor=bob, item=item_of(invoice), reason_code="contract_price").accepted


def test_a_clerk_cannot_accept_variances_of_a_vendor_whose_bank_change_they_proposed(
    ingest: Ingest, received: object, supplier: Vendor, ann: User, bob: User
) -> None:
    ledger_entry_record(actor="tests", user=ann, action=LEDGER_BANK_CHANGED, subject=f"vendor:{supplier.pk}")
    ledger_entry_record(
        actor="tests",
        user=bob,
        action=LEDGER_BANK_CHANGED,
        subject=f"vendor:{supplier.pk}",
        occurred_at=timezone.now() - timedelta(days=91),
    )
    invoice = ingest("V-111", (1, "10", "10.30"))
    with pytest.raises(NotAllowedError) as refused:
        work_item_accept_variance(actor=ann, item=item_of(invoice), reason_code="contract_price")
    rule = "sod_conflict_rule:bank-change-then-approve"
    assert refused.value.code == "sod_conflict_rule"
    assert refused.value.extra["rule"] == rule
    _assert_blocked_and_unchanged(invoice, ann, rule)
    outcome = work_item_accept_variance(actor=bob, item=item_of(invoice), reason_code="contract_price")
    assert outcome.accepted, "Bob's bank change is older than the rule's window"
