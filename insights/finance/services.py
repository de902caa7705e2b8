"""Rebuilding the finance summaries from the records (the only writes of this area)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from insights.finance.definitions import (
    balances,
    invoice_movements,
    leakage_lines,
    money,
    receipt_movements,
    spend_lines,
)
from insights.finance.models import AccrualBalance, LeakageMonth, SpendMonth, SummaryKind, SummaryRefresh
from matching.models import MatchType, PurchaseOrderLine, ReceiptLine
from p2p_portal.models import Facility

CHUNK = 5000  # PO lines per pass: bounds memory whatever the size of the history
WRITE_BATCH = 2000
EVERYTHING = (date(1900, 1, 1), date(9999, 12, 31))  # the whole history


def _actor_name(actor: Any) -> str:
    return str(getattr(actor, "username", None) or actor)[:150]


def _refresh_record(kind: SummaryKind, actor: Any, rows: int, started: float) -> SummaryRefresh:
    refresh, _created = SummaryRefresh.objects.update_or_create(
        kind=kind,
        defaults={
            "refreshed_at": timezone.now(),
            "refreshed_by": _actor_name(actor),
            "rows": rows,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return refresh


def _received_line_chunks() -> Iterator[list[int]]:
    """Three-way PO lines that ever received something, in id order and chunks (only they can accrue)."""
    ids = (
        ReceiptLine.objects.filter(po_line__match_type=MatchType.THREE_WAY)
        .order_by("po_line_id")
        .values_list("po_line_id", flat=True)
        .distinct()
    )
    chunk: list[int] = []
    for po_line_id in ids.iterator(chunk_size=CHUNK):
        chunk.append(po_line_id)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@transaction.atomic
def accrual_balances_refresh(*, actor: Any) -> SummaryRefresh:
    """Rebuild every three-way PO line's received-not-invoiced intervals (readers see the old or the new whole)."""
    started = time.monotonic()
    AccrualBalance.objects.all().delete()
    rows = 0
    for chunk in _received_line_chunks():
        lines = {
            line["pk"]: line
            for line in PurchaseOrderLine.objects.filter(pk__in=chunk).values(
                "pk", "unit_price", "cost_center_id", "purchase_order__facility_id", "purchase_order__vendor_id"
            )
        }
        found = balances([*receipt_movements(chunk), *invoice_movements(chunk)])
        records = [
            AccrualBalance(
                po_line_id=balance.po_line_id,
                facility_id=lines[balance.po_line_id]["purchase_order__facility_id"],
                vendor_id=lines[balance.po_line_id]["purchase_order__vendor_id"],
                cost_center_id=lines[balance.po_line_id]["cost_center_id"],
                valid_from=balance.valid_from,
                valid_until=balance.valid_until,
                quantity_received=balance.received,
                quantity_invoiced=balance.invoiced,
                quantity=balance.accrued,
                amount=money(balance.accrued * lines[balance.po_line_id]["unit_price"]),
            )
            for balance in found
        ]
        AccrualBalance.objects.bulk_create(records, batch_size=WRITE_BATCH)
        rows += len(records)
    return _refresh_record(SummaryKind.ACCRUALS, actor, rows, started)


@transaction.atomic
def spend_months_refresh(*, actor: Any) -> SummaryRefresh:
    """Rebuild the monthly spend and leakage of every facility from the paid invoice lines."""
    started = time.monotonic()
    facility_ids = list(Facility.objects.values_list("pk", flat=True))
    date_from, date_to = EVERYTHING
    SpendMonth.objects.all().delete()
    LeakageMonth.objects.all().delete()
    spend = (
        spend_lines(facility_ids=facility_ids, date_from=date_from, date_to=date_to)
        .annotate(month=TruncMonth("invoice__invoice_date"))
        .values("month", "invoice__facility_id", "invoice__vendor_id", "category", "po_backed")
        .annotate(amount=Sum("spend"), lines=Count("pk"))
        .order_by()
    )
    spend_rows = [
        SpendMonth(
            month=row["month"],
            facility_id=row["invoice__facility_id"],
            vendor_id=row["invoice__vendor_id"],
            category=row["category"],
            po_backed=bool(row["po_backed"]),
            amount=row["amount"],
            lines=row["lines"],
        )
        for row in spend.iterator()
    ]
    SpendMonth.objects.bulk_create(spend_rows, batch_size=WRITE_BATCH)
    leakage = (
        leakage_lines(facility_ids=facility_ids, date_from=date_from, date_to=date_to)
        .annotate(month=TruncMonth("invoice__invoice_date"))
        .values("month", "invoice__facility_id", "invoice__vendor_id", "item")
        .annotate(amount=Sum("leakage"), lines=Count("pk"))
        .order_by()
    )
    leakage_rows = [
        LeakageMonth(
            month=row["month"],
            facility_id=row["invoice__facility_id"],
            vendor_id=row["invoice__vendor_id"],
            item=row["item"],
            amount=row["amount"],
            lines=row["lines"],
        )
        for row in leakage.iterator()
    ]
    LeakageMonth.objects.bulk_create(leakage_rows, batch_size=WRITE_BATCH)
    return _refresh_record(SummaryKind.SPEND, actor, len(spend_rows) + len(leakage_rows), started)


def finance_summaries_refresh(*, actor: Any) -> list[SummaryRefresh]:
    """Rebuild both finance summaries (the beat task, the command and the demo call this)."""
    return [accrual_balances_refresh(actor=actor), spend_months_refresh(actor=actor)]
