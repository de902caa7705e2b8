"""The finance summaries are rebuilt by the beat task, the command and the demo seeding, and say when."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum

from insights.finance import demo, tasks
from insights.finance.models import AccrualBalance, SpendMonth, SummaryKind, SummaryRefresh
from tests.insights.finance.conftest import FinanceData

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_runs_the_refresh_task() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["insights.finance_summaries_refresh"]
    assert entry["task"] == tasks.refresh_summaries.name


def test_the_task_rebuilds_both_summaries_and_a_second_run_replaces_the_first(finance_data: FinanceData) -> None:
    tasks.refresh_summaries()
    first = {refresh.kind: refresh.refreshed_at for refresh in SummaryRefresh.objects.all()}
    assert set(first) == {SummaryKind.ACCRUALS, SummaryKind.SPEND}
    balances, months = AccrualBalance.objects.count(), SpendMonth.objects.count()
    assert balances
    assert months
    call_command("finance_refresh", stdout=io.StringIO())
    assert (AccrualBalance.objects.count(), SpendMonth.objects.count()) == (balances, months)
    assert all(refresh.refreshed_at >= first[refresh.kind] for refresh in SummaryRefresh.objects.all())
    refresh = SummaryRefresh.objects.get(kind=SummaryKind.ACCRUALS)
    assert (refresh.refreshed_by, refresh.rows) == ("command finance_refresh", balances)


def test_demo_seeding_builds_the_summaries(finance_data: FinanceData) -> None:
    assert demo.seed() == []
    north = SpendMonth.objects.filter(facility=finance_data.north).aggregate(total=Sum("amount"))["total"]
    assert north == Decimal("632.50")  # November 532.50 and December's INV-4 100.00
