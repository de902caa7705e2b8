"""What an attacker with the database owner's rights does: switch the append-only triggers off, edit, switch on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from p2p_portal.audit.triggers import install_append_only_triggers, sqlite_trigger_names


@contextmanager
def triggers_off(table: str) -> Iterator[Any]:
    """A cursor on which UPDATE and DELETE of `table` succeed; the triggers are back afterwards."""
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are deferred: their checks still pending in the test's transaction would
            # block ALTER TABLE, so run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {quoted} DISABLE TRIGGER ALL")
            yield cursor
            cursor.execute(f"ALTER TABLE {quoted} ENABLE TRIGGER ALL")
        else:
            for trigger in sqlite_trigger_names(table):
                cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(trigger)}")
            yield cursor
            assert install_append_only_triggers(connection) == [table]
