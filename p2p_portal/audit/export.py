"""CSV export of audit entries: one row per changed field, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from p2p_portal.audit.entries import AuditEntry, FieldChange

COLUMNS = [
    "when", "actor", "actor_kind", "action", "record_type", "record_id", "record", "facility",
    "field", "before", "after", "reason", "request_id", "history_id",
]  # fmt: skip
MAX_ROWS = 100_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (a vendor name like '=HYPERLINK(...)' must stay text)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The header, then a line per field change (a line per entry when nothing changed field by field)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    rows = 0
    for entry in entries:
        changes: list[FieldChange | None] = list(entry.changes) or [None]
        for change in changes:
            cells = [
                entry.when.isoformat(timespec="seconds"), entry.actor, entry.actor_kind, entry.action,
                entry.object_type, entry.object_id, entry.object_repr, entry.facility,
                change.field if change else "", change.before if change else "", change.after if change else "",
                entry.reason, entry.request_id, str(entry.history_id),
            ]  # fmt: skip
            yield writer.writerow([_cell(cell) for cell in cells])
            rows += 1
        if rows >= MAX_ROWS:
            yield writer.writerow([f"(cut at {MAX_ROWS} rows: narrow the filters)"])
            return
