"""Audit services: sealing history rows into per-table hash chains, in batches, off the write path."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from p2p_portal.audit.chain import (
    column_set_digest,
    genesis_hash,
    historical_models,
    link_hash,
    row_columns,
    row_digest,
)
from p2p_portal.audit.models import AuditChainHead, AuditChainLink, AuditColumnSet

# How long after a history id was seen a transaction that still holds a lower id may commit and still be
# picked up by the periodic sealer. Requests and tasks (hard limit 300 s) finish long before; a row
# committed later still is reported as "not sealed yet" by the verifier and sealed by `audit_seal(full=True)`.
SETTLE_AFTER = timedelta(hours=1)


def audit_seal(*, batch_size: int = 5000, full: bool = False) -> int:
    """Seal every history row not sealed yet into its table's hash chain; returns how many rows were sealed.

    Each batch is its own transaction, under the lock of its table's head row, so writers of history rows
    never wait for a sealer and two sealers never extend one chain at the same time. `full` looks below the
    settled floor too (rows whose transaction committed more than SETTLE_AFTER late).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    present = set(connection.introspection.table_names())
    sealed = 0
    for model in historical_models():
        table = model._meta.db_table
        if table not in present:  # its migration is not applied yet
            continue
        AuditChainHead.objects.get_or_create(table=table)
        while True:
            count = _seal_batch(model, batch_size=batch_size, full=full)
            sealed += count
            if count < batch_size:
                break
    return sealed


@transaction.atomic
def _seal_batch(model: type[models.Model], *, batch_size: int, full: bool) -> int:
    table = model._meta.db_table
    # PostgreSQL: the row lock makes a second sealer of this table wait until this batch commits, then
    # read the new chain end. SQLite ignores FOR UPDATE, but its transactions start IMMEDIATE (settings):
    # the database write lock is taken at BEGIN, so sealers are serialised there too. Should either fail,
    # the unique (table, position) constraint rejects the second sealer's links instead of forking a chain.
    head = AuditChainHead.objects.select_for_update().get(table=table)
    now = timezone.now()
    columns = row_columns(model)
    pk_name = model._meta.pk.attname
    # Not "above the last sealed id": a transaction that commits late has a lower id than rows already sealed.
    pending = model._base_manager.filter(~Exists(AuditChainLink.objects.filter(table=table, history_id=OuterRef("pk"))))
    if not full:
        pending = pending.filter(pk__gt=head.settled_below)
    batch = list(pending.order_by("pk").values(*columns.values())[:batch_size])
    if batch:
        column_set = _column_set(table, sorted(columns), now)
        last = AuditChainLink.objects.filter(table=table).order_by("-position").first()
        previous = last.chain_hash if last is not None else genesis_hash(table)
        position = last.position if last is not None else 0
        links: list[AuditChainLink] = []
        for row in batch:
            digest = row_digest({column: row[attname] for column, attname in columns.items()})
            previous = link_hash(previous, digest)
            position += 1
            links.append(
                AuditChainLink(
                    table=table,
                    history_id=row[pk_name],
                    position=position,
                    row_digest=digest,
                    chain_hash=previous,
                    column_set=column_set,
                    sealed_at=now,
                )
            )
        AuditChainLink.objects.bulk_create(links, batch_size=1000)
        head.chain_hash = previous
        head.link_count = position
        head.sealed_at = now
    if len(batch) < batch_size:
        _advance_floor(model, head, now)
    head.save()
    return len(batch)


def _advance_floor(model: type[models.Model], head: AuditChainHead, now: datetime) -> None:
    # Called when every visible row above the floor is sealed. Ids up to an observation that is
    # SETTLE_AFTER old belong to transactions that began before it; they are settled.
    if head.observed_at is not None and now - head.observed_at < SETTLE_AFTER:
        return
    if head.observed_at is not None:
        head.settled_below = max(head.settled_below, head.observed_max_id)
    head.observed_max_id = model._base_manager.aggregate(top=Max("pk"))["top"] or 0
    head.observed_at = now


def _column_set(table: str, columns: list[str], now: datetime) -> AuditColumnSet:
    column_set, _ = AuditColumnSet.objects.get_or_create(
        digest=column_set_digest(table, columns), defaults={"table": table, "columns": columns, "created_at": now}
    )
    return column_set
