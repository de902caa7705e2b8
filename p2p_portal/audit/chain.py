"""The hash chain's rules: which tables are audited, how a history row is digested and how digests are chained.

The sealer (services.audit_seal) and the verifier (selectors.audit_chain_verify) both use these functions,
so a row is always digested the same way.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.duration import duration_iso_string

GENESIS_LABEL = "p2p-audit-chain:"


def historical_models() -> list[type[models.Model]]:
    """Every simple-history history model (model and many-to-many history) of the installed apps, by table name."""
    from simple_history.models import HistoricalChanges

    found = [model for model in apps.get_models() if issubclass(model, HistoricalChanges)]
    return sorted(found, key=lambda model: model._meta.db_table)


def append_only_models() -> list[type[models.Model]]:
    """Every model whose table the triggers keep append-only: the history tables and the seals themselves."""
    from p2p_portal.audit.models import AuditChainLink, AuditColumnSet

    return [*historical_models(), AuditColumnSet, AuditChainLink]


def row_columns(model: type[models.Model]) -> dict[str, str]:
    """Column name -> attribute name of every concrete column of a history model's table."""
    # Every concrete field has a column; the guard only narrows the type.
    return {field.column: field.attname for field in model._meta.concrete_fields if field.column is not None}


def _json_value(value: Any) -> Any:
    # Values as the ORM returns them; each type gets one fixed text form so the digest is stable.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot digest a {type(value).__name__} history value")


def canonical_row(values: Mapping[str, Any]) -> str:
    """The canonical JSON text of a history row: column names as sorted keys, no whitespace, fixed value forms."""
    return json.dumps(dict(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_value)


def row_digest(values: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a history row's canonical JSON."""
    return hashlib.sha256(canonical_row(values).encode("utf-8")).hexdigest()


def genesis_hash(table: str) -> str:
    """The 'previous chain hash' of a table's first link (bound to the table, so chains cannot be swapped)."""
    return hashlib.sha256(f"{GENESIS_LABEL}{table}".encode()).hexdigest()


def link_hash(previous_chain_hash: str, digest: str) -> str:
    """The chain hash of a link: SHA-256 of the previous link's chain hash followed by this row's digest."""
    return hashlib.sha256(f"{previous_chain_hash}{digest}".encode("ascii")).hexdigest()


def column_set_digest(table: str, columns: list[str]) -> str:
    """Identity of a table layout (table name and sorted column names)."""
    return hashlib.sha256(json.dumps([table, sorted(columns)], separators=(",", ":")).encode("utf-8")).hexdigest()
