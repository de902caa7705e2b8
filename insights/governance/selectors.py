"""Scoped reads of the vendor governance dashboard and the drill-down lists behind its figures.

Scoping follows the supplier master's own rule (vendors/access.py, vendors/selectors.py): change requests belong to
the facility they were raised at, so they count only at the reader's chosen or visible facilities; vendors, their
bank changes, duplicate candidates, screening hits and source references are network-wide (one golden record for
every facility), so every governance reader sees the same figures for them whatever facility is chosen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from insights.filters import ReportFilters
from vendors.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    DuplicateCandidate,
    DuplicateStatus,
    HitStatus,
    ScreeningHit,
    SourceReference,
    Vendor,
    VendorStatus,
)

# Age of a pending change request since it was submitted: (key, label, at least days, under days or None).
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0-2", "0 to 2 days", 0, 3),
    ("3-7", "3 to 7 days", 3, 8),
    ("8-14", "8 to 14 days", 8, 15),
    ("15-30", "15 to 30 days", 15, 31),
    ("31+", "over 30 days", 31, None),
)
BUCKET_KEYS = tuple(key for key, _label, _low, _high in AGE_BUCKETS)
# The drill-down's stand-in for "vendors with no source reference" (created in the portal itself).
NO_SOURCE = "none"


@dataclass(frozen=True)
class Bucket:
    """How many pending change requests are of one age."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Tally:
    """A count of one value of a field (a status, a kind, a source system)."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class GovernanceFigures:
    """Every figure of the vendor governance dashboard, as of one moment."""

    as_of: datetime
    pending_total: int
    pending_by_age: tuple[Bucket, ...]
    pending_by_kind: tuple[Tally, ...]
    cooling_off: int
    cooling_off_days: int
    duplicates: tuple[Tally, ...]
    screening_open: int
    vendors_by_status: tuple[Tally, ...]
    vendors_by_source: tuple[Tally, ...]
    vendors_total: int


def _bucket_condition(key: str, now: datetime) -> Q:
    """Submitted long enough ago to fall into bucket `key` (lower bound inclusive, upper exclusive, in days)."""
    for bucket_key, _label, low, high in AGE_BUCKETS:
        if bucket_key == key:
            condition = Q(submitted_at__lte=now - timedelta(days=low))
            if high is not None:
                condition &= Q(submitted_at__gt=now - timedelta(days=high))
            return condition
    raise ValueError(f"no age bucket {key!r}")


def governance_change_requests(
    *, filters: ReportFilters, now: datetime, status: str = ChangeStatus.PENDING, bucket: str = "", kind: str = ""
) -> QuerySet[ChangeRequest]:
    """Change requests raised at the filters' facilities, optionally of one age bucket and kind, oldest first."""
    requests = ChangeRequest.objects.filter(facility__in=filters.facility_ids)
    if status:
        requests = requests.filter(status=status)
    if bucket:
        requests = requests.filter(_bucket_condition(bucket, now))
    if kind:
        requests = requests.filter(kind=kind)
    return requests.select_related("vendor", "facility", "submitted_by").order_by("submitted_at", "id")


def cooling_off_start(now: datetime) -> datetime:
    """Vendors whose bank account changed after this moment are still in cooling-off (vendors.selectors' rule)."""
    return now - timedelta(days=settings.BANK_CHANGE_COOLING_OFF_DAYS)


def governance_cooling_off_vendors(*, filters: ReportFilters, now: datetime) -> QuerySet[Vendor]:
    """Vendors whose last bank change is still in cooling-off, latest change first (network-wide)."""
    del filters  # vendors are one record for every facility; the reader was checked by report_filters
    return Vendor.objects.filter(bank_changed_at__gt=cooling_off_start(now), bank_changed_at__lte=now).order_by(
        "-bank_changed_at", "number"
    )


def governance_source_vendors(*, filters: ReportFilters, system: str) -> QuerySet[Vendor]:
    """Vendors with a cross-reference from one source system (or, for `none`, with no reference), by number."""
    del filters  # network-wide, as above
    if system == NO_SOURCE:
        vendors = Vendor.objects.filter(source_references__isnull=True)
    else:
        vendors = Vendor.objects.filter(pk__in=SourceReference.objects.filter(system=system).values("vendor_id"))
    return vendors.order_by("number")


def governance_figures(*, filters: ReportFilters, now: datetime) -> GovernanceFigures:
    """The dashboard's figures: seven aggregate queries whatever the size of the master."""
    pending = ChangeRequest.objects.filter(facility__in=filters.facility_ids, status=ChangeStatus.PENDING)
    ages = pending.aggregate(
        total=Count("id"), **{key: Count("id", filter=_bucket_condition(key, now)) for key in BUCKET_KEYS}
    )
    kinds = dict(pending.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    duplicates = dict(
        DuplicateCandidate.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    statuses = dict(Vendor.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    sources = dict(
        SourceReference.objects.values_list("system")
        .annotate(n=Count("vendor_id", distinct=True))
        .values_list("system", "n")
    )
    without_source = Vendor.objects.filter(source_references__isnull=True).count()
    by_source = [Tally(system, system, count) for system, count in sorted(sources.items())]
    if without_source:
        by_source.append(Tally(NO_SOURCE, "none (created in the portal)", without_source))
    return GovernanceFigures(
        as_of=now,
        pending_total=ages["total"],
        pending_by_age=tuple(Bucket(key, label, ages[key]) for key, label, _low, _high in AGE_BUCKETS),
        pending_by_kind=tuple(Tally(value, str(label), kinds.get(value, 0)) for value, label in ChangeKind.choices),
        cooling_off=governance_cooling_off_vendors(filters=filters, now=now).count(),
        cooling_off_days=settings.BANK_CHANGE_COOLING_OFF_DAYS,
        duplicates=tuple(
            Tally(value, str(label), duplicates.get(value, 0)) for value, label in DuplicateStatus.choices
        ),
        screening_open=ScreeningHit.objects.filter(status=HitStatus.OPEN).count(),
        vendors_by_status=tuple(
            Tally(value, str(label), statuses.get(value, 0)) for value, label in VendorStatus.choices
        ),
        vendors_by_source=tuple(by_source),
        vendors_total=sum(statuses.values()),
    )
