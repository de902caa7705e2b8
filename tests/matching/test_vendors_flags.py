"""The batch matcher's `vendors_flags` reads the supplier master exactly as `vendor_flags` does, one vendor at a time:
inactive, excluded (a confirmed screening hit) and in a bank change's cooling-off."""

from __future__ import annotations

import pytest
from django.utils import timezone

from matching.services.batch_match import vendors_flags
from p2p_portal.audit.context import acting_as
from tests.vendors.factories import make_vendor
from tests.vendors.test_pages import hit, vendor  # noqa: F401 (fixtures: a vendor with an open screening hit)
from vendors.models import HitStatus, ScreeningHit, Vendor, VendorStatus
from vendors.selectors import vendor_flags

pytestmark = pytest.mark.django_db


def _same_as_one_at_a_time(vendors: list[Vendor]) -> dict[int, tuple[str, ...]]:
    """The batch answer, after checking it against `vendor_flags` for each vendor."""
    found = vendors_flags({each.pk for each in vendors})
    for each in vendors:
        assert found[each.pk] == tuple(vendor_flags(Vendor.objects.get(pk=each.pk))), each
    return found


def test_every_flag_and_none_as_vendor_flags_says(hit: ScreeningHit) -> None:  # noqa: F811
    clean = make_vendor("Clean Supplies LLC")
    held = make_vendor("Held Supplies LLC", status=VendorStatus.ON_HOLD)
    cooling = make_vendor("Cooling Supplies LLC")
    cooling.bank_changed_at = timezone.now()
    with acting_as("tests", reason="test data"):
        cooling.save()
    vendors = [clean, held, cooling, hit.vendor]

    before = _same_as_one_at_a_time(vendors)
    assert before[clean.pk] == ()
    assert before[held.pk] == ("vendor_not_active",)
    assert before[cooling.pk] == ("bank_unverified",)
    assert before[hit.vendor_id] == ()  # an open hit is not an exclusion yet

    ScreeningHit.objects.filter(pk=hit.pk).update(status=HitStatus.CONFIRMED)
    assert _same_as_one_at_a_time(vendors)[hit.vendor_id] == ("vendor_excluded",)


def test_no_vendor_no_query_result() -> None:
    assert vendors_flags(set()) == {}
