"""Segregation of duties across the supplier master and invoices: whoever proposed a vendor's bank-account change
may not approve that vendor's invoices (the conflict rule vendors installs, read from the approvals ledger)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from approvals.models import ApprovalRequest
from approvals.services import approval_request_approve
from matching.services.intake import invoice_ingest
from p2p_portal.errors import NotAllowedError
from p2p_portal.roles import Role
from p2p_portal.services import role_grant
from tests.factories import make_user_with_role
from tests.matching.conftest import canonical
from tests.vendors.factories import give_bank_account, make_vendor
from vendors.services.bank import bank_change_callback_record, bank_change_request_submit
from vendors.services.records import ContactData

pytestmark = pytest.mark.django_db


def test_the_steward_who_changed_the_bank_account_cannot_approve_the_vendors_invoices(people, north, settings) -> None:
    settings.BANK_CHANGE_COOLING_OFF_DAYS = 0  # the invoice would otherwise wait on bank_unverified first
    steward = people[Role.VENDOR_STEWARD]
    role_grant(actor="tests", user=steward, role=Role.AP_MANAGER, facility=north)  # wears two hats
    vendor = make_vendor("Summit Biomedical Inc", contacts=[ContactData(name="AR", phone="312-555-0101")])
    give_bank_account(vendor)
    change = bank_change_request_submit(
        actor=steward,
        vendor=vendor,
        facility=north,
        holder_name="Summit Biomedical Inc",
        routing_number="021000021",
        account_number="123123123",
        reason="letter",
    )
    bank_change_callback_record(
        actor=make_user_with_role("caller", Role.VENDOR_STEWARD, north),
        change=change,
        phone_number="312-555-0101",
        contact_name="AR",
        called_at=timezone.now(),
        outcome="confirmed",
    )
    bank_request = ApprovalRequest.objects.get(pk=change.approval_request.pk if change.approval_request else 0)
    approval_request_approve(actor=people[Role.PROCUREMENT_ADMIN], request=bank_request)
    approval_request_approve(actor=make_user_with_role("admin2", Role.PROCUREMENT_ADMIN, north), request=bank_request)

    invoice = invoice_ingest(
        actor="tests",
        document=canonical(vendor, (None, "1", "300.00"), po_number=""),
        channel="api_json",
        facility=north,
    )
    request = ApprovalRequest.objects.get(document_type="invoice", document_id=str(invoice.pk))
    with pytest.raises(NotAllowedError) as refused:
        approval_request_approve(actor=steward, request=request)
    assert refused.value.code == "sod_conflict_rule"
    approval_request_approve(actor=people[Role.AP_MANAGER], request=request)
