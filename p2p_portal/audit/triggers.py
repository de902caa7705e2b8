"""Database triggers that keep every history table (and the seals) append-only, on PostgreSQL and SQLite.

Installed after every `migrate` (post_migrate), for every history table present, so a new audited model is
covered by its first migration without anyone writing trigger SQL. UPDATE and DELETE of a row are refused
always; emptying a table (TRUNCATE on PostgreSQL, DELETE FROM on SQLite) is allowed only inside
`maintenance_window()`, which the `flush` command opens for its own connection.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from p2p_portal.audit.chain import append_only_models

PG_FUNCTION = "p2p_audit_refuse_change"
PG_ROW_TRIGGER = "p2p_audit_append_only"
PG_TRUNCATE_TRIGGER = "p2p_audit_no_truncate"
PG_MAINTENANCE_SETTING = "p2p.audit_maintenance"
SQLITE_MAINTENANCE_FUNCTION = "p2p_audit_maintenance"
_WRAPPER_FLAG = "p2p_audit_maintenance_open"
# Two processes migrating at once must not both create the same trigger.
_PG_INSTALL_LOCK = int.from_bytes(hashlib.sha256(b"p2p.audit.triggers").digest()[:8], "big", signed=True)

_PG_FUNCTION_BODY = f"""
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('{PG_MAINTENANCE_SETTING}', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit: % on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'History rows are never changed or removed; record a new change instead.';
END;
"""


def append_only_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """The tables that must carry the triggers and exist in this database (migrations may be partly applied)."""
    present = set(connection.introspection.table_names())
    return [model._meta.db_table for model in append_only_models() if model._meta.db_table in present]


def sqlite_trigger_names(table: str) -> tuple[str, str]:
    """Names of the UPDATE and DELETE triggers of a table on SQLite (trigger names are database-wide there)."""
    return f"p2p_audit_no_update__{table}", f"p2p_audit_no_delete__{table}"


def install_append_only_triggers(connection: BaseDatabaseWrapper | None = None) -> list[str]:
    """Create the missing append-only triggers on every history table; returns the tables that got new ones."""
    connection = connection or connections[DEFAULT_DB_ALIAS]
    tables = append_only_tables(connection)
    if connection.vendor == "postgresql":
        return _install_postgresql(connection, tables)
    if connection.vendor == "sqlite":
        return _install_sqlite(connection, tables)
    raise NotImplementedError(f"append-only triggers are not written for {connection.vendor}")


def _install_postgresql(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    quote = connection.ops.quote_name
    changed: list[str] = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_INSTALL_LOCK])
        cursor.execute(
            "SELECT p.prosrc FROM pg_proc p WHERE p.proname = %s AND pg_function_is_visible(p.oid)", [PG_FUNCTION]
        )
        current = cursor.fetchone()
        if current is None or current[0] != _PG_FUNCTION_BODY:
            # $audit$ quoting: the body holds single quotes.
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
                f"AS $audit${_PG_FUNCTION_BODY}$audit$"
            )
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname IN (%s, %s) AND pg_table_is_visible(c.oid)",
            [PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER],
        )
        existing = set(cursor.fetchall())
        for table in tables:
            missing = False
            if (table, PG_ROW_TRIGGER) not in existing:
                cursor.execute(
                    f"CREATE TRIGGER {PG_ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {quote(table)} "
                    f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
                )
                missing = True
            if (table, PG_TRUNCATE_TRIGGER) not in existing:
                cursor.execute(
                    f"CREATE TRIGGER {PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {quote(table)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
                )
                missing = True
            if missing:
                changed.append(table)
    return changed


def _install_sqlite(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    quote = connection.ops.quote_name
    changed: list[str] = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        existing = {row[0] for row in cursor.fetchall()}
        for table in tables:
            update_trigger, delete_trigger = sqlite_trigger_names(table)
            if update_trigger in existing and delete_trigger in existing:
                continue
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {quote(update_trigger)} BEFORE UPDATE ON {quote(table)} "
                f"BEGIN SELECT RAISE(ABORT, {_sqlite_literal('UPDATE', table)}); END"
            )
            # A connection without the function (the sqlite3 shell, any other program) fails on the WHEN
            # clause with "no such function", so it cannot delete either.
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {quote(delete_trigger)} BEFORE DELETE ON {quote(table)} "
                f"WHEN NOT {SQLITE_MAINTENANCE_FUNCTION}() "
                f"BEGIN SELECT RAISE(ABORT, {_sqlite_literal('DELETE', table)}); END"
            )
            changed.append(table)
    return changed


def _sqlite_literal(operation: str, table: str) -> str:
    # RAISE() takes a string literal only, not a parameter.
    message = f"audit: {operation} on {table} refused: the audit trail is append-only"
    return "'" + message.replace("'", "''") + "'"


def install_on_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    """post_migrate receiver: cover every history table, including the ones this migration run created."""
    install_append_only_triggers(connections[using])


def register_sqlite_maintenance_function(sender: Any, connection: BaseDatabaseWrapper, **_: Any) -> None:
    """connection_created receiver: give each SQLite connection of the app the function the triggers ask."""
    if connection.vendor != "sqlite":
        return
    # A weak reference: the raw connection holds the function, the wrapper holds the raw connection.
    wrapper = weakref.ref(connection)

    def maintenance_open() -> int:
        current = wrapper()
        return 1 if current is not None and getattr(current, _WRAPPER_FLAG, False) else 0

    connection.connection.create_function(SQLITE_MAINTENANCE_FUNCTION, 0, maintenance_open)


@contextmanager
def maintenance_window(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let this connection, and no other, empty history tables until the block ends (flush).

    Row UPDATE and DELETE stay refused on PostgreSQL; only TRUNCATE honours the window there.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET {PG_MAINTENANCE_SETTING} = 'on'")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {PG_MAINTENANCE_SETTING}")
        return
    setattr(connection, _WRAPPER_FLAG, True)
    try:
        yield
    finally:
        setattr(connection, _WRAPPER_FLAG, False)
