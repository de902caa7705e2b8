"""The workbench's periodic sweep: expired leases go back to their queues, holds come back at their review date,
and items past their due time are escalated to the facility's AP managers (once each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from matching.models import ACTIVE_STATES, WorkActionKind, WorkItem, WorkItemState
from matching.services._common import _save
from matching.services.workbench.actions import action_record
from matching.services.workbench.claims import managers_at
from p2p_portal.services import notification_send, system_user

ACTOR = "task: matching.workbench_sweep"


@dataclass(frozen=True)
class SweepRun:
    """What one sweep did."""

    leases_expired: int
    holds_released: int
    escalated: int


@transaction.atomic
def work_items_sweep(*, now: datetime | None = None) -> SweepRun:
    """Expire leases, release holds due for review and escalate SLA breaches (rows other transactions hold are
    left for the next sweep)."""
    now = now or timezone.now()
    system = system_user()
    expired = 0
    for item in WorkItem.objects.select_for_update(skip_locked=True).filter(
        claimed_by__isnull=False, lease_expires_at__lte=now
    ):
        item.claimed_by = item.claimed_at = item.lease_expires_at = None
        _save(item, ACTOR, "lease expired: back in the queue")
        expired += 1
    released = 0
    for item in WorkItem.objects.select_for_update(skip_locked=True).filter(
        state=WorkItemState.ON_HOLD, hold_until__lte=timezone.localdate(now)
    ):
        item.state, item.hold_until = WorkItemState.OPEN, None
        _save(item, ACTOR, "hold review date reached")
        action_record(actor=system, item=item, kind=WorkActionKind.RELEASE_HOLD, note="Review date reached.")
        released += 1
    breached: dict[int, list[WorkItem]] = {}
    for item in (
        WorkItem.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("invoice", "facility")
        .filter(state__in=ACTIVE_STATES, due_at__lt=now, escalated_at__isnull=True)
        .order_by("due_at")
    ):
        item.escalated_at = now
        _save(item, ACTOR, "SLA breached: escalated")
        action_record(
            actor=system, item=item, kind=WorkActionKind.ESCALATE,
            note=f"Due {timezone.localtime(item.due_at):%Y-%m-%d %H:%M}; escalated to the AP managers.",
        )  # fmt: skip
        breached.setdefault(item.facility_id, []).append(item)
    for facility_id, items in breached.items():
        numbers = ", ".join(item.invoice.invoice_number for item in items[:10])
        more = f" and {len(items) - 10} more" if len(items) > 10 else ""
        for manager in managers_at(facility_id):
            notification_send(
                actor=ACTOR,
                user=manager,
                title=f"{len(items)} workbench item(s) at {items[0].facility.code} are past their due time",
                body=f"Invoices {numbers}{more}.",
                link="/workbench/",
            )
    return SweepRun(expired, released, sum(len(items) for items in breached.values()))
