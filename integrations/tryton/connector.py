"""The Tryton connector: inbound pulls (suppliers, purchase orders, receipts in tryton/pull.py; payments in
tryton/payments.py) and outbound deliveries (tryton/push.py) over one logged-in JSON-RPC client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from integrations.connectors import Page
from integrations.errors import PermanentError
from integrations.models import ExternalSystem
from integrations.registry import credential
from integrations.tryton.client import TrytonClient
from integrations.tryton.push import Lookups, invoice_post, vendor_merge_push, vendor_push

DEFAULT_DATABASE: Final = "p2p"


class TrytonConnector:
    """One system's Tryton: a client from its base URL and config (database, the environment variables that hold
    the login and password), created on first use."""

    def __init__(self, system: ExternalSystem) -> None:
        self.system = system
        self._client: TrytonClient | None = None
        self._lookups: Lookups | None = None

    @property
    def client(self) -> TrytonClient:
        """The logged-in client (logs in on its first call)."""
        if self._client is None:
            config = self.system.config or {}
            self._client = TrytonClient(
                self.system.base_url,
                str(config.get("database") or DEFAULT_DATABASE),
                credential(self.system, "login_env"),
                credential(self.system, "password_env"),
                connect_timeout=float(config.get("connect_timeout", 5.0)),
                read_timeout=float(config.get("read_timeout", 60.0)),
            )
        return self._client

    @property
    def lookups(self) -> Lookups:
        """Journal, accounts and currencies, read once per connector."""
        if self._lookups is None:
            self._lookups = Lookups(self.client)
        return self._lookups

    def pull(self, entity: str, cursor: str) -> Iterator[Page]:
        """Pages of canonical records of `entity` changed since `cursor`."""
        if entity == "payment":
            from integrations.tryton.payments import pull_payments

            return pull_payments(self.client, self.system, cursor)
        from integrations.tryton.pull import pull  # written beside the inbound sync

        pages: Iterator[Page] = pull(self.client, self.system, entity, cursor)
        return pages

    def deliver(self, topic: str, payload: dict[str, Any]) -> str:
        """Make the event's effect in Tryton, idempotently; returns the Tryton record (`model,id`)."""
        if topic in ("vendor.created", "vendor.changed"):
            return vendor_push(self.client, payload)
        if topic == "vendor.merged":
            return vendor_merge_push(self.client, payload)
        if topic == "invoice.approved":
            return invoice_post(self.client, self.system, payload, self.lookups)
        raise PermanentError(f"Tryton takes no {topic!r} events")

    def close(self) -> None:
        """Log out and release the HTTP session."""
        if self._client is not None:
            self._client.close()
            self._client = None
            self._lookups = None
