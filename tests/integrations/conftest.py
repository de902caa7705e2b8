"""A live Tryton for the integration tests: installed on first use (cached), a fresh snapshot copy per test module
(a server starts from a copy in about 1.5 s), so that what one module leaves in the ERP never meets another's
assertions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from integrations.tryton.harness import TrytonServer, TrytonUnavailableError, ensure_ready
from tests.conftest import _missing


@dataclass(frozen=True)
class LiveTryton:
    """Where the test Tryton answers and how to log in; `server` can drop sessions or clear login throttling."""

    url: str
    database: str
    login: str
    password: str
    server: TrytonServer


_unavailable: list[str] = []  # the first failure's reason, so that later tests do not retry pip one by one


@pytest.fixture(scope="module")
def _tryton_server() -> Iterator[TrytonServer]:
    if _unavailable:
        _missing(_unavailable[0])
    started = time.monotonic()
    try:
        home = ensure_ready()
        server = TrytonServer(home).start()
    except TrytonUnavailableError as exc:
        _unavailable.append(f"needs a Tryton 8.2 installed from PyPI by integrations.tryton.harness: {exc}")
        _missing(_unavailable[0])
    ready = time.monotonic() - started
    print(f"\n[tryton] ready on {server.url} in {ready:.1f} s (server start {server.startup_seconds:.1f} s)")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tryton(_tryton_server: TrytonServer) -> LiveTryton:
    """Base URL, database, login and password of a running trytond serving a private copy of the seeded snapshot."""
    server = _tryton_server
    return LiveTryton(
        url=server.url, database=server.database, login=server.login, password=server.password, server=server
    )
