"""Reads of the integrations console, the API and the metrics: who may read or operate, systems with their health,
sync runs, deliveries and dead letters.

Scoping: external systems are network-wide (one ERP, one procurement suite serve every facility; a system's
facility only says where records land when they do not say), so an integration admin or an auditor at any facility
sees every system. API clients need the `integrations:admin` scope and then see every system too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from integrations.models import (
    DeadLetter,
    DeadLetterStatus,
    DeliveryStatus,
    ExternalSystem,
    OutboxDelivery,
    SyncRun,
    SyncRunStatus,
)
from integrations.services.sync import ENTITIES
from p2p_portal.api.permissions import is_api_client
from p2p_portal.roles import Role, Scope
from p2p_portal.selectors import facilities_for

READER_ROLES = (Role.INTEGRATION_ADMIN, Role.AUDITOR)
OPERATOR_ROLES = (Role.INTEGRATION_ADMIN,)

SUCCESS_STATUSES = (SyncRunStatus.SUCCEEDED, SyncRunStatus.PARTIAL)
# The error rate is over the runs that finished in this window (a rate over "the last N runs" would need a window
# function per system and entity; a day is what a person on call looks at).
ERROR_RATE_WINDOW = timedelta(hours=24)


def may_read(principal: Any) -> bool:
    """Whether a person or API client may read the integrations console and API."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return False
    if is_api_client(principal):
        return bool(principal.has_scope(Scope.INTEGRATIONS_ADMIN))
    return bool(principal.is_superuser or facilities_for(principal, READER_ROLES).exists())


def may_operate(principal: Any) -> bool:
    """Whether they may act: run now, replay, discard (integration admins and scoped clients; never auditors)."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return False
    if is_api_client(principal):
        return bool(principal.has_scope(Scope.INTEGRATIONS_ADMIN))
    return bool(principal.is_superuser or facilities_for(principal, OPERATOR_ROLES).exists())


def entities_of(system: ExternalSystem) -> tuple[str, ...]:
    """The entities inbound sync pulls from this system (every system offers the same ones today)."""
    return ENTITIES


def _readable(principal: Any) -> bool:
    """Whether list selectors return rows (the metrics use `health_of`, which is not scoped)."""
    return may_read(principal)


def external_system_list(*, principal: Any) -> QuerySet[ExternalSystem]:
    """The systems a principal sees (all of them, or none)."""
    systems = ExternalSystem.objects.select_related("facility").order_by("code")
    return systems if _readable(principal) else systems.none()


def external_system_get(*, principal: Any, code: str) -> ExternalSystem:
    """One system by its code (404 when unknown or not readable)."""
    system = external_system_list(principal=principal).filter(code=code).first()
    if system is None:
        raise Http404("No such external system.")
    return system


@dataclass
class EntityHealth:
    """How inbound sync of one entity from one system is doing."""

    entity: str
    last_success_at: datetime | None = None
    lag_seconds: float | None = None
    last_run: SyncRun | None = None
    # Behind: no success within two sync intervals (one missed beat is normal under load, two is not).
    behind: bool = False


@dataclass
class SystemHealth:
    """A system with its sync lag per entity, recent error rate, outbox depth and open dead letters."""

    system: ExternalSystem
    entities: list[EntityHealth] = field(default_factory=list)
    runs_finished: int = 0
    runs_failed: int = 0
    outbox_pending: int = 0
    outbox_dead: int = 0
    dead_letters_open: int = 0

    @property
    def error_rate(self) -> float | None:
        """Failed runs over finished runs in the window (None without a finished run)."""
        return self.runs_failed / self.runs_finished if self.runs_finished else None

    @property
    def worst_lag_seconds(self) -> float | None:
        """The largest lag over its entities that ever succeeded."""
        lags = [entity.lag_seconds for entity in self.entities if entity.lag_seconds is not None]
        return max(lags) if lags else None

    @property
    def never_synced(self) -> list[str]:
        """Entities with no successful run yet."""
        return [entity.entity for entity in self.entities if entity.last_success_at is None]


def health_of(systems: list[ExternalSystem], *, now: datetime | None = None) -> list[SystemHealth]:
    """Health of the given systems in six aggregate queries, whatever the number of systems and runs."""
    now = now or timezone.now()
    ids = [system.pk for system in systems]
    runs = SyncRun.objects.filter(system_id__in=ids)
    last_success = {
        (row["system_id"], row["entity"]): row["last"]
        for row in runs.filter(status__in=SUCCESS_STATUSES)
        .values("system_id", "entity")
        .annotate(last=Max("finished_at"))
        .order_by()
    }
    last_ids = runs.values("system_id", "entity").annotate(last=Max("id")).order_by().values_list("last", flat=True)
    last_runs = {(run.system_id, run.entity): run for run in SyncRun.objects.filter(pk__in=list(last_ids))}
    recent: dict[int, dict[str, int]] = {
        row["system_id"]: {"finished": row["finished"], "failed": row["failed"]}
        for row in runs.filter(finished_at__gte=now - ERROR_RATE_WINDOW)
        .values("system_id")
        .annotate(finished=Count("id"), failed=Count("id", filter=Q(status=SyncRunStatus.FAILED)))
        .order_by()
    }
    depth: dict[tuple[int, str], int] = {
        (row["system_id"], row["status"]): row["n"]
        for row in OutboxDelivery.objects.filter(
            system_id__in=ids, status__in=(DeliveryStatus.PENDING, DeliveryStatus.DEAD)
        )
        .values("system_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    }
    dead_open = {
        row["system_id"]: row["n"]
        for row in DeadLetter.objects.filter(system_id__in=ids, status=DeadLetterStatus.OPEN)
        .values("system_id")
        .annotate(n=Count("id"))
        .order_by()
    }
    seen: dict[int, set[str]] = defaultdict(set)
    for system_id, entity in [*last_runs, *last_success]:
        seen[system_id].add(entity)
    result = []
    for system in systems:
        entities = list(entities_of(system)) + sorted(seen[system.pk] - set(entities_of(system)))
        rows = []
        for entity in entities:
            success = last_success.get((system.pk, entity))
            lag = (now - success).total_seconds() if success is not None else None
            behind = lag is None or lag > 2 * system.sync_interval_minutes * 60
            rows.append(EntityHealth(entity, success, lag, last_runs.get((system.pk, entity)), behind))
        window = recent.get(system.pk, {})
        result.append(
            SystemHealth(
                system=system,
                entities=rows,
                runs_finished=window.get("finished", 0),
                runs_failed=window.get("failed", 0),
                outbox_pending=depth.get((system.pk, DeliveryStatus.PENDING), 0),
                outbox_dead=depth.get((system.pk, DeliveryStatus.DEAD), 0),
                dead_letters_open=dead_open.get(system.pk, 0),
            )
        )
    return result


def system_health(*, principal: Any, system: ExternalSystem | None = None) -> list[SystemHealth]:
    """Health of every system the principal sees (or of one)."""
    systems = external_system_list(principal=principal)
    if system is not None:
        systems = systems.filter(pk=system.pk)
    return health_of(list(systems))


def sync_run_list(*, principal: Any, system: str = "", entity: str = "", status: str = "") -> QuerySet[SyncRun]:
    """Sync runs, newest first, filtered by system code, entity and status."""
    runs = SyncRun.objects.select_related("system").order_by("-started_at", "-id")
    if not _readable(principal):
        return runs.none()
    if system:
        runs = runs.filter(system__code=system)
    if entity:
        runs = runs.filter(entity=entity)
    if status:
        runs = runs.filter(status=status)
    return runs


def sync_run_get(*, principal: Any, pk: int) -> SyncRun:
    """One sync run (404 when unknown or not readable)."""
    run = sync_run_list(principal=principal).filter(pk=pk).first()
    if run is None:
        raise Http404("No such sync run.")
    return run


def outbox_delivery_list(*, principal: Any, status: str = "", system: str = "") -> QuerySet[OutboxDelivery]:
    """Deliveries of outbox events, with their event and system, filtered by status and system code."""
    deliveries = OutboxDelivery.objects.select_related("event", "system").order_by("-id")
    if not _readable(principal):
        return deliveries.none()
    if status:
        deliveries = deliveries.filter(status=status)
    if system:
        deliveries = deliveries.filter(system__code=system)
    return deliveries


def outbox_delivery_get(*, principal: Any, pk: int) -> OutboxDelivery:
    """One delivery (404 when unknown or not readable)."""
    delivery = outbox_delivery_list(principal=principal).filter(pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery


def dead_letter_list(
    *, principal: Any, status: str = "", system: str = "", direction: str = "", entity: str = ""
) -> QuerySet[DeadLetter]:
    """Dead letters, newest first, filtered by status, system code, direction and entity."""
    letters = DeadLetter.objects.select_related("system", "resolved_by").order_by("-created_at", "-id")
    if not _readable(principal):
        return letters.none()
    if status:
        letters = letters.filter(status=status)
    if system:
        letters = letters.filter(system__code=system)
    if direction:
        letters = letters.filter(direction=direction)
    if entity:
        letters = letters.filter(entity=entity)
    return letters


def dead_letter_get(*, principal: Any, pk: int) -> DeadLetter:
    """One dead letter (404 when unknown or not readable)."""
    letter = dead_letter_list(principal=principal).filter(pk=pk).first()
    if letter is None:
        raise Http404("No such dead letter.")
    return letter
