"""The finance figures computed straight from the records equal the numbers worked out by hand on the known data
set, and the summaries equal the direct computation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Q

from insights.finance.definitions import accruals_direct, leakage_lines, money, spend_lines, total
from insights.finance.models import AccrualBalance, LeakageMonth, SpendMonth
from insights.finance.services import accrual_balances_refresh, spend_months_refresh
from matching.models import InvoiceStatus, PurchaseOrderLine
from tests.insights.finance.conftest import AS_OF, FinanceData

pytestmark = pytest.mark.django_db


def test_the_data_set_is_in_the_states_the_figures_assume(finance_data: FinanceData) -> None:
    statuses = {number: invoice.status for number, invoice in finance_data.invoices.items()}
    assert statuses == {
        "INV-1": InvoiceStatus.APPROVED,
        "INV-2": InvoiceStatus.APPROVED,
        "CM-1": InvoiceStatus.APPROVED,
        "INV-3": InvoiceStatus.REJECTED,
        "INV-4": InvoiceStatus.APPROVED,
        "INV-5": InvoiceStatus.CANCELLED,
        "INV-6": InvoiceStatus.POSTED,
        "INV-7": InvoiceStatus.APPROVED,
        "INV-8": InvoiceStatus.PAID,
        "INV-9": InvoiceStatus.APPROVED,
        "INV-10": InvoiceStatus.EXCEPTION,
        "INV-11": InvoiceStatus.EXCEPTION,
    }


def test_accruals_as_of_the_month_end_follow_the_definition(finance_data: FinanceData) -> None:
    """PO-1/1: received 60 - 5 returned (GR-3 is in December) = 55; invoiced 30 + 10 - 5 credited = 35 (INV-4 is in
    December, INV-5 cancelled): 20 x 10.00. PO-1/3: received 10, invoiced 2 (INV-10, held in exception: still
    invoiced; INV-3 rejected): 8 x 31.00. PO-1/2 is two-way: not accrued. PO-2/1: received 20 of 50, invoiced 5:
    15 x 12.00. SOUTH's PO-3 is not NORTH's."""
    found = accruals_direct(as_of=AS_OF, facility_ids=[finance_data.north.pk])
    by_line = {
        po_line_id: (balance.received, balance.invoiced, balance.accrued) for po_line_id, balance in found.items()
    }
    gloves, _saline, pumps = finance_data.po1.lines.order_by("line_number")
    drapes = finance_data.po2.lines.get()
    assert by_line == {
        gloves.pk: (Decimal(55), Decimal(35), Decimal(20)),
        pumps.pk: (Decimal(10), Decimal(2), Decimal(8)),
        drapes.pk: (Decimal(20), Decimal(5), Decimal(15)),
    }


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2026, 11, 4), Decimal(0)),  # nothing received yet
        (date(2026, 11, 5), Decimal("910.00")),  # 60 x 10 + 10 x 31
        (date(2026, 11, 22), Decimal("740.00")),  # gloves 55 - 30 = 25 (INV-5 cancelled) 250, pumps 310, drapes 180
        (AS_OF, Decimal("628.00")),  # 200 + 248 + 180
        (date(2026, 12, 10), Decimal("828.00")),  # gloves 85 - 45 = 40; pumps 248; drapes 180
    ],
)
def test_the_summary_equals_the_direct_accrual_on_every_date(finance_data: FinanceData, as_of: date,
                                                             expected: Decimal) -> None:  # fmt: skip
    accrual_balances_refresh(actor="tests")
    facility_ids = [finance_data.north.pk]
    direct = accruals_direct(as_of=as_of, facility_ids=facility_ids)
    direct_amount = sum(
        (money(balance.accrued * PurchaseOrderLine.objects.get(pk=key).unit_price) for key, balance in direct.items()),
        Decimal(0),
    )
    rows = AccrualBalance.objects.filter(facility_id__in=facility_ids, valid_from__lte=as_of).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=as_of)
    )
    assert {row.po_line_id: row.quantity for row in rows} == {key: b.accrued for key, b in direct.items()}
    assert sum((row.amount for row in rows), Decimal(0)) == direct_amount == expected


def test_spend_follows_the_definition(finance_data: FinanceData) -> None:
    """November at NORTH, approved/posted/paid only: INV-1 300.00 + INV-2 101.50 - CM-1 50.00 + INV-6 61.00 +
    INV-8 20.00 + INV-9 100.00 (non-PO) = 532.50; rejected INV-3, cancelled INV-5, INV-10 in exception, December's
    INV-4 and SOUTH's INV-7 are not in it."""
    lines = spend_lines(facility_ids=[finance_data.north.pk], date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert total(lines, "spend") == Decimal("532.50")
    assert total(lines.filter(po_backed=True), "spend") == Decimal("432.50")
    assert total(lines.filter(category=""), "spend") == Decimal("100.00")
    assert total(lines.filter(category="42132203"), "spend") == Decimal("351.50")
    assert total(lines.filter(invoice__vendor=finance_data.cardinal), "spend") == Decimal("61.00")


def test_leakage_is_the_price_paid_above_po_price_on_paid_invoices(finance_data: FinanceData) -> None:
    """INV-2 10 x 0.15 (gloves GL-1, Medline) and INV-6 5 x 0.20 (drapes DR-1, Cardinal); INV-10's 2 x 4.00 is
    held in exception, so not paid."""
    lines = leakage_lines(facility_ids=[finance_data.north.pk], date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    assert sorted((line.item, line.leakage) for line in lines) == [("DR-1", Decimal("1.00")), ("GL-1", Decimal("1.50"))]


def test_the_spend_summary_equals_the_direct_sums(finance_data: FinanceData) -> None:
    spend_months_refresh(actor="tests")
    everything = [finance_data.north.pk, finance_data.south.pk]
    for facility_ids in ([finance_data.north.pk], [finance_data.south.pk], everything):
        for first, last in ((date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 12, 1), date(2026, 12, 31))):
            lines = spend_lines(facility_ids=facility_ids, date_from=first, date_to=last)
            summary = SpendMonth.objects.filter(facility_id__in=facility_ids, month=first)
            assert sum((row.amount for row in summary), Decimal(0)) == total(lines, "spend")
            assert sum(row.lines for row in summary) == lines.count()
            for category in ("", "42132203", "51102710"):
                assert sum((row.amount for row in summary if row.category == category), Decimal(0)) == total(
                    lines.filter(category=category), "spend"
                )
            leaks = leakage_lines(facility_ids=facility_ids, date_from=first, date_to=last)
            leak_rows = LeakageMonth.objects.filter(facility_id__in=facility_ids, month=first)
            assert sum((row.amount for row in leak_rows), Decimal(0)) == total(leaks, "leakage")
    assert SpendMonth.objects.filter(month=date(2026, 12, 1), facility=finance_data.north).get().amount == Decimal(
        "100.00"
    )
