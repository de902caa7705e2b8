"""Demo seeding of the finance reports: build the summaries once the other apps have seeded their records, so the
accrual and spend pages show numbers straight away."""

from __future__ import annotations

from insights.finance.services import finance_summaries_refresh
from p2p_portal.demo import DemoLogin


def seed() -> list[DemoLogin]:
    """Refresh the finance summaries (no logins of its own)."""
    finance_summaries_refresh(actor="command seed_demo")
    return []
