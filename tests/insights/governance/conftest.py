"""A known supplier master for the governance dashboard: change requests of every age at two facilities, vendors in
and just out of cooling-off, duplicate pairs and screening hits of every status, vendors from two source systems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from p2p_portal.roles import Role
from tests.factories import make_user_with_role
from tests.vendors.factories import make_vendor
from vendors.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    DuplicateCandidate,
    DuplicateStatus,
    ExclusionEntry,
    ExclusionList,
    HitStatus,
    ScreeningHit,
    SourceReference,
    Vendor,
    VendorStatus,
)


@dataclass
class Master:
    """The data set and the moment it was built around."""

    now: datetime
    vendors: list[Vendor]
    steward_north: User
    steward_south: User


def _change(vendor: Vendor, facility, steward: User, age: timedelta, **fields) -> ChangeRequest:
    return ChangeRequest.objects.create(
        kind=fields.pop("kind", ChangeKind.UPDATE),
        vendor=vendor,
        facility=facility,
        status=fields.pop("status", ChangeStatus.PENDING),
        reason="test",
        submitted_by=steward,
        submitted_at=timezone.now() - age,
        **fields,
    )


@pytest.fixture
def master(north, south) -> Master:
    now = timezone.now()
    steward_north = make_user_with_role("gov-steward-n", Role.VENDOR_STEWARD, north)
    steward_south = make_user_with_role("gov-steward-s", Role.VENDOR_STEWARD, south)
    statuses = [VendorStatus.ACTIVE] * 4 + [VendorStatus.ON_HOLD, VendorStatus.BLOCKED]
    vendors = [make_vendor(f"Governance Vendor {index} Inc", status=status) for index, status in enumerate(statuses)]
    hours = timedelta(hours=1)
    # North: two in 0-2 days (one just under 3 days), one exactly 3 days (3-7), one 10 days, one 40 days;
    # an applied request (not pending) and a bank change; South: one pending (never counted for North).
    _change(vendors[0], north, steward_north, timedelta(minutes=5))
    _change(vendors[1], north, steward_north, timedelta(days=3) - hours)
    _change(vendors[2], north, steward_north, timedelta(days=3, minutes=1))
    _change(vendors[3], north, steward_north, timedelta(days=10), kind=ChangeKind.BANK_ACCOUNT)
    _change(vendors[4], north, steward_north, timedelta(days=40))
    _change(vendors[5], north, steward_north, timedelta(days=50), status=ChangeStatus.APPLIED)
    _change(vendors[5], south, steward_south, timedelta(days=1), kind=ChangeKind.BANK_ACCOUNT)
    # Cooling-off of 5 days (the default): in at 1 day and at 4 days 23 hours, out at 5 days 1 hour.
    for vendor, age in ((vendors[0], timedelta(days=1)), (vendors[1], timedelta(days=5) - hours)):
        Vendor.objects.filter(pk=vendor.pk).update(bank_changed_at=now - age)
    Vendor.objects.filter(pk=vendors[2].pk).update(bank_changed_at=now - timedelta(days=5) - hours)
    for (a, b), status in zip(
        ((0, 1), (0, 2), (1, 2), (3, 4), (2, 5)),
        (DuplicateStatus.OPEN, DuplicateStatus.OPEN, DuplicateStatus.MERGED, DuplicateStatus.DISMISSED, "open"),
        strict=True,
    ):
        DuplicateCandidate.objects.create(
            vendor_a=vendors[a], vendor_b=vendors[b], score=Decimal("0.9"), status=status, found_at=now
        )
    leie = ExclusionList.objects.create(
        source="leie", version="2026-11", file_name="UPDATED.csv", file_sha256="0" * 64, row_count=3, imported_at=now
    )
    for row, (vendor, status) in enumerate(
        ((vendors[0], HitStatus.OPEN), (vendors[4], HitStatus.OPEN), (vendors[5], HitStatus.CLEARED)), start=1
    ):
        entry = ExclusionEntry.objects.create(exclusion_list=leie, row_number=row, name=vendor.legal_name, name_key="x")
        ScreeningHit.objects.create(
            vendor=vendor,
            entry=entry,
            exclusion_list=leie,
            match_kind="name_state",
            score=Decimal("0.95"),
            detail="name",
            status=status,
            found_at=now,
        )
    # ERP knows vendors 0-2 (vendor 0 twice), GHX knows 2 and 3; 4 and 5 have no reference.
    for system, external_id, vendor in (
        ("ERP", "E1", vendors[0]),
        ("ERP", "E1b", vendors[0]),
        ("ERP", "E2", vendors[1]),
        ("ERP", "E3", vendors[2]),
        ("GHX", "G3", vendors[2]),
        ("GHX", "G4", vendors[3]),
    ):
        SourceReference.objects.create(system=system, external_id=external_id, vendor=vendor, last_seen_at=now)
    return Master(now=now, vendors=vendors, steward_north=steward_north, steward_south=steward_south)
