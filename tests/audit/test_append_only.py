"""History tables are append-only at the database: UPDATE, DELETE and TRUNCATE fail there, whoever sends them."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, connections, models, transaction
from simple_history.models import HistoricalChanges

from p2p_portal.audit.models import AuditChainLink, AuditColumnSet
from p2p_portal.audit.services import audit_seal
from p2p_portal.audit.triggers import install_append_only_triggers, maintenance_window, sqlite_trigger_names
from p2p_portal.models import CostCenter, Facility
from tests.helpers import manage

FACILITY_HISTORY = "p2p_portal_historicalfacility"
KNOWN_HISTORY_TABLES = {
    "p2p_portal_historicalfacility",
    "p2p_portal_historicalcostcenter",
    "p2p_portal_historicalroleassignment",
    "p2p_portal_historicalapiclient",
    "p2p_portal_historicalapitoken",
    "p2p_portal_historicaluser",
}


def _append_only_models() -> list[type[models.Model]]:
    # Found independently of the code under test: any model simple-history generated, plus the seals.
    return [model for model in apps.get_models() if issubclass(model, HistoricalChanges)] + [
        AuditColumnSet,
        AuditChainLink,
    ]


def _triggers_by_table() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'"
            )
            for table, name, _ in cursor.fetchall():
                found.setdefault(table, set()).add(name)
        else:
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
            for table, name in cursor.fetchall():
                found.setdefault(table, set()).add(name)
    return found


def _expected_triggers(table: str) -> set[str]:
    if connection.vendor == "postgresql":
        return {"p2p_audit_append_only", "p2p_audit_no_truncate"}
    return set(sqlite_trigger_names(table))


def _refused(sql: str, params: list[Any] | None = None) -> DatabaseError:
    """Run SQL that must fail, in a savepoint so the test's transaction stays usable."""
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    assert "append-only" in str(excinfo.value)
    return excinfo.value


def test_every_history_table_carries_the_triggers(db: None) -> None:
    append_only = _append_only_models()
    tables = {model._meta.db_table for model in append_only}
    assert tables >= KNOWN_HISTORY_TABLES, "the discovery found the history tables this test knows of"
    triggers = _triggers_by_table()
    missing = {
        table: sorted(_expected_triggers(table) - triggers.get(table, set()))
        for table in sorted(tables)
        if _expected_triggers(table) - triggers.get(table, set())
    }
    assert missing == {}


def test_installing_again_changes_nothing(db: None) -> None:
    assert install_append_only_triggers(connection) == []


def test_an_update_of_a_history_row_fails_at_the_database(facilities: list[Facility]) -> None:
    row = Facility.history.get(code="GEN")
    _refused("UPDATE p2p_portal_historicalfacility SET name = %s WHERE history_id = %s", ["Forged", row.history_id])
    row.refresh_from_db()
    assert row.name == "General Hospital"


def test_a_delete_of_a_history_row_fails_at_the_database(facilities: list[Facility]) -> None:
    row = CostCenter.history.get(code="ICU")
    _refused("DELETE FROM p2p_portal_historicalcostcenter WHERE history_id = %s", [row.history_id])
    _refused("DELETE FROM p2p_portal_historicalcostcenter")
    assert CostCenter.history.filter(code="ICU").exists()


def test_the_seals_are_append_only_too(facilities: list[Facility]) -> None:
    audit_seal()
    _refused("UPDATE audit_auditchainlink SET chain_hash = %s", ["0" * 64])
    _refused("DELETE FROM audit_auditchainlink")
    _refused("DELETE FROM audit_auditcolumnset")


def test_orm_deletes_of_history_rows_fail_too(facilities: list[Facility]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Facility.history.filter(code="EAST").delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Facility.history.filter(code="EAST").update(name="Forged")


def test_truncate_is_refused_on_postgresql_outside_flush(facilities: list[Facility]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE FROM is refused by the test above)")
    with connection.cursor() as cursor:
        # PostgreSQL checks for pending deferred foreign-key checks (the fixture's inserts) before any trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _refused("TRUNCATE p2p_portal_historicalfacility")
    _refused("TRUNCATE p2p_portal_historicalfacility, p2p_portal_historicalcostcenter CASCADE")
    assert Facility.history.count() == 3


def test_the_maintenance_window_does_not_allow_row_changes_on_postgresql(facilities: list[Facility]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the window is what lets flush's DELETE FROM through")
    with maintenance_window(connection):
        _refused("DELETE FROM p2p_portal_historicalfacility")
        _refused("UPDATE p2p_portal_historicalfacility SET name = 'Forged'")


@pytest.mark.django_db(transaction=True)
def test_the_maintenance_window_is_for_its_own_connection_only(staff) -> None:
    from p2p_portal.services import facility_create

    facility_create(actor=staff, code="GEN", name="General Hospital")
    statement = (
        "TRUNCATE p2p_portal_historicalfacility"
        if connection.vendor == "postgresql"
        else "DELETE FROM p2p_portal_historicalfacility"
    )
    outcome: list[BaseException | None] = []

    def other_connection() -> None:
        try:
            with connection.cursor() as cursor:  # this thread's own connection
                cursor.execute(statement)
            outcome.append(None)
        except DatabaseError as error:
            outcome.append(error)
        finally:
            connections.close_all()

    with maintenance_window(connection):
        thread = threading.Thread(target=other_connection)
        thread.start()
        thread.join(30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], IntegrityError), outcome
    assert Facility.history.count() == 1


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_every_table_and_closes_its_window(staff) -> None:
    from p2p_portal.services import facility_create

    facility_create(actor=staff, code="GEN", name="General Hospital")
    assert audit_seal() >= 2  # the staff user's history row and the facility's
    call_command("flush", interactive=False, verbosity=0)
    assert not Facility.history.exists()
    assert not AuditChainLink.objects.exists()
    facility_create(actor="test", code="EAST", name="East Clinic")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('p2p.audit_maintenance', true)")
            assert cursor.fetchone()[0] != "on"
        _refused("TRUNCATE p2p_portal_historicalfacility")
    else:
        _refused("DELETE FROM p2p_portal_historicalfacility")
    assert Facility.history.count() == 1


def test_on_a_real_sqlite_file_migrate_installs_them_and_other_programs_are_refused_too(tmp_path) -> None:
    database = tmp_path / "audit.sqlite3"
    environment = {
        "P2P_ENV": "development",
        "P2P_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
    }
    migrated = manage("migrate", "--noinput", environment=environment)
    assert migrated.returncode == 0, migrated.stderr
    script = (
        "from p2p_portal.services import facility_create; "
        "facility_create(actor='shell', code='GEN', name='General Hospital'); "
        "facility_create(actor='shell', code='EAST', name='East Clinic')"
    )
    created = manage("shell", "--no-imports", "-c", script, environment=environment)
    assert created.returncode == 0, created.stderr
    sealed = manage("seal_audit_history", environment=environment)
    assert sealed.returncode == 0, sealed.stderr
    assert "Sealed 2 history rows." in sealed.stdout
    intact = manage("verify_audit_chain", environment=environment)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert f"{FACILITY_HISTORY}: 2 verified, 0 not sealed yet" in intact.stdout

    # The sqlite3 shell or any other program: no UPDATE, and no DELETE (it lacks the app's SQL function).
    outside = sqlite3.connect(database)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            outside.execute("UPDATE p2p_portal_historicalfacility SET name = 'Forged'")
        with pytest.raises(sqlite3.OperationalError, match="no such function"):
            outside.execute("DELETE FROM p2p_portal_historicalfacility")
        outside.rollback()
        (history_id,) = outside.execute(
            "SELECT history_id FROM p2p_portal_historicalfacility WHERE code = 'EAST'"
        ).fetchone()
        # Whoever holds the file can still drop the trigger: that is what the hash chain is for.
        outside.execute(f'DROP TRIGGER "p2p_audit_no_update__{FACILITY_HISTORY}"')
        outside.execute("UPDATE p2p_portal_historicalfacility SET name = 'Forged' WHERE history_id = ?", [history_id])
        outside.commit()
    finally:
        outside.close()
    broken = manage("verify_audit_chain", environment=environment)
    assert broken.returncode == 1
    output = broken.stdout + broken.stderr
    assert f"{FACILITY_HISTORY}: BROKEN at history_id {history_id}" in output
    assert "altered" in output

    # The next migrate puts the dropped trigger back.
    assert manage("migrate", "--noinput", environment=environment).returncode == 0
    outside = sqlite3.connect(database)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            outside.execute("UPDATE p2p_portal_historicalfacility SET name = 'Forged again'")
    finally:
        outside.close()
