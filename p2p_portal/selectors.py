"""Platform reads; every read scoped to a principal (user or API client) goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Model, QuerySet
from guardian.shortcuts import get_objects_for_user

from p2p_portal.models import ApiClient, CostCenter, Facility, Notification, TaskHeartbeat
from p2p_portal.roles import Role, facility_permission

ModelT = TypeVar("ModelT", bound=Model)

DATABASE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite (development only)"}
HEARTBEAT = "periodic"


def facilities_for(principal: Any, roles: Iterable[Role | str] | None = None) -> QuerySet[Facility]:
    """The facilities a principal may see: an API client's own; for a user, where they hold (one of) the roles.

    Global (model-level) permissions never widen this (`accept_global_perms=False`): a permission given
    through a group says what a role may do, the facility grant says where. Superusers see every facility.
    """
    if principal is None or not principal.is_authenticated:
        return Facility.objects.none()
    if isinstance(principal, ApiClient):
        return principal.facilities.all()
    wanted = list(roles) if roles is not None else list(Role)
    return get_objects_for_user(
        principal,
        [facility_permission(role) for role in wanted],
        klass=Facility,
        any_perm=True,
        accept_global_perms=False,
        with_superuser=True,
    )


def scope_to_facilities(
    queryset: QuerySet[ModelT],
    principal: Any,
    *,
    facility_field: str = "facility",
    roles: Iterable[Role | str] | None = None,
) -> QuerySet[ModelT]:
    """Restrict any facility-bound queryset to the facilities the principal may see (objects elsewhere: 404)."""
    facilities = facilities_for(principal, roles)
    lookup = "pk__in" if facility_field == "self" else f"{facility_field}__in"
    return queryset.filter(**{lookup: facilities.values("pk")})


def has_role_at(user: Any, role: Role | str, facility: Facility) -> bool:
    """Whether a user holds `role` at `facility` (superusers hold every role everywhere)."""
    if not getattr(user, "is_authenticated", False) or isinstance(user, ApiClient):
        return False
    return bool(user.is_superuser or user.has_perm(facility_permission(role), facility))


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """A user's own notifications, newest first."""
    queryset = Notification.objects.filter(user=user)
    return queryset.filter(read_at__isnull=True) if unread_only else queryset


def facility_list(*, principal: Any) -> QuerySet[Facility]:
    """Facilities the principal may see."""
    return scope_to_facilities(Facility.objects.all(), principal, facility_field="self")


def cost_center_list(*, principal: Any) -> QuerySet[CostCenter]:
    """Cost centers of the facilities the principal may see."""
    return scope_to_facilities(CostCenter.objects.select_related("facility", "owner"), principal)


@dataclass(frozen=True)
class SystemStatus:
    """What the dashboard says about the running installation."""

    database: str
    tasks_inline: bool
    last_heartbeat_at: datetime | None


def system_status() -> SystemStatus:
    """Return the database in use, whether tasks run inline, and when a worker last ran the heartbeat."""
    heartbeat = TaskHeartbeat.objects.filter(name=HEARTBEAT).first()
    return SystemStatus(
        database=DATABASE_NAMES.get(connection.vendor, connection.vendor),
        tasks_inline=not settings.CELERY_BROKER_URL,
        last_heartbeat_at=heartbeat.last_seen_at if heartbeat else None,
    )
