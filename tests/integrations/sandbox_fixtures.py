"""Helpers shared by the sandbox and procurement-client tests: start real sandbox processes, read them raw."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import requests

from integrations.sandbox.process import SandboxProcess

API_KEY = "sandbox-test-key"
HEADERS = {"X-COUPA-API-KEY": API_KEY}
ENTITIES = ("suppliers", "purchase_orders", "receipts")


def start_sandbox(**options: Any) -> SandboxProcess:
    """A started sandbox with the test API key; the caller stops it."""
    return SandboxProcess(api_key=API_KEY, **options).start()


def sandbox_factory_fixture() -> Iterator[Callable[..., SandboxProcess]]:
    """Body of a fixture that starts sandboxes on demand and stops them all afterwards."""
    started: list[SandboxProcess] = []

    def make(**options: Any) -> SandboxProcess:
        process = start_sandbox(**options)
        started.append(process)
        return process

    try:
        yield make
    finally:
        for process in started:
            process.stop()


def api_get(sandbox: SandboxProcess, path: str, *, session: requests.Session | None = None, **params: Any) -> Any:
    """GET an API path with the key; returns the response (no raising)."""
    return (session or requests).get(f"{sandbox.base_url}{path}", params=params, headers=HEADERS, timeout=30)


def read_by_offset(sandbox: SandboxProcess, entity: str, *, limit: int = 50, **filters: Any) -> list[dict[str, Any]]:
    """Every record in API order by plain offset paging (no faults expected)."""
    records: list[dict[str, Any]] = []
    with requests.Session() as session:
        while True:
            response = api_get(sandbox, f"/api/{entity}", session=session, limit=limit, offset=len(records), **filters)
            assert response.status_code == 200, response.text
            page = response.json()
            records += page
            if len(page) < int(response.headers["X-Page-Limit"]):
                return records


def order_key(record: dict[str, Any]) -> tuple[str, int]:
    return record["updated-at"], record["id"]
