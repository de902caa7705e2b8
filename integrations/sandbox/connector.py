"""The procurement sandbox (Coupa-style REST) as a Connector: incremental pulls of suppliers, POs and receipts.

The procurement suite takes no events from us, so `deliver` refuses permanently. Calls are spaced by the system's
`rate_limit_per_second`, and every request is retried by the RetryPolicy (backoff, jitter, Retry-After).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import requests

from integrations.connectors import Page, Unreadable
from integrations.errors import MalformedRecordError, PermanentError
from integrations.models import ExternalSystem
from integrations.procurement.client import ProcurementClient, RetryPolicy, SyncCursor
from integrations.registry import credential
from integrations.sandbox.mapping import COLLECTIONS, Canonical, external_id, record_from

DEFAULT_RETRY = RetryPolicy()


def retry_policy_for(system: ExternalSystem) -> RetryPolicy:
    """The system's retry budget: `config["retry"]` may set any RetryPolicy field, the defaults fill the rest."""
    overrides = system.config.get("retry") or {}
    if not isinstance(overrides, dict):
        return DEFAULT_RETRY
    values: dict[str, Any] = {
        name: int(value) if name == "max_attempts" else float(value)
        for name, value in overrides.items()
        if name in RetryPolicy.__dataclass_fields__
    }
    return RetryPolicy(**values)


class ThrottledSession(requests.Session):
    """A session that starts no two requests closer together than 1 / rate seconds (retries included)."""

    def __init__(self, rate_per_second: float) -> None:
        """Space requests for `rate_per_second` calls a second."""
        super().__init__()
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._next_at = 0.0
        self._lock = threading.Lock()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Wait for this request's slot, then send it."""
        with self._lock:
            now = time.monotonic()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + self.interval
        if wait > 0:
            time.sleep(wait)
        return super().request(method, url, *args, **kwargs)


def mapped(entity: str, payload: dict[str, Any]) -> Canonical | Unreadable:
    """The canonical record of a payload, or an Unreadable carrying it and the field that failed."""
    try:
        return record_from(entity, payload)
    except MalformedRecordError as error:
        return Unreadable(external_id=external_id(payload), payload=payload, error=error)


class SandboxConnector:
    """Pulls from a Coupa-style procurement system (the sandbox); delivers nothing."""

    def __init__(self, system: ExternalSystem) -> None:
        """A client for the system, with the API key from the environment variable its config names."""
        self.system = system
        self.retry = retry_policy_for(system)
        self.client = ProcurementClient(
            system.base_url,
            api_key=credential(system, "api_key_env"),
            page_size=int(system.config.get("page_size") or 50),
            session=ThrottledSession(system.rate_limit_per_second),
        )

    def pull(self, entity: str, cursor: str) -> Iterator[Page]:
        """Pages of canonical records (or Unreadable) changed since `cursor`, oldest first."""
        collection = _collection(entity)
        for page in self.client.iter_changes(collection, cursor=SyncCursor.decode(cursor), retry=self.retry):
            records = [mapped(entity, payload) for payload in page.records]
            yield Page(records=records, cursor=page.cursor.encode() if page.cursor else cursor)

    def fetch(self, entity: str, external_id: str) -> Canonical | Unreadable:
        """The record as the system holds it now (a dead letter's replay reads it again after a fix at the source)."""
        collection = _collection(entity)
        if not external_id.isdigit():
            raise PermanentError(f"{self.system.code}: {entity} ids are numbers, not {external_id!r}")
        payload = self.retry.call(lambda: self.client.get(collection, int(external_id)))
        return mapped(entity, payload)

    def deliver(self, topic: str, payload: dict[str, Any]) -> str:
        """The procurement sandbox takes no events: a permanent refusal, never retried."""
        raise PermanentError(f"{self.system.code} is a procurement system and takes no events ({topic}).")

    def close(self) -> None:
        """Close the HTTP session."""
        self.client.close()


def _collection(entity: str) -> str:
    try:
        return COLLECTIONS[entity]
    except KeyError:
        raise ValueError(f"entity is one of {', '.join(COLLECTIONS)}") from None
