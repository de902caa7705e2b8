"""The finance figures as defined, computed directly from the records (receipt lines, invoice lines, line matches).
The summaries are built from these and the tests compare the summaries with them; docs/insights-finance.md says
the same in words.

Accrual (received, not invoiced) of a three-way PO line as of a date D:
    received(D) = sum of its receipt lines on receipts dated on or before D (returns are negative lines)
    invoiced(D) = sum of its line matches on invoices dated on or before D that are not rejected or cancelled,
                  credit memos counted negative (quantities in the PO line's unit; a line in another unit, which
                  matching could not convert, settles nothing)
    accrued quantity = received(D) - invoiced(D) when positive, else nothing; amount = quantity x PO unit price.
Two-way lines are not accrued: nothing is received on them as far as matching is concerned.

Spend: invoice lines of invoices in SPEND_STATUSES, credit memo lines negative, by invoice-date month.
Leakage: the extended price variance of invoice lines (not credit memos) of invoices in SPEND_STATUSES whose unit
price, in the PO line's unit, is above the PO line's unit price."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, CharField, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Abs, Coalesce, NullIf, Substr, Trim, Upper

from matching.models import DocumentType, InvoiceLine, InvoiceStatus, LineMatch, MatchType, ReceiptLine

ZERO = Decimal(0)
CENT = Decimal("0.01")
# An invoice that will never be paid does not settle a receipt.
NOT_INVOICED = (InvoiceStatus.REJECTED, InvoiceStatus.CANCELLED)
# Paid spend: cleared by matching or an approver (approved), accepted by the ERP (posted), or paid. Earlier
# statuses may still be rejected; rejected and cancelled invoices are never paid.
SPEND_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.POSTED, InvoiceStatus.PAID)
MONEY = DecimalField(max_digits=16, decimal_places=2)


def money(value: Decimal) -> Decimal:
    """An amount rounded to the cent, half up (as the ERP books it)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Movement:
    """A dated change of a PO line's received or invoiced quantity."""

    po_line_id: int
    on: date
    received: Decimal
    invoiced: Decimal


def receipt_movements(
    po_line_ids: Iterable[int] | None = None, *, facility_ids: Sequence[int] | None = None, until: date | None = None
) -> Iterable[Movement]:
    """Quantities received (returns negative) on three-way PO lines, by receipt date."""
    lines = ReceiptLine.objects.filter(po_line__match_type=MatchType.THREE_WAY)
    if po_line_ids is not None:
        lines = lines.filter(po_line_id__in=list(po_line_ids))
    if facility_ids is not None:
        lines = lines.filter(receipt__facility_id__in=facility_ids)
    if until is not None:
        lines = lines.filter(receipt__received_on__lte=until)
    for po_line_id, on, quantity in lines.values_list("po_line_id", "receipt__received_on", "quantity"):
        yield Movement(po_line_id, on, quantity, ZERO)


def invoice_movements(
    po_line_ids: Iterable[int] | None = None, *, facility_ids: Sequence[int] | None = None, until: date | None = None
) -> Iterable[Movement]:
    """Quantities invoiced (credit memos negative) on three-way PO lines by live invoices, by invoice date."""
    # A line in another unit than its PO line's (uom_mismatch: matching knows no conversion) settles nothing, as
    # in matching's own running totals.
    matches = (
        LineMatch.objects.filter(po_line__match_type=MatchType.THREE_WAY)
        .exclude(invoice_line__invoice__status__in=NOT_INVOICED)
        .annotate(
            invoiced_unit=Upper(Trim("invoice_line__unit_of_measure")),
            ordered_unit=Upper(Trim("po_line__unit_of_measure")),
        )
        .filter(invoiced_unit=F("ordered_unit"))
    )
    if po_line_ids is not None:
        matches = matches.filter(po_line_id__in=list(po_line_ids))
    if facility_ids is not None:
        matches = matches.filter(po_line__purchase_order__facility_id__in=facility_ids)
    if until is not None:
        matches = matches.filter(invoice_line__invoice__invoice_date__lte=until)
    for po_line_id, on, kind, quantity in matches.values_list(
        "po_line_id", "invoice_line__invoice__invoice_date", "invoice_line__invoice__document_type", "quantity"
    ):
        yield Movement(po_line_id, on, ZERO, -quantity if kind == DocumentType.CREDIT_MEMO else quantity)


@dataclass(frozen=True)
class Balance:
    """What a PO line has received and been invoiced from `valid_from` until the day before `valid_until`."""

    po_line_id: int
    valid_from: date
    valid_until: date | None
    received: Decimal
    invoiced: Decimal

    @property
    def accrued(self) -> Decimal:
        return self.received - self.invoiced


def balances(movements: Iterable[Movement]) -> list[Balance]:
    """Each PO line's running received and invoiced totals as intervals between the dates they changed on; only
    intervals with something received and not invoiced are kept (they are the accruals)."""
    by_line: dict[int, dict[date, list[Decimal]]] = defaultdict(dict)
    for movement in movements:
        day = by_line[movement.po_line_id].setdefault(movement.on, [ZERO, ZERO])
        day[0] += movement.received
        day[1] += movement.invoiced
    found: list[Balance] = []
    for po_line_id, days in by_line.items():
        received = invoiced = ZERO
        dates = sorted(days)
        for position, on in enumerate(dates):
            received += days[on][0]
            invoiced += days[on][1]
            if received - invoiced > 0:
                until = dates[position + 1] if position + 1 < len(dates) else None
                found.append(Balance(po_line_id, on, until, received, invoiced))
    return found


def accruals_direct(*, as_of: date, facility_ids: Sequence[int]) -> dict[int, Balance]:
    """The accruing PO lines as of a date at these facilities, straight from receipts and invoices (by PO line)."""
    movements = [
        *receipt_movements(facility_ids=facility_ids, until=as_of),
        *invoice_movements(facility_ids=facility_ids, until=as_of),
    ]
    latest: dict[int, Balance] = {}
    for balance in balances(movements):
        if balance.valid_until is None:
            latest[balance.po_line_id] = balance
    return latest


def signed_amount() -> Case:
    """An invoice line's amount as spend: a credit memo's lines give money back, whatever sign the vendor wrote."""
    return Case(
        When(invoice__document_type=DocumentType.CREDIT_MEMO, then=-Abs(F("amount"))),
        default=F("amount"),
        output_field=MONEY,
    )


def spend_lines(*, facility_ids: Sequence[int], date_from: date, date_to: date) -> QuerySet[InvoiceLine]:
    """The invoice lines that are paid spend at these facilities, invoices dated in the range (both ends in), with
    `spend` (signed amount), `category` (UNSPSC of the matched PO line, '' when none) and `po_backed`."""
    return InvoiceLine.objects.filter(
        invoice__facility_id__in=facility_ids,
        invoice__status__in=SPEND_STATUSES,
        invoice__invoice_date__gte=date_from,
        invoice__invoice_date__lte=date_to,
    ).annotate(
        spend=signed_amount(),
        category=Coalesce(F("match__po_line__category"), Value(""), output_field=CharField()),
        po_backed=Case(When(invoice__purchase_order__isnull=False, then=Value(True)), default=Value(False)),
    )


def leakage_lines(*, facility_ids: Sequence[int], date_from: date, date_to: date) -> QuerySet[InvoiceLine]:
    """The paid invoice lines priced above their PO line's unit price, with `leakage` (the extended variance) and
    `item` (the PO line's item code, else the first 60 characters of its description)."""
    return (
        InvoiceLine.objects.filter(
            invoice__facility_id__in=facility_ids,
            invoice__status__in=SPEND_STATUSES,
            invoice__document_type=DocumentType.INVOICE,
            invoice__invoice_date__gte=date_from,
            invoice__invoice_date__lte=date_to,
        )
        .filter(Q(match__po_line__isnull=False) & Q(match__price_variance__gt=0))
        .annotate(
            leakage=F("match__extended_price_variance"),
            item=Coalesce(
                NullIf(F("match__po_line__item_code"), Value("")),
                Substr(F("match__po_line__description"), 1, 60),
                output_field=CharField(),
            ),
        )
    )


def total(queryset: QuerySet[InvoiceLine], field: str) -> Decimal:
    """The sum of an annotated amount over the lines (0 for none)."""
    return queryset.aggregate(total=Sum(field))["total"] or ZERO
