"""Scoped reads of the accrual report: received-not-invoiced as of a date, from the accrual balance summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from insights.filters import ReportFilters
from insights.finance.models import AccrualBalance
from insights.finance.selectors.common import NONE, Group

ZERO = Decimal(0)


def accrual_balances(*, filters: ReportFilters, as_of: date) -> QuerySet[AccrualBalance]:
    """The PO lines accruing as of the date at the filters' facilities (one row each)."""
    return AccrualBalance.objects.filter(facility_id__in=filters.facility_ids, valid_from__lte=as_of).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=as_of)
    )


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
    """Received-not-invoiced as of the date, by facility, cost center and vendor (three grouped queries)."""
    rows = accrual_balances(filters=filters, as_of=as_of).order_by()
    facilities = [
        Group(str(row["facility_id"]), row["facility__code"], row["facility__name"], row["total"], row["n"])
        for row in rows.values("facility_id", "facility__code", "facility__name")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("facility__code")
    ]
    cost_centers = [
        Group(
            str(row["cost_center_id"] or NONE),
            row["cost_center__code"] or "No cost center",
            f"{row['facility__code']} · {row['cost_center__name']}" if row["cost_center_id"] else row["facility__code"],
            row["total"],
            row["n"],
            facility=row["facility__code"],
        )
        for row in rows.values("cost_center_id", "cost_center__code", "cost_center__name", "facility__code")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("-total", "facility__code", "cost_center__code")
    ]
    vendors = [
        Group(str(row["vendor_id"]), row["vendor__legal_name"], row["vendor__number"], row["total"], row["n"])
        for row in rows.values("vendor_id", "vendor__legal_name", "vendor__number")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by("-total", "vendor__legal_name")
    ]
    return AccrualReport(
        as_of=as_of,
        amount=sum((group.amount for group in facilities), ZERO),
        lines=sum(group.count for group in facilities),
        by_facility=tuple(facilities),
        by_cost_center=tuple(cost_centers),
        by_vendor=tuple(vendors),
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
    return rows.select_related("po_line__purchase_order", "facility", "vendor", "cost_center").order_by(
        "-amount", "po_line_id"
    )


def accrual_lines_totals(rows: QuerySet[AccrualBalance]) -> tuple[int, Decimal]:
    """How many PO lines a drill-down lists and their amount."""
    totals = rows.order_by().aggregate(n=Count("pk"), total=Sum("amount"))
    return totals["n"], totals["total"] or ZERO
