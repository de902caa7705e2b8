"""Rebuilding the finance summaries from the records (the only writes of this area)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Model, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from insights.finance.definitions import leakage_lines, spend_lines
from insights.finance.models import AccrualBalance, LeakageMonth, SpendMonth, SummaryKind, SummaryRefresh
from matching.models import (
    DocumentType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LineMatch,
    MatchType,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
)
from p2p_portal.models import Facility

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


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _analyze(cursor: Any, model: type[Model]) -> None:
    """Fresh planner statistics for a summary just rewritten (PostgreSQL; autovacuum would come minutes later)."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {_table(model)}")


def _accrual_sql() -> str:
    """One INSERT … SELECT for every interval of every three-way PO line: its receipts and live invoices summed per
    date, running totals in date order (window functions, on PostgreSQL and SQLite alike), each date's totals valid
    until the line's next date; the positive remainders are the accruals (definitions.balances says the same in
    Python). Rows are written open intervals first, so an as-of read of today's accruals touches few pages."""
    receipt_line, receipt, po_line, order, line_match, invoice_line, invoice = (
        _table(model)
        for model in (ReceiptLine, Receipt, PurchaseOrderLine, PurchaseOrder, LineMatch, InvoiceLine, Invoice)
    )
    return f"""
    WITH movements AS (
        SELECT rl.po_line_id AS po_line_id, r.received_on AS on_date, rl.quantity AS received, 0 AS invoiced
        FROM {receipt_line} rl JOIN {receipt} r ON r.id = rl.receipt_id
        JOIN {po_line} pl ON pl.id = rl.po_line_id
        WHERE pl.match_type = %(three_way)s
        UNION ALL
        SELECT lm.po_line_id, i.invoice_date, 0,
               CASE WHEN i.document_type = %(credit_memo)s THEN -lm.quantity ELSE lm.quantity END
        FROM {line_match} lm JOIN {invoice_line} il ON il.id = lm.invoice_line_id
        JOIN {invoice} i ON i.id = il.invoice_id
        JOIN {po_line} pl ON pl.id = lm.po_line_id
        WHERE pl.match_type = %(three_way)s AND i.status NOT IN (%(rejected)s, %(cancelled)s)
          AND UPPER(TRIM(il.unit_of_measure)) = UPPER(TRIM(pl.unit_of_measure))
    ),
    days AS (
        SELECT po_line_id, on_date, SUM(received) AS received, SUM(invoiced) AS invoiced
        FROM movements GROUP BY po_line_id, on_date
    ),
    running AS (
        SELECT po_line_id, on_date AS valid_from,
               LEAD(on_date) OVER (PARTITION BY po_line_id ORDER BY on_date) AS valid_until,
               SUM(received) OVER (PARTITION BY po_line_id ORDER BY on_date ROWS UNBOUNDED PRECEDING) AS received,
               SUM(invoiced) OVER (PARTITION BY po_line_id ORDER BY on_date ROWS UNBOUNDED PRECEDING) AS invoiced
        FROM days
    )
    INSERT INTO {_table(AccrualBalance)} (po_line_id, facility_id, vendor_id, cost_center_id, valid_from,
        valid_until, quantity_received, quantity_invoiced, quantity, amount)
    SELECT run.po_line_id, po.facility_id, po.vendor_id, pl.cost_center_id, run.valid_from, run.valid_until,
           run.received, run.invoiced, run.received - run.invoiced,
           ROUND((run.received - run.invoiced) * pl.unit_price, 2)
    FROM running run JOIN {po_line} pl ON pl.id = run.po_line_id JOIN {order} po ON po.id = pl.purchase_order_id
    WHERE run.received - run.invoiced > 0
    ORDER BY CASE WHEN run.valid_until IS NULL THEN 0 ELSE 1 END, po.facility_id, run.valid_until, run.po_line_id
    """  # noqa: S608 (the table names are our models', every value is a parameter)


@transaction.atomic
def accrual_balances_refresh(*, actor: Any) -> SummaryRefresh:
    """Rebuild every three-way PO line's received-not-invoiced intervals in one statement (readers see the old or
    the new summary whole)."""
    started = time.monotonic()
    AccrualBalance.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            _accrual_sql(),
            {
                "three_way": MatchType.THREE_WAY,
                "credit_memo": DocumentType.CREDIT_MEMO,
                "rejected": InvoiceStatus.REJECTED,
                "cancelled": InvoiceStatus.CANCELLED,
            },
        )
        _analyze(cursor, AccrualBalance)
    # Counted, not taken from rowcount: SQLite reports none for an INSERT that starts with WITH.
    return _refresh_record(SummaryKind.ACCRUALS, actor, AccrualBalance.objects.count(), started)


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
    with connection.cursor() as cursor:
        _analyze(cursor, SpendMonth)
        _analyze(cursor, LeakageMonth)
    return _refresh_record(SummaryKind.SPEND, actor, len(spend_rows) + len(leakage_rows), started)


def finance_summaries_refresh(*, actor: Any) -> list[SummaryRefresh]:
    """Rebuild both finance summaries (the beat task, the command and the demo call this), then vacuum them."""
    refreshed = [accrual_balances_refresh(actor=actor), spend_months_refresh(actor=actor)]
    _vacuum(AccrualBalance, SpendMonth, LeakageMonth)
    return refreshed


def _vacuum(*models: type[Model]) -> None:
    """VACUUM the rewritten summaries on PostgreSQL, outside any transaction (it cannot run in one): the dead rows
    of the previous build go, and the visibility map lets the accrual report read its covering index alone."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {_table(model)}")
