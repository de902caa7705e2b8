"""Inbound sync runs: pull one entity from one system page by page and apply it, with a SyncRun row for people.

- One run per (system, entity) at a time: a PostgreSQL session advisory lock, held by the run's connection (a
  killed worker's connection closes, so its lock goes with it). A second run is refused with a row that says so.
- Each page is applied in one transaction, and the cursor moves in that same transaction after the whole page:
  a crash mid-page re-reads the page next time, and applying is idempotent.
- Unreadable records and records failing validation go to the dead letters; the run goes on (status partial).
- Transient errors are retried by the connector's RetryPolicy; when the budget is spent the run fails with the
  error, its cursor at the last page applied.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from integrations.connectors import Page, Unreadable
from integrations.errors import ConnectorError
from integrations.models import ExternalSystem, SyncCursor, SyncRun, SyncRunStatus
from integrations.registry import connector_for
from integrations.services.apply import Outcome, Resolver, records_apply, rejection_text
from integrations.services.dead_letters import dead_letter_record, dead_letters_settle
from integrations.services.payloads import canonical_payload
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import InvalidInputError

# The order a system's entities are synced in: a PO names its supplier, a receipt its PO.
ENTITIES = ("supplier", "purchase_order", "receipt")
_LOCK_NAMESPACE = 0x53594E43  # "SYNC": the first key of the two-key advisory lock


def _save(instance: Any, actor: Any, reason: str) -> None:
    instance.full_clean()
    with acting_as(actor, reason=reason):
        instance.save()


@contextmanager
def _run_lock(system: ExternalSystem, entity: str) -> Iterator[bool]:
    """Hold the (system, entity) lock for the block; yields False when another run holds it."""
    if connection.vendor != "postgresql":
        # No advisory locks (SQLite, the demo's single process): a run in progress is its own lock.
        yield not SyncRun.objects.filter(system=system, entity=entity, status=SyncRunStatus.RUNNING).exists()
        return
    key = zlib.crc32(f"{system.pk}:{entity}".encode()) - 2**31  # the lock's second key is a signed int4
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE - 2**31, key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE - 2**31, key])


def _refused(*, actor: Any, system: ExternalSystem, entity: str, triggered_by: str) -> SyncRun:
    """A run row saying why it did not run (another run of the same system and entity is in progress)."""
    running = SyncRun.objects.filter(system=system, entity=entity, status=SyncRunStatus.RUNNING).first()
    now = timezone.now()
    cursor = SyncCursor.objects.filter(system=system, entity=entity).values_list("cursor", flat=True).first() or ""
    run = SyncRun(
        system=system,
        entity=entity,
        status=SyncRunStatus.FAILED,
        started_at=now,
        finished_at=now,
        cursor_before=cursor,
        cursor_after=cursor,
        triggered_by=triggered_by[:150],
        error=f"Skipped: run {running.pk if running else '?'} of {system.code}/{entity} is still in progress.",
    )
    _save(run, actor, "sync skipped: another run in progress")
    return run


def _orphans_close(*, actor: Any, system: ExternalSystem, entity: str) -> None:
    """Runs left `running` by a worker that died (we hold the lock, so none of them is alive) are failed."""
    for orphan in SyncRun.objects.filter(system=system, entity=entity, status=SyncRunStatus.RUNNING):
        orphan.status = SyncRunStatus.FAILED
        orphan.finished_at = timezone.now()
        orphan.error = "Interrupted: the worker stopped before the run finished; the next run resumed from the cursor."
        _save(orphan, actor, "sync run interrupted")


@transaction.atomic
def _run_start(*, actor: Any, system: ExternalSystem, entity: str, triggered_by: str) -> SyncRun:
    stored, _ = SyncCursor.objects.get_or_create(system=system, entity=entity)
    run = SyncRun(
        system=system,
        entity=entity,
        status=SyncRunStatus.RUNNING,
        started_at=timezone.now(),
        cursor_before=stored.cursor,
        cursor_after=stored.cursor,
        triggered_by=triggered_by[:150],
    )
    _save(run, actor, f"sync of {system.code}/{entity} started")
    return run


@transaction.atomic
def _page_apply(*, actor: Any, system: ExternalSystem, run: SyncRun, page: Page, resolver: Resolver) -> None:
    """Apply one page and move the cursor, all in one transaction."""
    stored = SyncCursor.objects.select_for_update().get(system=system, entity=run.entity)
    readable = [record for record in page.records if not isinstance(record, Unreadable)]
    results = iter(records_apply(actor=actor, system=system, entity=run.entity, records=readable, resolver=resolver))
    applied: list[str] = []
    for record in page.records:
        if isinstance(record, Unreadable):
            dead_letter_record(
                actor=actor, system=system, entity=run.entity, external_id=record.external_id,
                payload=record.payload, error=str(record.error), sync_run=run,
            )  # fmt: skip
            run.failed += 1
            continue
        result = next(results)
        if isinstance(result, Outcome):
            setattr(run, result.value, getattr(run, result.value) + 1)
            applied.append(record.external_id)
        else:
            dead_letter_record(
                actor=actor, system=system, entity=run.entity, external_id=record.external_id,
                payload=canonical_payload(record), error=rejection_text(result), sync_run=run,
            )  # fmt: skip
            run.failed += 1
    dead_letters_settle(actor=actor, system=system, entity=run.entity, external_ids=applied, sync_run=run)
    run.fetched += len(page.records)
    run.cursor_after = page.cursor
    if stored.cursor != page.cursor:
        stored.cursor = page.cursor
        _save(stored, actor, f"sync run {run.pk}: page applied")
    _save(run, actor, "page applied")


def _run_finish(*, actor: Any, run: SyncRun, error: str = "") -> SyncRun:
    run.finished_at = timezone.now()
    if error:
        run.status = SyncRunStatus.FAILED
        run.error = error[:4000]
    else:
        run.status = SyncRunStatus.PARTIAL if run.failed else SyncRunStatus.SUCCEEDED
    _save(run, actor, f"sync run {run.status}")
    return run


def sync_entity_run(*, actor: Any, system: ExternalSystem, entity: str, triggered_by: str) -> SyncRun:
    """Pull `entity` from `system` since its cursor and apply it, page by page; the SyncRun says what happened."""
    if entity not in ENTITIES:
        raise InvalidInputError(f"entity is one of {', '.join(ENTITIES)}", code="unknown_entity", field="entity")
    with _run_lock(system, entity) as acquired:
        if not acquired:
            return _refused(actor=actor, system=system, entity=entity, triggered_by=triggered_by)
        _orphans_close(actor=actor, system=system, entity=entity)
        run = _run_start(actor=actor, system=system, entity=entity, triggered_by=triggered_by)
        resolver = Resolver(system=system)
        try:
            connector = connector_for(system)
        except ConnectorError as error:
            return _run_finish(actor=actor, run=run, error=f"{type(error).__name__}: {error}")
        try:
            for page in connector.pull(entity, run.cursor_before):
                if page.records or page.cursor != run.cursor_after:
                    _page_apply(actor=actor, system=system, run=run, page=page, resolver=resolver)
        except ConnectorError as error:
            # The retry budget is spent, or the error is one no retry helps: the cursor stays at the last page.
            run.refresh_from_db()
            return _run_finish(actor=actor, run=run, error=f"{type(error).__name__}: {error}")
        except Exception as error:
            run.refresh_from_db()
            _run_finish(actor=actor, run=run, error=f"{type(error).__name__}: {error}")
            raise
        finally:
            connector.close()
        return _run_finish(actor=actor, run=run)


def syncs_due(*, now: datetime | None = None) -> list[tuple[ExternalSystem, tuple[str, ...]]]:
    """Enabled systems with the entities whose last run started at least `sync_interval_minutes` ago (or never),
    in sync order."""
    from integrations.selectors import entities_of  # the selectors import this module's ENTITIES

    now = now or timezone.now()
    latest: dict[tuple[int, str], datetime] = {
        (system_id, entity): started
        for system_id, entity, started in SyncRun.objects.values("system_id", "entity")
        .annotate(started=Max("started_at"))
        .values_list("system_id", "entity", "started")
    }
    due = []
    for system in ExternalSystem.objects.filter(enabled=True).order_by("code"):
        horizon = now - timedelta(minutes=system.sync_interval_minutes)
        entities = tuple(
            entity
            for entity in entities_of(system)
            if (started := latest.get((system.pk, entity))) is None or started <= horizon
        )
        if entities:
            due.append((system, entities))
    return due
