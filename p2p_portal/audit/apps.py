"""The audit app: hash-chain seals of history tables and the database triggers that keep them append-only."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Wires history rows to the audit context and keeps every history table append-only at the database."""

    name = "p2p_portal.audit"
    label = "audit"
    verbose_name = "Audit trail"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate
        from simple_history.signals import pre_create_historical_record

        from p2p_portal.audit.triggers import install_on_migrate, register_sqlite_maintenance_function

        pre_create_historical_record.connect(_stamp, dispatch_uid="p2p_audit_stamp")
        # Sent once per migrate (and flush) run for this app, after every app's migrations: new history
        # tables get their triggers in the same run that creates them.
        post_migrate.connect(install_on_migrate, sender=self, dispatch_uid="p2p_audit_triggers")
        connection_created.connect(register_sqlite_maintenance_function, dispatch_uid="p2p_audit_sqlite_function")


def _stamp(sender: Any, history_instance: Any, **_: Any) -> None:
    from p2p_portal.audit.history import stamp_history_row

    if hasattr(history_instance, "history_actor_label"):
        stamp_history_row(history_instance)
