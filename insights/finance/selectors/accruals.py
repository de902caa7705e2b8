"""Scoped reads of the accrual report: received-not-invoiced as of a date, from the accrual balance summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from insights.filters import ReportFilters
from insights.finance.models import AccrualBalance
from insights.finance.selectors.common import NONE, Group
from p2p_portal.models import CostCenter
from vendors.models import Vendor

ZERO = Decimal(0)


def accrual_balances(*, filters: ReportFilters, as_of: date) -> QuerySet[AccrualBalance]:
    """The PO lines accruing as of the date at the filters' facilities (one row each)."""
    rows = AccrualBalance.objects.filter(facility_id__in=filters.facility_ids)
    if connection.vendor == "postgresql":
        # The GiST index of migration 0002 answers "which intervals hold this date" directly.
        return rows.extra(where=["daterange(valid_from, valid_until) @> %s::date"], params=[as_of])
    return rows.filter(valid_from__lte=as_of).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=as_of))


@dataclass(frozen=True)
class AccrualReport:
    """The accrual as of a date: its total and its breakdowns by facility, cost center and vendor."""

    as_of: date
    amount: Decimal
    lines: int
    by_facility: tuple[Group, ...]
    by_cost_center: tuple[Group, ...]
    by_vendor: tuple[Group, ...]


def accrual_report(*, filters: ReportFilters, as_of: date) -> AccrualReport:
    """Received-not-invoiced as of the date, by facility, cost center and vendor: one grouped read of the balances
    (by all three at once, rolled up here), then the names of the cost centers and vendors it found."""
    cells = list(
        accrual_balances(filters=filters, as_of=as_of)
        .order_by()
        .values_list("facility_id", "cost_center_id", "vendor_id")
        .annotate(total=Sum("amount"), n=Count("pk"))
    )
    by_facility: dict[Any, list[Any]] = {}
    by_cost_center: dict[Any, list[Any]] = {}
    by_vendor: dict[Any, list[Any]] = {}
    for facility_id, cost_center_id, vendor_id, total, count in cells:
        for bucket, key in (
            (by_facility, facility_id),
            (by_cost_center, (facility_id, cost_center_id)),
            (by_vendor, vendor_id),
        ):
            sums = bucket.setdefault(key, [ZERO, 0])
            sums[0] += total
            sums[1] += count
    facilities = {facility.pk: facility for facility in filters.visible}
    cost_centers = {
        center.pk: center for center in CostCenter.objects.filter(pk__in=[c for _f, c in by_cost_center if c])
    }
    vendors = {
        pk: (name, number)
        for pk, name, number in Vendor.objects.filter(pk__in=list(by_vendor)).values_list("pk", "legal_name", "number")
    }
    facility_groups = sorted(
        (
            Group(str(key), facilities[key].code, facilities[key].name, Decimal(t), int(n))
            for key, (t, n) in by_facility.items()
        ),
        key=lambda group: group.label,
    )
    center_groups = sorted(
        (
            Group(
                str(center) if center else NONE,
                cost_centers[center].code if center else "No cost center",
                f"{facilities[facility].code} · {cost_centers[center].name}" if center else facilities[facility].code,
                Decimal(t),
                int(n),
                facility=facilities[facility].code,
            )
            for (facility, center), (t, n) in by_cost_center.items()
        ),
        key=lambda group: (-group.amount, group.facility, group.label),
    )
    vendor_groups = sorted(
        (Group(str(key), vendors[key][0], vendors[key][1], Decimal(t), int(n)) for key, (t, n) in by_vendor.items()),
        key=lambda group: (-group.amount, group.label),
    )
    return AccrualReport(
        as_of=as_of,
        amount=sum((group.amount for group in facility_groups), ZERO),
        lines=sum(group.count for group in facility_groups),
        by_facility=tuple(facility_groups),
        by_cost_center=tuple(center_groups),
        by_vendor=tuple(vendor_groups),
    )


def accrual_lines(
    *, filters: ReportFilters, as_of: date, cost_center: int | str | None = None, vendor: int | str | None = None
) -> QuerySet[AccrualBalance]:
    """The PO lines behind an accrual figure (narrowed to a cost center or NONE, and/or a vendor), largest first."""
    rows = accrual_balances(filters=filters, as_of=as_of)
    if cost_center == NONE:
        rows = rows.filter(cost_center__isnull=True)
    elif isinstance(cost_center, int):
        rows = rows.filter(cost_center_id=cost_center)
    if vendor == NONE:
        rows = rows.none()  # a PO always has a vendor
    elif isinstance(vendor, int):
        rows = rows.filter(vendor_id=vendor)
    return rows.select_related("po_line__purchase_order", "facility", "vendor", "cost_center").order_by("-amount", "pk")


def accrual_lines_totals(rows: QuerySet[AccrualBalance]) -> tuple[int, Decimal]:
    """How many PO lines a drill-down lists and their amount."""
    totals = rows.order_by().aggregate(n=Count("pk"), total=Sum("amount"))
    return totals["n"], totals["total"] or ZERO
