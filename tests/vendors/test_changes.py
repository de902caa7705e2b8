"""Governed changes: a steward proposes, a procurement admin (never the submitter) approves, and only then the
golden record changes; rejection leaves it untouched; overlapping open requests are refused."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalRequest, RequestStatus
from approvals.services import approval_request_approve, approval_request_reject
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.models import OutboxEvent
from p2p_portal.roles import Role
from p2p_portal.services import role_grant
from tests.factories import SYSTEM
from tests.vendors.factories import make_vendor
from vendors.models import ChangeKind, ChangeStatus, Vendor, VendorStatus
from vendors.services.changes import (
    VendorProposal,
    change_request_withdraw,
    vendor_change_request_submit,
    vendor_create_request_submit,
)
from vendors.services.records import ContactData, SiteData

pytestmark = pytest.mark.django_db

NEW_VENDOR = VendorProposal(
    fields={"legal_name": "Baxter Clinical Supply LLC", "tax_id": "36-1234567", "tax_id_kind": "ein"},
    sites=[SiteData(address_line1="1 Baxter Pkwy", city="Deerfield", state="IL", postal_code="60015")],
    contacts=[ContactData(name="AR desk", email="ar@baxter.example", phone="(847) 555-0100")],
)


def _approval(change) -> ApprovalRequest:
    return ApprovalRequest.objects.get(pk=change.approval_request_id)


def test_a_new_vendor_waits_for_approval_then_becomes_active(steward, admin, north) -> None:
    change = vendor_create_request_submit(actor=steward, facility=north, proposal=NEW_VENDOR, reason="New IV supplier")
    vendor = change.vendor
    assert vendor.number.startswith("V-")
    assert vendor.status == VendorStatus.PENDING_APPROVAL
    assert vendor.tax_id == "361234567"
    assert {row["field"] for row in change.diff} >= {"legal_name", "tax_id", "sites", "contacts"}
    assert _approval(change).document_type == "vendor_change"

    approval_request_approve(actor=admin, request=_approval(change), comment="checked W-9")

    vendor.refresh_from_db()
    change.refresh_from_db()
    assert vendor.status == VendorStatus.ACTIVE
    assert change.status == ChangeStatus.APPLIED
    assert change.decision_note == "checked W-9"
    assert OutboxEvent.objects.filter(topic="vendor.created", subject=f"vendor:{vendor.pk}").exists()
    latest = vendor.history.latest()
    assert latest.history_user == admin
    assert f"CR-{change.pk} approved" in latest.history_change_reason


def test_a_rejected_new_vendor_stays_a_draft(steward, admin, north) -> None:
    change = vendor_create_request_submit(actor=steward, facility=north, proposal=NEW_VENDOR, reason="New supplier")
    approval_request_reject(actor=admin, request=_approval(change), reason="Use the existing Baxter record")
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    assert change.decision_note == "Use the existing Baxter record"
    assert Vendor.objects.get(pk=change.vendor_id).status == VendorStatus.DRAFT


def test_an_approved_change_applies_every_field_at_once(steward, admin, north) -> None:
    vendor = make_vendor("Acme Medical Inc", payment_terms="NET30")
    change = vendor_change_request_submit(
        actor=steward,
        vendor=vendor,
        facility=north,
        proposal=VendorProposal(
            fields={"legal_name": "Acme Medical Holdings Inc", "payment_terms": "NET45"},
            sites=[SiteData(address_line1="9 New Rd", city="Peoria", state="IL", postal_code="61602")],
        ),
        reason="Acquisition; new remit-to",
    )
    diff = {row["field"]: row for row in change.diff}
    assert diff["legal_name"]["old"] == "Acme Medical Inc"
    assert diff["legal_name"]["new"] == "Acme Medical Holdings Inc"
    assert diff["payment_terms"]["old"] == "NET30"
    assert diff["payment_terms"]["new"] == "NET45"
    assert "Peoria" in diff["sites"]["new"]
    assert "Springfield" in diff["sites"]["old"]
    vendor.refresh_from_db()
    assert vendor.legal_name == "Acme Medical Inc", "nothing changes before approval"

    approval_request_approve(actor=admin, request=_approval(change))

    vendor.refresh_from_db()
    assert (vendor.legal_name, vendor.payment_terms) == ("Acme Medical Holdings Inc", "NET45")
    assert [site.city for site in vendor.sites.filter(active=True)] == ["Peoria"]
    assert OutboxEvent.objects.filter(topic="vendor.changed").count() == 1


def test_a_rejected_change_leaves_the_vendor_untouched(steward, admin, north) -> None:
    vendor = make_vendor("Acme Medical Inc")
    before = vendor.history.count()
    change = vendor_change_request_submit(
        actor=steward, vendor=vendor, facility=north, proposal=VendorProposal(fields={"status": "on_hold"}), reason="x"
    )
    approval_request_reject(actor=admin, request=_approval(change), reason="No grounds")
    vendor.refresh_from_db()
    assert vendor.status == VendorStatus.ACTIVE
    assert vendor.history.count() == before
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED


def test_the_submitter_never_approves_their_own_change(steward, north) -> None:
    role_grant(actor=SYSTEM, user=steward, role=Role.PROCUREMENT_ADMIN, facility=north)
    vendor = make_vendor()
    change = vendor_change_request_submit(
        actor=steward, vendor=vendor, facility=north, proposal=VendorProposal(fields={"dba_name": "Acme"}), reason="x"
    )
    with pytest.raises(NotAllowedError) as refused:
        approval_request_approve(actor=steward, request=_approval(change))
    assert refused.value.code == "sod_self_approval"
    vendor.refresh_from_db()
    assert vendor.dba_name == ""


def test_two_open_requests_on_the_same_fields_are_refused(steward, steward2, north) -> None:
    vendor = make_vendor()
    first = vendor_change_request_submit(
        actor=steward, vendor=vendor, facility=north, proposal=VendorProposal(fields={"legal_name": "A1"}), reason="x"
    )
    with pytest.raises(ApplicationError) as refused:
        vendor_change_request_submit(
            actor=steward2,
            vendor=vendor,
            facility=north,
            proposal=VendorProposal(fields={"legal_name": "A2", "payment_terms": "NET60"}),
            reason="y",
        )
    assert refused.value.code == "change_request_overlaps"
    assert f"CR-{first.pk}" in refused.value.message
    # Other fields of the same vendor may be proposed meanwhile.
    other = vendor_change_request_submit(
        actor=steward2,
        vendor=vendor,
        facility=north,
        proposal=VendorProposal(fields={"payment_terms": "NET60"}),
        reason="y",
    )
    assert other.kind == ChangeKind.UPDATE
    # Once the first is withdrawn, its fields are free again.
    change_request_withdraw(actor=steward, change=first, reason="typo")
    first.refresh_from_db()
    assert first.status == ChangeStatus.WITHDRAWN
    vendor_change_request_submit(
        actor=steward2, vendor=vendor, facility=north, proposal=VendorProposal(fields={"legal_name": "A2"}), reason="y"
    )


def test_only_stewards_propose_and_bad_values_are_named(people, steward, north) -> None:
    vendor = make_vendor()
    with pytest.raises(NotAllowedError) as refused:
        vendor_change_request_submit(
            actor=people[Role.AP_CLERK],
            vendor=vendor,
            facility=north,
            proposal=VendorProposal(fields={"dba_name": "x"}),
            reason="x",
        )
    assert refused.value.code == "not_a_steward"
    with pytest.raises(InvalidInputError) as invalid:
        vendor_change_request_submit(
            actor=steward,
            vendor=vendor,
            facility=north,
            proposal=VendorProposal(fields={"tax_id": "00-0000000", "tax_id_kind": "ein", "npi": "123"}),
            reason="x",
        )
    assert set(invalid.value.errors) == {"tax_id", "npi"}
    with pytest.raises(InvalidInputError) as unchanged:
        vendor_change_request_submit(
            actor=steward,
            vendor=vendor,
            facility=north,
            proposal=VendorProposal(fields={"legal_name": vendor.legal_name}),
            reason="x",
        )
    assert unchanged.value.code == "no_change"


def test_a_steward_elsewhere_cannot_raise_a_request_here(people, north) -> None:
    outsider_steward = people["outsider"]
    vendor = make_vendor()
    with pytest.raises(NotAllowedError):
        vendor_change_request_submit(
            actor=outsider_steward,
            vendor=vendor,
            facility=north,
            proposal=VendorProposal(fields={"dba_name": "x"}),
            reason="x",
        )
    assert ApprovalRequest.objects.filter(status=RequestStatus.PENDING).count() == 0


def test_default_policies_arrive_with_the_first_request_and_never_override_a_networks_own(
    steward, admin, north
) -> None:
    from approvals.models import ConflictRule, Policy
    from approvals.services import StepSpec, policy_create

    own = policy_create(
        actor=SYSTEM,
        name="Ours: two admins",
        document_type="vendor_change",
        steps=[StepSpec(role="procurement_admin", approvals_required=2)],
    )
    change = vendor_change_request_submit(
        actor=steward,
        vendor=make_vendor(),
        facility=north,
        proposal=VendorProposal(fields={"dba_name": "A"}),
        reason="x",
    )
    assert _approval(change).policy == own
    assert list(Policy.objects.filter(document_type="vendor_change")) == [own]
    bank_policy = Policy.objects.get(document_type="vendor_bank_change")
    assert bank_policy.steps.get().approvals_required == 2
    assert ConflictRule.objects.get(code="bank-change-then-approve").window_days == 90
    assert bank_policy.history.get().history_actor_label == "system: vendors defaults"
