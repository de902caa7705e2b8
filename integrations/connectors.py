"""The connector interface: what the sync jobs and the outbox dispatcher ask of any system. One subpackage per
system implements it (`integrations/<name>/connector.py`), beside its pure HTTP `client.py` and its `mapping.py`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from integrations.errors import MalformedRecordError


@dataclass(frozen=True)
class Unreadable:
    """A record that could not be mapped: kept with its payload for the dead letters (the run goes on)."""

    external_id: str
    payload: dict[str, Any]
    error: MalformedRecordError


@dataclass(frozen=True)
class Page:
    """Records of one entity in source order, and the cursor to persist once they are all applied."""

    records: list[Any] = field(default_factory=list)
    cursor: str = ""


class Connector(Protocol):
    """A system we pull from and deliver to."""

    def pull(self, entity: str, cursor: str) -> Iterator[Page]:
        """Pages of canonical records (or `Unreadable`) changed since `cursor`, oldest first."""
        ...

    def deliver(self, topic: str, payload: dict[str, Any]) -> str:
        """Make the event's effect in the system, idempotently (a redelivery changes nothing); the system's
        reference for what it made. Raises a ConnectorError that says whether a retry can help."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
