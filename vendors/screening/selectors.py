"""Reads of exclusion screening: hits to work through, a vendor's screening evidence, confirmed exclusions."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from vendors.models import HitStatus, ScreeningHit, ScreeningResult, Vendor


def vendor_has_confirmed_exclusion(vendor_id: int) -> bool:
    """Whether a steward has confirmed the vendor on an exclusion list (it must not be paid or reactivated)."""
    return ScreeningHit.objects.filter(vendor_id=vendor_id, status=HitStatus.CONFIRMED).exists()


def screening_hits(*, status: str | None = None) -> QuerySet[ScreeningHit]:
    """Screening hits, open ones first (then confirmed, then cleared), newest first within each."""
    queryset = ScreeningHit.objects.select_related("vendor", "entry", "exclusion_list", "decided_by")
    if status is not None:
        queryset = queryset.filter(status=status)
    # The model's default ordering sorts status alphabetically, which would put open hits last.
    status_order = Case(
        When(status=HitStatus.OPEN, then=Value(0)),
        When(status=HitStatus.CONFIRMED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.annotate(status_order=status_order).order_by("status_order", "-found_at", "-id")


def vendor_screening_results(vendor: Vendor) -> QuerySet[ScreeningResult]:
    """A vendor's screening results, latest first."""
    return ScreeningResult.objects.filter(vendor=vendor).order_by("-screened_at", "-id")
