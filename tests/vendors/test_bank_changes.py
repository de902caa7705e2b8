"""Bank-account changes: validated, verified by a call-back to a number on file, approved by two distinct
procurement admins who neither proposed nor verified it, then a cooling-off that flags the vendor's invoices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from approvals.models import ApprovalRequest, BlockedAttempt, LedgerEntry
from approvals.services import approval_request_approve
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.roles import Role
from p2p_portal.services import role_grant
from tests.factories import SYSTEM
from tests.vendors.factories import give_bank_account, make_vendor
from vendors.models import BankAccountReveal, BankAccountStatus, ChangeRequest, ChangeStatus, Vendor
from vendors.selectors import vendor_flags
from vendors.services.bank import bank_account_reveal, bank_change_callback_record, bank_change_request_submit
from vendors.services.changes import VendorProposal, vendor_change_request_submit
from vendors.services.records import ContactData, SiteData, vendor_contacts_replace

pytestmark = pytest.mark.django_db

ON_FILE = "(217) 555-0199"


@pytest.fixture
def vendor() -> Vendor:
    vendor = make_vendor(
        "Midwest Surgical Supply Inc",
        sites=[SiteData(address_line1="1 Main", city="Springfield", state="IL", phone="217-555-0100")],
        contacts=[ContactData(name="Pat Lee", email="ar@midwest.example", phone=ON_FILE)],
    )
    give_bank_account(vendor, routing_number="011000015", account_number="111122223333")
    return vendor


def _submit(steward: Any, vendor: Vendor, north: Any, **bank: str) -> ChangeRequest:
    return bank_change_request_submit(
        actor=steward,
        vendor=vendor,
        facility=north,
        holder_name="Midwest Surgical Supply Inc",
        reason="Letter from vendor dated 2026-11-20",
        routing_number=bank.get("routing_number", "021000021"),
        account_number=bank.get("account_number", "999988887777"),
    )


def _callback(change: ChangeRequest, caller: Any, *, phone: str = ON_FILE, outcome: str = "confirmed") -> Any:
    return bank_change_callback_record(
        actor=caller,
        change=change,
        phone_number=phone,
        contact_name="Pat Lee",
        called_at=timezone.now(),
        outcome=outcome,
    )


def _approval(change: ChangeRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.get(pk=change.approval_request_id)


def test_the_full_flow_two_admins_after_a_confirmed_call_back(steward, steward2, admin, admin2, north, vendor) -> None:
    change = _submit(steward, vendor, north)
    assert change.bank_account.status == BankAccountStatus.PROPOSED
    assert change.diff[0]["old"].endswith("••••3333")
    assert change.diff[0]["new"].endswith("••••7777")
    assert "999988887777" not in str(change.diff)
    assert set(change.phones_on_file) == {"2175550199", "2175550100"}

    with pytest.raises(ApplicationError) as no_callback:
        approval_request_approve(actor=admin, request=_approval(change))
    assert no_callback.value.code == "callback_required"

    _callback(change, steward2)
    approval_request_approve(actor=admin, request=_approval(change), comment="call-back seen")
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING, "one approval is not enough"
    with pytest.raises(NotAllowedError) as twice:
        approval_request_approve(actor=admin, request=_approval(change))
    assert twice.value.code == "sod_one_approval_per_person"

    approval_request_approve(actor=admin2, request=_approval(change))

    change.refresh_from_db()
    vendor.refresh_from_db()
    assert change.status == ChangeStatus.APPLIED
    accounts = {account.account_last4: account.status for account in vendor.bank_accounts.all()}
    assert accounts == {"3333": BankAccountStatus.RETIRED, "7777": BankAccountStatus.ACTIVE}
    assert vendor.bank_changed_at is not None
    assert LedgerEntry.objects.filter(
        user=steward, action="vendor.bank_changed", subject=f"vendor:{vendor.pk}"
    ).exists()


def test_the_vendor_contacts_on_file_are_told_by_email(
    steward, steward2, admin, admin2, north, vendor, django_capture_on_commit_callbacks
) -> None:
    change = _submit(steward, vendor, north)
    _callback(change, steward2)
    approval_request_approve(actor=admin, request=_approval(change))
    with django_capture_on_commit_callbacks(execute=True):
        approval_request_approve(actor=admin2, request=_approval(change))
    assert len(mail.outbox) >= 1
    told = [message for message in mail.outbox if "ar@midwest.example" in message.to]
    assert told
    assert "ending 7777" in told[0].body
    assert "999988887777" not in told[0].body


def test_a_call_back_to_a_number_not_on_file_before_the_request_is_refused(steward, steward2, north, vendor) -> None:
    change = _submit(steward, vendor, north)
    # A fraudster's number added after the request is not "on file" for this request.
    vendor_contacts_replace(
        actor=SYSTEM, vendor=vendor, contacts=[ContactData(name="New guy", phone="312-555-0666")], reason="test"
    )
    with pytest.raises(InvalidInputError) as refused:
        _callback(change, steward2, phone="312-555-0666")
    assert refused.value.code == "callback_number_not_on_file"
    assert "phone_number" in refused.value.errors
    assert change.callbacks.count() == 0


def test_the_submitter_cannot_make_the_call_back(steward, north, vendor) -> None:
    change = _submit(steward, vendor, north)
    with pytest.raises(NotAllowedError) as refused:
        _callback(change, steward)
    assert refused.value.code == "callback_by_submitter"


def test_the_caller_cannot_approve(steward, admin, admin2, north, vendor) -> None:
    change = _submit(steward, vendor, north)
    _callback(change, admin)
    with pytest.raises(NotAllowedError) as refused:
        approval_request_approve(actor=admin, request=_approval(change))
    assert refused.value.code == "sod_excluded_party"
    assert BlockedAttempt.objects.filter(actor=admin, rule="sod_excluded_party").exists()


def test_a_denied_call_back_blocks_approval(steward, steward2, admin, north, vendor) -> None:
    change = _submit(steward, vendor, north)
    _callback(change, steward2, outcome="denied")
    with pytest.raises(ApplicationError) as refused:
        approval_request_approve(actor=admin, request=_approval(change))
    assert refused.value.code == "callback_not_confirmed"


def test_an_invalid_account_is_refused_field_by_field(steward, north, vendor) -> None:
    with pytest.raises(InvalidInputError) as refused:
        _submit(steward, vendor, north, routing_number="021000022", account_number="12")
    assert set(refused.value.errors) == {"routing_number", "account_number"}


def test_cooling_off_flags_invoices_then_ends(steward, steward2, admin, admin2, north, vendor, settings) -> None:
    settings.BANK_CHANGE_COOLING_OFF_DAYS = 5
    assert "bank_unverified" not in vendor_flags(vendor)
    change = _submit(steward, vendor, north)
    _callback(change, steward2)
    approval_request_approve(actor=admin, request=_approval(change))
    approval_request_approve(actor=admin2, request=_approval(change))
    vendor.refresh_from_db()
    assert "bank_unverified" in vendor_flags(vendor)
    assert "bank_unverified" in vendor_flags(vendor, at=timezone.now() + timedelta(days=4, hours=23))
    assert "bank_unverified" not in vendor_flags(vendor, at=timezone.now() + timedelta(days=5, minutes=1))


def test_whoever_changed_the_bank_account_cannot_approve_that_vendors_documents(
    steward, steward2, admin, admin2, north, vendor
) -> None:
    role_grant(actor=SYSTEM, user=steward, role=Role.PROCUREMENT_ADMIN, facility=north)
    change = _submit(steward, vendor, north)
    _callback(change, steward2)
    approval_request_approve(actor=admin, request=_approval(change))
    approval_request_approve(actor=admin2, request=_approval(change))
    later = vendor_change_request_submit(
        actor=steward2,
        vendor=vendor,
        facility=north,
        proposal=VendorProposal(fields={"payment_terms": "NET10"}),
        reason="x",
    )
    with pytest.raises(NotAllowedError) as refused:
        approval_request_approve(actor=steward, request=_approval(later))
    assert refused.value.code == "sod_conflict_rule"
    assert "bank-change-then-approve" in refused.value.extra["rule"]


def test_numbers_are_encrypted_at_rest_and_reveal_is_recorded(admin, people, vendor) -> None:
    account = vendor.bank_accounts.get()
    assert "111122223333" not in account.account_number_encrypted
    assert account.account_last4 == "3333"
    with pytest.raises(NotAllowedError):
        bank_account_reveal(actor=people[Role.VENDOR_STEWARD], account=account, reason="curious")
    with pytest.raises(InvalidInputError):
        bank_account_reveal(actor=admin, account=account, reason=" ")
    assert bank_account_reveal(actor=admin, account=account, reason="vendor asked to confirm") == "111122223333"
    reveal = BankAccountReveal.objects.get()
    assert (reveal.user, reveal.reason) == (admin, "vendor asked to confirm")
    assert reveal.history.get().history_user == admin
