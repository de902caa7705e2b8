"""Demo seeding of the operations reports: compute the summaries once the other apps have seeded their records,
so the dashboard shows numbers straight away."""

from __future__ import annotations

from insights.operations.services import operations_summary_refresh
from p2p_portal.demo import DemoLogin


def seed() -> list[DemoLogin]:
    """Refresh the operations summaries (no logins of its own)."""
    operations_summary_refresh(actor="command seed_demo")
    return []
