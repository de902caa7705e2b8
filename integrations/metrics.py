"""Integration gauges on /metrics, computed when Prometheus scrapes: one aggregate query (two for the last run)
each, whatever the number of runs, deliveries and dead letters."""

from __future__ import annotations

from django.db.models import Count, Max, Q
from django.utils import timezone

from integrations.models import (
    DeadLetterStatus,
    DeliveryStatus,
    ExternalSystem,
    SyncRun,
    SyncRunStatus,
)
from integrations.selectors import SUCCESS_STATUSES
from p2p_portal.metrics import Samples, register_business_metric


@register_business_metric(
    "p2p_integration_sync_lag_seconds",
    "Seconds since the last successful (or partial) inbound sync of an entity finished (absent: never succeeded).",
    labels=("system", "entity"),
)
def sync_lag() -> Samples:
    """Now minus the last success per system and entity."""
    now = timezone.now()
    rows = (
        SyncRun.objects.filter(status__in=SUCCESS_STATUSES, finished_at__isnull=False)
        .values_list("system__code", "entity")
        .annotate(last=Max("finished_at"))
        .order_by()
    )
    return [((system, entity), (now - last).total_seconds()) for system, entity, last in rows]


@register_business_metric(
    "p2p_integration_outbox_depth",
    "Deliveries of outbox events owed to a system: pending (to be attempted) and dead (given up, a dead letter).",
    labels=("system", "status"),
)
def outbox_depth() -> Samples:
    """Pending and dead deliveries per system (0 when none)."""
    rows = ExternalSystem.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        dead=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
    ).values_list("code", "pending", "dead")
    samples: list[tuple[tuple[str, ...], float]] = []
    for code, pending, dead in rows:
        samples += [
            ((code, DeliveryStatus.PENDING.value), float(pending)),
            ((code, DeliveryStatus.DEAD.value), float(dead)),
        ]
    return samples


@register_business_metric(
    "p2p_integration_dead_letters_open",
    "Dead letters waiting for someone to replay or discard them, per system.",
    labels=("system",),
)
def dead_letters_open() -> Samples:
    """Open dead letters per system (0 when none)."""
    rows = ExternalSystem.objects.annotate(
        open=Count("dead_letters", filter=Q(dead_letters__status=DeadLetterStatus.OPEN))
    ).values_list("code", "open")
    return [((code,), float(count)) for code, count in rows]


@register_business_metric(
    "p2p_integration_last_run_status",
    "1 for the status of the latest sync run of an entity, 0 for the other statuses (absent: never ran).",
    labels=("system", "entity", "status"),
)
def last_run_status() -> Samples:
    """The latest run per system and entity as a state set."""
    latest = SyncRun.objects.values("system_id", "entity").annotate(last=Max("id")).order_by().values_list("last")
    runs = SyncRun.objects.filter(pk__in=latest).values_list("system__code", "entity", "status")
    return [
        ((system, entity, status), 1.0 if status == current else 0.0)
        for system, entity, current in runs
        for status in SyncRunStatus.values
    ]
