"""Admin registrations of the platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from p2p_portal.models import TaskHeartbeat

# ModelAdmin is generic only in the type stubs (django-stubs-ext is not a runtime dependency).
if TYPE_CHECKING:
    HeartbeatAdminBase = admin.ModelAdmin[TaskHeartbeat]
else:
    HeartbeatAdminBase = admin.ModelAdmin


@admin.register(TaskHeartbeat)
class TaskHeartbeatAdmin(HeartbeatAdminBase):
    """Read-only: heartbeats are written by the periodic task, never by hand."""

    list_display = ("name", "hostname", "last_seen_at")
    readonly_fields = ("name", "hostname", "last_seen_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TaskHeartbeat | None = None) -> bool:
        return False
