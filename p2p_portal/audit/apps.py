"""The audit app: hash-chain seals of history tables and the database triggers that keep them append-only."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Wires history rows to the audit context."""

    name = "p2p_portal.audit"
    label = "audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        pre_create_historical_record.connect(_stamp, dispatch_uid="p2p_audit_stamp")


def _stamp(sender: Any, history_instance: Any, **_: Any) -> None:
    from p2p_portal.audit.history import stamp_history_row

    if hasattr(history_instance, "history_actor_label"):
        stamp_history_row(history_instance)
