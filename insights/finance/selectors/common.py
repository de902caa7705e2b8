"""What both finance reports read: how fresh a summary is, and the stand-in for "none" in a drill-down filter."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from insights.finance.models import SummaryKind, SummaryRefresh

NONE = "none"  # a drill-down's value for "no vendor" / "no cost center" / "no category"
REFRESH_MINUTES = 15  # the beat schedule's interval (p2p_portal/settings.py)


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: what it is, its amount, the records behind it, and the drill-down filter value."""

    key: str
    label: str
    detail: str
    amount: Decimal
    count: int
    share: Decimal | None = None
    facility: str = ""  # the facility code a row belongs to, where the row is one facility's ("no cost center")


def summary_refresh(kind: SummaryKind) -> SummaryRefresh | None:
    """When the summary was last rebuilt (None: never, so the page says so instead of showing zeros)."""
    return SummaryRefresh.objects.filter(kind=kind).first()


def optional_id(raw: str | None) -> int | str | None:
    """A drill-down filter value: an id, NONE, or None (no filter); anything else is no filter either."""
    if raw is None or raw == "":
        return None
    if raw == NONE:
        return NONE
    return int(raw) if raw.isdigit() else None


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """part as a percentage of whole, one decimal (None when the whole is nothing)."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))
