"""Audit reads: re-computing the hash chains from the history rows, for the command now and the UI later."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice

from django.db import models
from django.db.models import Exists, OuterRef

from p2p_portal.audit.chain import genesis_hash, historical_models, link_hash, row_columns, row_digest
from p2p_portal.audit.models import AuditChainHead, AuditChainLink, AuditColumnSet

_CHUNK = 2000


class BreakKind(StrEnum):
    """Why a link does not hold."""

    ALTERED = "altered"  # the history row differs from what was sealed
    DELETED = "deleted"  # the sealed history row is gone
    LINK_ALTERED = "link altered"  # the link's chain hash does not follow from the links before it
    LINK_MISSING = "link missing"  # a position in the chain has no link
    TRUNCATED = "truncated"  # the head counts more links than there are
    TABLE_MISSING = "table missing"  # links exist for a history table the project no longer has


@dataclass(frozen=True)
class ChainBreak:
    """The first link of a table's chain that does not hold, and why."""

    table: str
    history_id: int | None
    position: int | None
    kind: BreakKind
    detail: str

    @property
    def where(self) -> str:
        if self.history_id is None:
            return "the chain end"
        return f"history_id {self.history_id} (position {self.position})"

    def __str__(self) -> str:
        return f"{self.table} {self.where} {self.kind}: {self.detail}"


@dataclass(frozen=True)
class TableChain:
    """The verification of one history table's chain."""

    table: str
    verified: int
    unsealed: int
    head_hash: str
    broken: ChainBreak | None = None


@dataclass(frozen=True)
class ChainReport:
    """The verification of every chain: intact when no table has a break."""

    tables: tuple[TableChain, ...]

    @property
    def ok(self) -> bool:
        return all(chain.broken is None for chain in self.tables)

    @property
    def breaks(self) -> list[ChainBreak]:
        return [chain.broken for chain in self.tables if chain.broken is not None]

    @property
    def verified(self) -> int:
        return sum(chain.verified for chain in self.tables)

    @property
    def unsealed(self) -> int:
        return sum(chain.unsealed for chain in self.tables)


def audit_chain_verify() -> ChainReport:
    """Re-compute every history table's chain from its rows and report each table's first broken link."""
    models_by_table = {model._meta.db_table: model for model in historical_models()}
    sealed_tables = set(AuditChainLink.objects.values_list("table", flat=True).distinct())
    column_sets = {column_set.pk: list(column_set.columns) for column_set in AuditColumnSet.objects.all()}
    heads = {head.table: head for head in AuditChainHead.objects.all()}
    chains: list[TableChain] = []
    for table in sorted(set(models_by_table) | sealed_tables):
        model = models_by_table.get(table)
        if model is None:
            first = AuditChainLink.objects.filter(table=table).order_by("position").first()
            detail = "links exist for a history table that no model declares any more"
            chains.append(
                TableChain(
                    table=table,
                    verified=0,
                    unsealed=0,
                    head_hash="",
                    broken=ChainBreak(
                        table=table,
                        history_id=first.history_id if first else None,
                        position=first.position if first else None,
                        kind=BreakKind.TABLE_MISSING,
                        detail=detail,
                    ),
                )
            )
            continue
        chains.append(_verify_table(model, column_sets, heads.get(table)))
    return ChainReport(tables=tuple(chains))


def _chunks(items: Iterable[tuple[int, int, str, str, int]]) -> Iterator[list[tuple[int, int, str, str, int]]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


def _verify_table(
    model: type[models.Model], column_sets: dict[int, list[str]], head: AuditChainHead | None
) -> TableChain:
    table = model._meta.db_table
    columns = row_columns(model)
    pk_name = model._meta.pk.attname
    links = AuditChainLink.objects.filter(table=table).order_by("position")
    unsealed = model._base_manager.filter(
        ~Exists(AuditChainLink.objects.filter(table=table, history_id=OuterRef("pk")))
    ).count()
    previous = genesis_hash(table)
    verified = 0

    def broken(history_id: int | None, position: int | None, kind: BreakKind, detail: str) -> TableChain:
        return TableChain(
            table=table,
            verified=verified,
            unsealed=unsealed,
            head_hash=previous,
            broken=ChainBreak(table=table, history_id=history_id, position=position, kind=kind, detail=detail),
        )

    rows_of_links = links.values_list("position", "history_id", "row_digest", "chain_hash", "column_set_id")
    for chunk in _chunks(rows_of_links.iterator(chunk_size=_CHUNK)):
        ids = [history_id for _, history_id, _, _, _ in chunk]
        rows = {row[pk_name]: row for row in model._base_manager.filter(pk__in=ids).values(*columns.values())}
        for position, history_id, sealed_digest, sealed_chain_hash, column_set_id in chunk:
            if position != verified + 1:
                return broken(
                    history_id, position, BreakKind.LINK_MISSING, f"no link at position {verified + 1} of the chain"
                )
            row = rows.get(history_id)
            if row is None:
                return broken(history_id, position, BreakKind.DELETED, "the sealed history row was deleted")
            sealed_columns = column_sets[column_set_id]
            gone = [column for column in sealed_columns if column not in columns]
            if gone:
                return broken(
                    history_id, position, BreakKind.ALTERED, f"sealed column(s) {', '.join(gone)} no longer exist"
                )
            digest = row_digest({column: row[columns[column]] for column in sealed_columns})
            if digest != sealed_digest:
                return broken(
                    history_id, position, BreakKind.ALTERED, "the history row was altered after it was sealed"
                )
            chain_hash = link_hash(previous, digest)
            if chain_hash != sealed_chain_hash:
                return broken(
                    history_id,
                    position,
                    BreakKind.LINK_ALTERED,
                    "the link's chain hash does not follow from the links before it",
                )
            previous = chain_hash
            verified += 1
    if head is not None and head.link_count > verified:
        return broken(
            None,
            None,
            BreakKind.TRUNCATED,
            f"the seal head counts {head.link_count} links, the chain has {verified}",
        )
    return TableChain(table=table, verified=verified, unsealed=unsealed, head_hash=previous)
