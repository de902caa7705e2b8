"""`manage.py flush` that may empty the append-only history tables: for tests and throwaway databases only."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections

from p2p_portal.audit.triggers import maintenance_window


class Command(DjangoFlush):
    """Django's flush, run inside the audit maintenance window of its own database connection."""

    def handle(self, **options: Any) -> None:
        # Only this connection may TRUNCATE (PostgreSQL) or DELETE FROM (SQLite) the history tables, and only
        # while flush runs: every other connection, and row UPDATE/DELETE on PostgreSQL, stay refused.
        with maintenance_window(connections[options.get("database", DEFAULT_DB_ALIAS)]):
            super().handle(**options)
