"""`manage.py finance_refresh`: rebuild the finance reports' summaries now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from insights.finance.services import finance_summaries_refresh


class Command(BaseCommand):
    """Rebuild the accrual balances and monthly spend (what the beat task does every 15 minutes)."""

    help = "Rebuild the accrual balances and the monthly spend and leakage from the records."

    def handle(self, *args: Any, **options: Any) -> None:
        for refresh in finance_summaries_refresh(actor="command finance_refresh"):
            self.stdout.write(f"{refresh.kind}: {refresh.rows} rows in {refresh.seconds} s.")
