"""The hash chain: sealed in batches, verified from the rows, and telling which row was altered or deleted."""

from __future__ import annotations

import hashlib
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, models, transaction

from p2p_portal.audit.chain import canonical_row, genesis_hash, row_columns
from p2p_portal.audit.models import AuditChainHead, AuditChainLink
from p2p_portal.audit.selectors import BreakKind, audit_chain_verify
from p2p_portal.audit.services import audit_seal
from p2p_portal.models import CostCenter, Facility
from p2p_portal.services import facility_create
from tests.audit.tampering import triggers_off

FACILITY_HISTORY = "p2p_portal_historicalfacility"


def _links(table: str = FACILITY_HISTORY) -> list[AuditChainLink]:
    return list(AuditChainLink.objects.filter(table=table).order_by("position"))


def _verify_command() -> tuple[int, str]:
    """Run verify_audit_chain as manage.py would: its exit status and everything it printed."""
    out = StringIO()
    try:
        call_command("verify_audit_chain", stdout=out)
    except CommandError as error:
        return error.returncode, f"{out.getvalue()}\n{error}"
    return 0, out.getvalue()


def _copy_history_row(row: models.Model, history_id: int) -> None:
    """Insert a history row as another transaction would have (explicit id, same content)."""
    model = type(row)
    values = {field.attname: getattr(row, field.attname) for field in model._meta.concrete_fields}
    values["history_id"] = history_id
    model._base_manager.create(**values)


def test_sealing_links_every_row_once_in_a_chain(facilities: list[Facility]) -> None:
    sealed = audit_seal()
    assert sealed == 3 + 1 + 1  # facilities, the cost center, the staff user
    assert audit_seal() == 0, "a second run finds nothing new"
    links = _links()
    assert [link.position for link in links] == [1, 2, 3]
    assert sorted(link.history_id for link in links) == sorted(Facility.history.values_list("history_id", flat=True))
    previous = genesis_hash(FACILITY_HISTORY)
    for link in links:
        # chain_hash = sha256(previous chain hash of the table + row digest)
        assert link.chain_hash == hashlib.sha256(f"{previous}{link.row_digest}".encode()).hexdigest()
        previous = link.chain_hash
    head = AuditChainHead.objects.get(table=FACILITY_HISTORY)
    assert (head.link_count, head.chain_hash) == (3, previous)


def test_the_row_digest_covers_every_column_of_the_history_table(facilities: list[Facility]) -> None:
    audit_seal()
    row = Facility.history.get(code="GEN")
    link = AuditChainLink.objects.get(table=FACILITY_HISTORY, history_id=row.history_id)
    values = {column: getattr(row, attname) for column, attname in row_columns(type(row)).items()}
    assert link.row_digest == hashlib.sha256(canonical_row(values).encode()).hexdigest()
    with connection.cursor() as cursor:
        table_columns = {
            column.name for column in connection.introspection.get_table_description(cursor, FACILITY_HISTORY)
        }
    assert set(json.loads(canonical_row(values))) == table_columns
    assert set(link.column_set.columns) == table_columns


def test_batches_continue_one_chain(staff) -> None:
    for number in range(7):
        facility_create(actor=staff, code=f"F{number}", name=f"Facility {number}")
    assert audit_seal(batch_size=2) == 7 + 1
    assert [link.position for link in _links()] == list(range(1, 8))
    assert audit_chain_verify().ok


def test_verify_passes_on_an_untouched_chain_and_counts_what_is_not_sealed_yet(facilities: list[Facility]) -> None:
    audit_seal()
    facility_create(actor="test", code="NEW", name="Not sealed yet")
    status, output = _verify_command()
    assert status == 0, output
    assert f"{FACILITY_HISTORY}: 3 verified, 1 not sealed yet" in output
    assert "p2p_portal_historicalcostcenter: 1 verified, 0 not sealed yet" in output
    assert "Audit chain intact: 5 rows verified" in output
    report = audit_chain_verify()
    assert report.ok
    assert (report.verified, report.unsealed) == (5, 1)


def test_verify_catches_a_row_altered_behind_the_triggers(facilities: list[Facility]) -> None:
    audit_seal()
    row = Facility.history.get(code="EAST")
    with triggers_off(FACILITY_HISTORY) as cursor:
        cursor.execute(
            "UPDATE p2p_portal_historicalfacility SET name = %s WHERE history_id = %s",
            ["Forged Clinic", row.history_id],
        )
    status, output = _verify_command()
    assert status == 1
    assert f"{FACILITY_HISTORY}: BROKEN at history_id {row.history_id}" in output
    assert f"audit chain broken: {FACILITY_HISTORY} history_id {row.history_id}" in output
    assert "altered" in output
    (chain_break,) = audit_chain_verify().breaks
    assert (chain_break.table, chain_break.history_id, chain_break.kind) == (
        FACILITY_HISTORY,
        row.history_id,
        BreakKind.ALTERED,
    )


def test_verify_catches_a_change_of_the_actor_too(facilities: list[Facility], clerk) -> None:
    audit_seal()
    row = CostCenter.history.get(code="ICU")
    with triggers_off("p2p_portal_historicalcostcenter") as cursor:
        cursor.execute(
            "UPDATE p2p_portal_historicalcostcenter SET history_user_id = %s WHERE history_id = %s",
            [clerk.pk, row.history_id],
        )
    (chain_break,) = audit_chain_verify().breaks
    assert (chain_break.table, chain_break.history_id, chain_break.kind) == (
        "p2p_portal_historicalcostcenter",
        row.history_id,
        BreakKind.ALTERED,
    )


def test_verify_catches_a_deleted_row(facilities: list[Facility]) -> None:
    audit_seal()
    row = Facility.history.get(code="GEN")
    with triggers_off(FACILITY_HISTORY) as cursor:
        cursor.execute("DELETE FROM p2p_portal_historicalfacility WHERE history_id = %s", [row.history_id])
    status, output = _verify_command()
    assert status == 1
    assert f"{FACILITY_HISTORY}: BROKEN at history_id {row.history_id}" in output
    assert "deleted" in output
    (chain_break,) = audit_chain_verify().breaks
    assert (chain_break.history_id, chain_break.kind) == (row.history_id, BreakKind.DELETED)


def test_verify_catches_a_forged_link(facilities: list[Facility]) -> None:
    audit_seal()
    second = _links()[1]
    with triggers_off("audit_auditchainlink") as cursor:
        cursor.execute("UPDATE audit_auditchainlink SET chain_hash = %s WHERE id = %s", ["f" * 64, second.pk])
    (chain_break,) = audit_chain_verify().breaks
    assert (chain_break.history_id, chain_break.kind) == (second.history_id, BreakKind.LINK_ALTERED)


def test_verify_catches_links_cut_off_the_end(facilities: list[Facility]) -> None:
    audit_seal()
    last = _links()[-1]
    with triggers_off("audit_auditchainlink") as cursor:
        cursor.execute("DELETE FROM audit_auditchainlink WHERE id = %s", [last.pk])
    (chain_break,) = audit_chain_verify().breaks
    assert (chain_break.table, chain_break.kind) == (FACILITY_HISTORY, BreakKind.TRUNCATED)


def test_a_row_committed_below_sealed_ids_is_sealed_later_and_is_no_false_alarm(facilities: list[Facility]) -> None:
    first = Facility.history.get(code="GEN")
    top = Facility.history.order_by("-history_id").first()
    assert top is not None
    # Another transaction committed a row with a higher id first...
    _copy_history_row(first, top.history_id + 10)
    audit_seal()
    # ...then one that took a lower id commits after the seal.
    _copy_history_row(first, top.history_id + 5)
    assert audit_seal() == 1
    assert [link.history_id for link in _links()][-2:] == [top.history_id + 10, top.history_id + 5]
    status, output = _verify_command()
    assert status == 0, output
    assert f"{FACILITY_HISTORY}: 5 verified, 0 not sealed yet" in output


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_commits_late_is_sealed_after_it_commits(staff) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: no transaction can commit below ids committed after it")
    holding = threading.Event()
    release = threading.Event()
    failures: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                facility_create(actor="slow importer", code="LATE", name="Committed late")
                holding.set()
                release.wait(30)
        except BaseException as error:  # surfaced by the assertion below
            failures.append(error)
            holding.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert holding.wait(30)
    facility_create(actor=staff, code="EARLY", name="Committed early")
    audit_seal()
    release.set()
    writer.join(30)
    assert failures == []
    late = Facility.history.get(code="LATE")
    early = Facility.history.get(code="EARLY")
    assert late.history_id < early.history_id
    assert audit_seal() == 1
    assert [link.history_id for link in _links()] == [early.history_id, late.history_id]
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_extend_each_chain_once(staff) -> None:
    for number in range(40):
        facility_create(actor=staff, code=f"F{number}", name=f"Facility {number}")
    start = threading.Barrier(2)
    counts: list[int] = []
    failures: list[BaseException] = []

    def sealer() -> None:
        try:
            start.wait(10)
            counts.append(audit_seal(batch_size=7))
        except BaseException as error:  # surfaced by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sum(counts) == 40 + 1
    assert [link.position for link in _links()] == list(range(1, 41))
    assert audit_chain_verify().ok


def test_the_seal_command_reports_what_it_sealed(facilities: list[Facility]) -> None:
    out = StringIO()
    call_command("seal_audit_history", stdout=out)
    assert out.getvalue().strip() == "Sealed 5 history rows."
