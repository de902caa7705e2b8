"""The sandbox's data: generated base records plus a small overlay of records changed or added at run time.

Base records are ordered by (updated_at, id) simply by their index, because their updated-at never decreases
with the index. A change stamps the record with a time later than every base record, so changed and added
records form a sorted tail after the unchanged base records: filtering by updated-at is a bisection in each part,
and a page is generated on demand. Only the overlay (the changes) is kept in memory.
"""

from __future__ import annotations

import bisect
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

from integrations.sandbox import generators as gen
from integrations.sandbox.generators import DatasetShape


@dataclass(frozen=True)
class Override:
    """What run time did to one record: its new updated-at, field changes in order, and a malformed-record fix."""

    updated_us: int
    changes: tuple[tuple[str, Any], ...] = ()
    malformed_fixed: bool = False


class EntityTable:
    """One entity's records: base indices [0, base_count) and records added after them, with their overlay."""

    def __init__(self, shape: DatasetShape, entity: str) -> None:
        self.shape = shape
        self.entity = entity
        self.base_count = shape.base_count(entity)
        self.count = self.base_count
        self.overrides: dict[int, Override] = {}
        self._moved: list[int] = []  # base indices with an override (sorted): they left their base position
        self._tail: list[tuple[int, int]] = []  # (updated_us, index) of overridden and added records, sorted

    def base_updated_us(self, index: int) -> int:
        return gen.base_updated_us(self.shape, self.entity, index)

    def updated_us(self, index: int) -> int:
        override = self.overrides.get(index)
        return override.updated_us if override else self.base_updated_us(index)

    def put(self, index: int, override: Override) -> None:
        """Store a new override; its stamp must be later than every base record's."""
        previous = self.overrides.get(index)
        if previous is not None:
            position = bisect.bisect_left(self._tail, (previous.updated_us, index))
            del self._tail[position]
        elif index < self.base_count:
            bisect.insort(self._moved, index)
        self.overrides[index] = override
        bisect.insort(self._tail, (override.updated_us, index))

    def add(self, stamp_us: int) -> int:
        index = self.count
        self.count += 1
        self.put(index, Override(updated_us=stamp_us))
        return index

    def _kth_unmoved(self, start: int, k: int) -> int:
        """The k-th (0-based) base index at or after `start` that has not moved to the tail."""
        moved_before_start = bisect.bisect_left(self._moved, start)
        candidate = start + k
        while True:  # converges upward: each moved index at or below the candidate pushes it one further
            moved = bisect.bisect_right(self._moved, candidate) - moved_before_start
            following = start + k + moved
            if following == candidate:
                return candidate
            candidate = following

    def select(
        self, *, after_us: int | None, inclusive: bool, offset: int, limit: int
    ) -> tuple[list[tuple[int, Override | None]], int]:
        """Indices (with overrides) of one page ordered by (updated_at, id), and the number matching the filter."""
        if after_us is None:
            start, tail_start = 0, 0
        else:
            find = bisect.bisect_left if inclusive else bisect.bisect_right
            start = find(range(self.base_count), after_us, key=self.base_updated_us)
            tail_start = bisect.bisect_left(self._tail, (after_us, -1) if inclusive else (after_us + 1, -1))
        base_matching = (self.base_count - start) - (len(self._moved) - bisect.bisect_left(self._moved, start))
        total = base_matching + len(self._tail) - tail_start
        page: list[tuple[int, Override | None]] = []
        if offset < base_matching:
            index = self._kth_unmoved(start, offset)
            while len(page) < limit and index < self.base_count:
                if index not in self.overrides:
                    page.append((index, None))
                index += 1
            offset = 0
        else:
            offset -= base_matching
        position = tail_start + offset
        while len(page) < limit and position < len(self._tail):
            index = self._tail[position][1]
            page.append((index, self.overrides[index]))
            position += 1
        return page, total


class SandboxStore:
    """All entities, run-time changes and the malformed-record rule; every method is safe across threads."""

    def __init__(self, shape: DatasetShape) -> None:
        self.shape = shape
        self.lock = threading.RLock()
        self.tables = {entity: EntityTable(shape, entity) for entity in gen.ENTITIES}
        self.malformed_rate = 0.0
        self._change_sequence = 0
        self._last_stamp = max(t.base_updated_us(max(t.base_count - 1, 0)) for t in self.tables.values())

    def _stamp(self) -> int:
        """A time later than anything stamped before: changes never share an updated-at, and never go back."""
        self._last_stamp = max(time.time_ns() // 1000, self._last_stamp + 1)
        return self._last_stamp

    # --- reading -------------------------------------------------------------------------------------------

    def is_malformed(self, entity: str, index: int, override: Override | None) -> bool:
        if override is not None and override.malformed_fixed:
            return False
        rate = self.malformed_rate
        return rate > 0 and gen.unit_hash(self.shape.seed, entity, index, "malformed") < rate

    def render(self, entity: str, index: int, override: Override | None, *, malformed: bool) -> dict[str, Any]:
        """The record as served: generated, run-time changes applied, and broken if it is a poison record."""
        record = gen.base_record(self.shape, entity, index)
        if override is not None:
            for path, value in override.changes:
                gen.set_path(record, path, value)
            record["updated-at"] = gen.format_us(override.updated_us)
            if index >= self.tables[entity].base_count and not any(p == "created-at" for p, _ in override.changes):
                record["created-at"] = record["updated-at"]
        if malformed:
            choices = gen.MALFORMED_FIELDS[entity]
            path, value = choices[int(gen.unit_hash(self.shape.seed, entity, index, "field") * len(choices))]
            gen.set_path(record, path, value)
        return record

    def page(
        self, entity: str, *, after_us: int | None, inclusive: bool, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int, int]:
        """(records, total matching, how many of the records are malformed)."""
        with self.lock:
            selected, total = self.tables[entity].select(
                after_us=after_us, inclusive=inclusive, offset=offset, limit=limit
            )
            flags = [self.is_malformed(entity, index, override) for index, override in selected]
        records = [
            self.render(entity, index, override, malformed=flag)
            for (index, override), flag in zip(selected, flags, strict=True)
        ]
        return records, total, sum(flags)

    def get(self, entity: str, record_id: int) -> tuple[dict[str, Any] | None, bool]:
        index = record_id - 1
        with self.lock:
            table = self.tables[entity]
            if not 0 <= index < table.count:
                return None, False
            override = table.overrides.get(index)
            malformed = self.is_malformed(entity, index, override)
        return self.render(entity, index, override, malformed=malformed), malformed

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {entity: table.count for entity, table in self.tables.items()}

    # --- run-time changes -------------------------------------------------------------------------------------

    def _current(self, entity: str, index: int) -> dict[str, Any]:
        return self.render(entity, index, self.tables[entity].overrides.get(index), malformed=False)

    def _touch(self, entity: str, index: int, changes: list[tuple[str, Any]], *, fix: bool | None = None) -> int:
        table = self.tables[entity]
        previous = table.overrides.get(index)
        stamp = self._stamp()
        table.put(
            index,
            Override(
                updated_us=stamp,
                changes=(previous.changes if previous else ()) + tuple(changes),
                malformed_fixed=(previous.malformed_fixed if previous else False) if fix is None else fix,
            ),
        )
        return stamp

    def change(
        self, entity: str, *, count: int = 0, ids: list[int] | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Change `ids` (or `count` records picked by the seed) as a user of the source system would."""
        with self.lock:
            table = self.tables[entity]
            self._change_sequence += 1
            rng = random.Random(self.shape.seed * 7_919 + self._change_sequence)  # noqa: S311
            if ids is None:
                indices = rng.sample(range(table.count), min(count, table.count))
            else:
                indices = [record_id - 1 for record_id in ids]
                if any(not 0 <= index < table.count for index in indices):
                    raise LookupError("no such record")
            kinds = CHANGE_KINDS[entity]
            if kind is not None and kind not in kinds:
                raise ValueError(f"kind for {entity} is one of: {', '.join(kinds)}")
            changed = []
            for position, index in enumerate(indices):
                this_kind = kind or kinds[(self._change_sequence + position) % len(kinds)]
                changes = _changes_for(entity, this_kind, self._current(entity, index), rng)
                stamp = self._touch(entity, index, changes)
                changed.append({"id": index + 1, "kind": this_kind, "updated-at": gen.format_us(stamp)})
            return changed

    def add(self, entity: str, *, count: int) -> list[int]:
        with self.lock:
            if entity == gen.RECEIPTS and self.shape.orders == 0:
                raise ValueError("receipts need purchase orders")
            return [self.tables[entity].add(self._stamp()) + 1 for _ in range(count)]

    def fix_malformed(self, entities: list[str], ids: list[int] | None = None) -> dict[str, list[int]]:
        """Repair the poison records (the source was fixed): each gets a new updated-at and stays readable."""
        fixed: dict[str, list[int]] = {}
        with self.lock:
            for entity in entities:
                table = self.tables[entity]
                indices = range(table.count) if ids is None else [i - 1 for i in ids if 0 < i <= table.count]
                broken = [i for i in indices if self.is_malformed(entity, i, table.overrides.get(i))]
                for index in broken:
                    self._touch(entity, index, [], fix=True)
                fixed[entity] = [index + 1 for index in broken]
        return fixed

    def reset_data(self) -> None:
        """Forget every run-time change and added record (the seed's data again)."""
        with self.lock:
            self.tables = {entity: EntityTable(self.shape, entity) for entity in gen.ENTITIES}


CHANGE_KINDS: dict[str, tuple[str, ...]] = {
    gen.SUPPLIERS: ("name", "bank", "contact", "address", "status"),
    gen.PURCHASE_ORDERS: ("price", "quantity", "status"),
    gen.RECEIPTS: ("quantity",),
}


def _cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((fraction + "00")[:2]))


def _changes_for(entity: str, kind: str, record: dict[str, Any], rng: random.Random) -> list[tuple[str, Any]]:
    """Field changes of one kind, computed from the record's current state."""
    if entity == gen.SUPPLIERS:
        if kind == "name":
            trade = record["display-name"].split(" ", 1)[1]
            stem = rng.choice([s for s in gen.NAME_STEMS if not record["name"].startswith(s)])
            return [("name", f"{stem} {trade} {rng.choice(gen.NAME_FORMS)}"), ("display-name", f"{stem} {trade}")]
        if kind == "bank":
            return [("remit-to-addresses.0.bank-account", gen.bank_account(rng))]
        if kind == "contact":
            return [
                ("primary-contact.email", f"billing{rng.randrange(10**4)}@{record['id']}.example.com"),
                ("primary-contact.phone-work", f"+1-555-555-{rng.randrange(100, 200):04d}"),
            ]
        if kind == "address":
            return [("primary-address", gen.postal_address(rng))]
        return [("status", "on_hold" if record["status"] == "active" else "active")]
    if entity == gen.PURCHASE_ORDERS:
        if kind == "status":
            return [("status", "closed" if record["status"] == "issued" else "issued")]
        lines = record["order-lines"]
        number = rng.randrange(len(lines))
        line = lines[number]
        price, hundredths = _cents(line["price"]), _cents(line["quantity"])
        if kind == "price":
            price = price * 103 // 100 + 1
        else:
            hundredths += 100
        extended = (price * hundredths + 50) // 100
        total = _cents(record["total"]) - _cents(line["total"]) + extended
        return [
            (f"order-lines.{number}.price", gen.money(price)),
            (f"order-lines.{number}.quantity", gen.quantity_text(hundredths)),
            (f"order-lines.{number}.total", gen.money(extended)),
            ("total", gen.money(total)),
        ]
    hundredths = _cents(record["quantity"])
    corrected = hundredths - 100 if abs(hundredths) > 100 else hundredths + (100 if hundredths > 0 else -100)
    return [("quantity", gen.quantity_text(corrected))]
