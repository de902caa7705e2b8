"""Bulk writes of audited rows with their history rows: COPY on PostgreSQL (Django's bulk INSERT compiles every value
of every row, which cost more than matching itself), the ORM's bulk helpers elsewhere. Every row written gets its
history row, with the actor, API client, request and change reason that simple-history's helpers would record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from matching.services.key_sets import array_parameter
from p2p_portal.audit.context import Actor, current_actor
from p2p_portal.audit.history import REASON_LENGTH
from p2p_portal.request_context import current_request_id

Record = dict[str, Any]  # a row by attribute name (`vendor_id`, not `vendor`)
HISTORY_COLUMNS = (
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
    "history_api_client_id",
    "history_actor_label",
    "history_request_id",
)


def audit_columns(acting: Actor) -> dict[str, Any]:
    """The audit columns of bulk-created history rows (bulk history skips the signal that stamps them)."""
    return {
        "history_actor_label": acting.display[:150],
        "history_api_client_id": acting.api_client_id,
        "history_request_id": (current_request_id() or "")[:128],
    }


@cache
def tracked_attnames(model: type[models.Model]) -> tuple[str, ...]:
    """The attributes of a model that its history rows copy, in column order."""
    return tuple(field.attname for field in model.history.model.tracked_fields)  # type: ignore[attr-defined]


@cache
def _json_attnames(model: type[models.Model]) -> frozenset[str]:
    return frozenset(field.attname for field in model._meta.concrete_fields if isinstance(field, models.JSONField))


def record_of(instance: models.Model) -> Record:
    """A model instance as a record of its tracked attributes."""
    return {name: getattr(instance, name) for name in tracked_attnames(type(instance))}


@cache
def _attnames(model: type[models.Model]) -> list[str]:
    """The attribute of every concrete column of a model, in table order."""
    return [field.attname for field in model._meta.concrete_fields]


@cache
def _column_names(model: type[models.Model]) -> list[str]:
    """Every concrete column of a model, in table order (each concrete field has one)."""
    return [field.column or field.attname for field in model._meta.concrete_fields]


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _reason(reason: str) -> str:
    # Cut like the audited history manager does: the column holds 100 characters.
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def _copy(table: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """COPY rows into a table (text format: psycopg dumps each Python value)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        statement = f"COPY {quote(table)} ({', '.join(quote(name) for name in names)}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


def _values(model: type[models.Model], names: Sequence[str], records: Sequence[Record]) -> list[list[Any]]:
    """The records' values in the order of `names`, JSON fields as JSON text."""
    json_names = _json_attnames(model)
    if not json_names.intersection(names):
        return [[record[name] for name in names] for record in records]
    return [[json.dumps(record[name]) if name in json_names else record[name] for name in names] for record in records]


def ids_allocate(model: type[models.Model], count: int) -> list[int]:
    """Take `count` keys from the table's sequence in one query (rows then go in by COPY with their keys)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        # The sequence is looked up once (OFFSET 0 keeps the planner from inlining the lookup into every row):
        # pg_get_serial_sequence per row cost ten times the nextval calls themselves.
        cursor.execute(
            "SELECT nextval(s.sequence) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS sequence OFFSET 0)"
            " AS s, generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def history_insert(
    model: type[models.Model], records: Sequence[Record], reasons: Sequence[str], history_type: str, columns: Record
) -> None:
    """Write one history row per record (`+` created, `~` changed) with the actor and each record's reason."""
    if not records:
        return
    actor = current_actor()
    stamp = (
        timezone.now(),
        None,  # the reason, per row
        history_type,
        actor.user_id if actor is not None else None,
        columns["history_api_client_id"],
        columns["history_actor_label"],
        columns["history_request_id"],
    )
    names = tracked_attnames(model)
    if _on_postgresql():
        rows = _values(model, names, records)
        for row, reason in zip(rows, reasons, strict=True):
            row.extend(stamp)
            row[len(names) + 1] = _reason(reason)
        _copy(model.history.model._meta.db_table, [*names, *HISTORY_COLUMNS], rows)  # type: ignore[attr-defined]
        return
    instances = _instances(model, records, reasons)
    model.history.bulk_history_create(  # type: ignore[attr-defined]
        instances, update=history_type == "~", default_date=stamp[0], custom_historical_attrs=columns
    )


def _instances(model: type[models.Model], records: Sequence[Record], reasons: Sequence[str]) -> list[models.Model]:
    instances = []
    for record, reason in zip(records, reasons, strict=True):
        instance = model(**record)
        instance._change_reason = reason  # type: ignore[attr-defined]
        instances.append(instance)
    return instances


def _with_defaults(model: type[models.Model], records: Sequence[Record]) -> None:
    """Give every record the default of each concrete attribute it does not set (all records set the same ones)."""
    missing = [
        field for field in model._meta.concrete_fields if not field.primary_key and field.attname not in records[0]
    ]
    for record in records:
        for field in missing:
            record[field.attname] = field.get_default()


def records_insert(
    model: type[models.Model], records: Sequence[Record], reasons: Sequence[str], columns: Record
) -> None:
    """Insert the records (attributes left out take their defaults; `id` is set on each) and their history rows."""
    if not records:
        return
    _with_defaults(model, records)
    if _on_postgresql():
        for record, key in zip(records, ids_allocate(model, len(records)), strict=True):
            record["id"] = key
        _copy(model._meta.db_table, _column_names(model), _values(model, _attnames(model), records))
        history_insert(model, records, reasons, "+", columns)
        return
    instances = _instances(model, records, reasons)
    bulk_create_with_history(instances, model, custom_historical_attrs=columns)
    for record, instance in zip(records, instances, strict=True):
        record["id"] = instance.pk


def instances_insert(
    model: type[models.Model], instances: Sequence[models.Model], reasons: Sequence[str], columns: Record
) -> None:
    """Insert unsaved instances (which may point to each other, in order) and their history rows; keys set on each."""
    if not instances:
        return
    if not _on_postgresql():
        for instance, reason in zip(instances, reasons, strict=True):
            instance._change_reason = reason  # type: ignore[attr-defined]
            bulk_create_with_history([instance], model, custom_historical_attrs=columns)
        return
    for instance, key in zip(instances, ids_allocate(model, len(instances)), strict=True):
        instance.pk = key
    fields = model._meta.concrete_fields
    records = []
    for instance in instances:
        # Takes the keys of related instances saved just above, and fills auto_now fields, as an INSERT would.
        instance._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
        records.append({field.attname: field.pre_save(instance, True) for field in fields})
        instance._state.adding = False
        instance._state.db = connection.alias
    _copy(model._meta.db_table, _column_names(model), _values(model, _attnames(model), records))
    history_insert(model, records, reasons, "+", columns)


def records_update(
    model: type[models.Model],
    records: Sequence[Record],
    changed: dict[str, str],
    reasons: Sequence[str],
    columns: Record,
) -> None:
    """Write the `changed` attributes ({attname: PostgreSQL type}) of the records and a history row for each."""
    if not records:
        return
    if _on_postgresql():
        columns_update(model, [record["id"] for record in records], changed, [[r[n] for n in changed] for r in records])
        history_insert(model, records, reasons, "~", columns)
        return
    instances = _instances(model, records, reasons)
    bulk_update_with_history(
        instances, model, [name.removesuffix("_id") for name in changed], custom_historical_attrs=columns
    )


def columns_update(
    model: type[models.Model], keys: Sequence[int], types: dict[str, str], rows: Sequence[Sequence[Any]]
) -> None:
    """Write these columns of the rows `keys` in one UPDATE from arrays (Django's bulk_update builds a CASE per row and
    column, which costs more than the rest of a batch's writes together). No history: see `records_update`."""
    if not keys:
        return
    if not _on_postgresql():
        for key, row in zip(keys, rows, strict=True):
            model._default_manager.filter(pk=key).update(**dict(zip(types, row, strict=True)))
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = dict(zip(_attnames(model), _column_names(model), strict=True))
    names = [quote(columns[name]) for name in types]
    arrays = ", ".join(f"unnest(%s::{kind}[])" for kind in ["bigint", *types.values()])
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM (SELECT {arrays}) AS v(id, {', '.join(names)})"  # noqa: S608
            " WHERE t.id = v.id",
            [array_parameter(keys), *[array_parameter(row[index] for row in rows) for index in range(len(types))]],
        )
