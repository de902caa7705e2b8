"""Admin of integrations: external systems are configuration, saved with the admin user and a reason (never
deleted); cursors, runs, deliveries and dead letters are evidence, shown read-only (the console acts on them)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from integrations.models import DeadLetter, ExternalSystem, OutboxDelivery, SyncCursor, SyncRun
from p2p_portal.audit.context import acting_as

REASON_MAX = 100


class ExternalSystemAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """A system's settings and the reason its history records."""

    # Without a scheme, https:// (Django 6's default, chosen now so the form does not warn).
    base_url = forms.URLField(max_length=300, assume_scheme="https")
    reason = forms.CharField(
        label="Reason for this change",
        max_length=REASON_MAX,
        help_text="Recorded in the system's history with your name.",
    )

    class Meta:
        model = ExternalSystem
        fields = [
            "code",
            "name",
            "kind",
            "connector",
            "base_url",
            "config",
            "facility",
            "enabled",
            "rate_limit_per_second",
            "max_concurrency",
            "sync_interval_minutes",
        ]
        help_texts = {
            "config": 'Names of environment variables, never secrets: e.g. {"api_key_env": "SANDBOX_API_KEY"}.',
        }


@admin.register(ExternalSystem)
class ExternalSystemAdmin(SimpleHistoryAdmin):
    """The systems we sync with; saves attributed to the admin user with the reason given."""

    form = ExternalSystemAdminForm
    list_display = ("code", "name", "kind", "connector", "base_url", "enabled", "sync_interval_minutes")
    list_filter = ("kind", "connector", "enabled")
    search_fields = ("code", "name")

    def save_model(self, request: HttpRequest, obj: ExternalSystem, form: Any, change: bool) -> None:
        """Validate and save with the admin user and the reason on the history row."""
        obj.full_clean()
        with acting_as(request.user, reason=form.cleaned_data["reason"]):
            obj.save()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Runs, deliveries and dead letters point at the system: disable it instead."""
        return False


class EvidenceAdmin(SimpleHistoryAdmin):
    """Shown, never added, changed or deleted here: the sync, the dispatcher and the console's services write it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Written by the services only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Read-only (replay and discard are in the integrations console)."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Evidence is kept."""
        return False


@admin.register(SyncCursor)
class SyncCursorAdmin(EvidenceAdmin):
    """How far inbound sync of each entity has got."""

    list_display = ("system", "entity", "cursor", "updated_at")
    list_filter = ("system",)


@admin.register(SyncRun)
class SyncRunAdmin(EvidenceAdmin):
    """Every inbound sync run."""

    list_display = (
        "system",
        "entity",
        "status",
        "started_at",
        "fetched",
        "created",
        "updated",
        "failed",
        "triggered_by",
    )
    list_filter = ("system", "entity", "status")
    date_hierarchy = "started_at"


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(EvidenceAdmin):
    """Deliveries of outbox events."""

    list_display = ("event", "system", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("system", "status")
    raw_id_fields = ("event",)


@admin.register(DeadLetter)
class DeadLetterAdmin(EvidenceAdmin):
    """Dead letters (the console replays and discards them)."""

    list_display = ("id", "system", "direction", "entity", "external_id", "status", "attempts", "created_at")
    list_filter = ("system", "direction", "status")
    search_fields = ("external_id", "error")
    exclude = ("payload",)
    readonly_fields = ("payload_pretty",)

    @admin.display(description="Payload")
    def payload_pretty(self, obj: DeadLetter) -> str:
        """The payload as indented JSON (escaped by format_html)."""
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False))
