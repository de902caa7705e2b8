"""`manage.py operations_summary_refresh`: rebuild the operations dashboard's summaries now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from insights.operations.services import operations_summary_refresh


class Command(BaseCommand):
    """Rebuild the weekly summaries of the operations dashboard (what the beat task does every 15 minutes)."""

    help = "Rebuild the operations dashboard's weekly summaries from the records."

    def handle(self, *args: Any, **options: Any) -> None:
        refresh = operations_summary_refresh(actor="command operations_summary_refresh")
        self.stdout.write(f"{refresh.rows} summary rows written in {refresh.duration_ms} ms.")
