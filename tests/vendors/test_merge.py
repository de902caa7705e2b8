"""Merging a confirmed duplicate: cross-references move to the survivor, the other vendor becomes inactive with
`merged_into`, its other open pairs close, other apps hear of it through the outbox, and every step is audited."""

from __future__ import annotations

import pytest

from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.models import OutboxEvent
from p2p_portal.roles import Role
from tests.vendors.factories import make_vendor
from vendors.dedupe.store import vendor_duplicates_scan
from vendors.models import DuplicateCandidate, DuplicateStatus, SourceReference, Vendor, VendorStatus
from vendors.services.changes import VendorProposal, vendor_change_request_submit
from vendors.services.duplicates import duplicate_candidate_dismiss, duplicate_candidate_merge
from vendors.services.imports import source_reference_record
from vendors.services.records import SiteData

pytestmark = pytest.mark.django_db

SPRINGFIELD = [SiteData(address_line1="100 Main St", city="Springfield", state="IL", postal_code="62701")]


@pytest.fixture
def trio() -> tuple[Vendor, Vendor, Vendor]:
    """One supplier three times: the ERP's record and two copies from the procurement suite."""
    erp = make_vendor("Acme Medical Supply Inc", tax_id="123456789", tax_id_kind="ein", sites=SPRINGFIELD)
    ghx = make_vendor("ACME Medical Supplies, L.L.C.", tax_id="123456789", tax_id_kind="ein", sites=SPRINGFIELD)
    third = make_vendor("Acme Med Supply", tax_id="123456789", tax_id_kind="ein", sites=SPRINGFIELD)
    source_reference_record(actor="tests", vendor=erp, system="ERP", external_id="100", payload={})
    source_reference_record(actor="tests", vendor=ghx, system="GHX", external_id="G-7", payload={})
    source_reference_record(actor="tests", vendor=ghx, system="OR-INV", external_id="55", payload={})
    vendor_duplicates_scan(actor="tests")
    return erp, ghx, third


def _pair(a: Vendor, b: Vendor) -> DuplicateCandidate:
    low, high = sorted((a.pk, b.pk))
    return DuplicateCandidate.objects.get(vendor_a_id=low, vendor_b_id=high)


def test_merge_moves_cross_references_and_retires_the_duplicate(people, trio) -> None:
    erp, ghx, third = trio
    steward = people[Role.VENDOR_STEWARD]
    duplicate_candidate_merge(actor=steward, candidate=_pair(erp, ghx), survivor=erp, note="same EIN and address")

    ghx.refresh_from_db()
    assert (ghx.status, ghx.merged_into) == (VendorStatus.INACTIVE, erp)
    assert sorted(SourceReference.objects.filter(vendor=erp).values_list("system", flat=True)) == [
        "ERP",
        "GHX",
        "OR-INV",
    ]
    moved = SourceReference.objects.get(system="GHX").history.latest()
    assert (moved.history_user, moved.history_change_reason) == (
        steward,
        f"merged into {erp.number}: same EIN and address",
    )
    event = OutboxEvent.objects.get(topic="vendor.merged")
    assert event.payload["survivor"] == erp.number
    assert event.payload["merged"] == ghx.number
    assert sorted(event.payload["source_references"]) == ["GHX:G-7", "OR-INV:55"]
    # The merged-away vendor's other pair is settled by the merge; the survivor's pair with the third stays open.
    assert _pair(ghx, third).status == DuplicateStatus.MERGED
    assert _pair(erp, third).status == DuplicateStatus.OPEN


def test_merge_needs_a_decider_a_note_and_a_survivor_of_the_pair(people, trio) -> None:
    erp, ghx, third = trio
    with pytest.raises(NotAllowedError):
        duplicate_candidate_merge(actor=people[Role.AP_CLERK], candidate=_pair(erp, ghx), survivor=erp, note="x")
    with pytest.raises(InvalidInputError):
        duplicate_candidate_merge(actor=people[Role.VENDOR_STEWARD], candidate=_pair(erp, ghx), survivor=erp, note=" ")
    with pytest.raises(InvalidInputError):
        duplicate_candidate_merge(
            actor=people[Role.VENDOR_STEWARD], candidate=_pair(erp, ghx), survivor=third, note="x"
        )
    assert Vendor.objects.get(pk=ghx.pk).merged_into is None


def test_a_vendor_with_an_open_change_request_is_not_merged_away(people, trio, north) -> None:
    erp, ghx, _third = trio
    steward = people[Role.VENDOR_STEWARD]
    vendor_change_request_submit(
        actor=steward, vendor=ghx, facility=north, proposal=VendorProposal(fields={"dba_name": "Acme"}), reason="x"
    )
    with pytest.raises(ApplicationError) as refused:
        duplicate_candidate_merge(actor=steward, candidate=_pair(erp, ghx), survivor=erp, note="same")
    assert refused.value.code == "open_change_request"


def test_a_dismissed_pair_is_decided_once(people, trio) -> None:
    erp, ghx, _third = trio
    steward = people[Role.VENDOR_STEWARD]
    duplicate_candidate_dismiss(actor=steward, candidate=_pair(erp, ghx), note="parent and subsidiary, paid apart")
    with pytest.raises(ApplicationError) as again:
        duplicate_candidate_merge(actor=steward, candidate=_pair(erp, ghx), survivor=erp, note="x")
    assert again.value.code == "candidate_not_open"
    vendor_duplicates_scan(actor="tests")
    assert _pair(erp, ghx).status == DuplicateStatus.DISMISSED
