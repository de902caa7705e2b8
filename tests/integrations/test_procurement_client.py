"""The procurement client against a real sandbox process: paging, cursors, typed errors, retries, convergence."""

from __future__ import annotations

import threading
import time

import pytest

from integrations.errors import (
    AuthenticationError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from integrations.procurement.client import (
    ENTITIES,
    ProcurementClient,
    RetryPolicy,
    SyncCursor,
    parse_retry_after,
)
from integrations.sandbox.process import SandboxProcess
from tests.integrations.sandbox_fixtures import API_KEY, read_by_offset, sandbox_factory_fixture

SHAPE = {"seed": 3, "suppliers": 150, "orders": 500, "receipts_ratio": 0.5}
FAST_RETRIES = RetryPolicy(max_attempts=12, base_delay=0.005, max_delay=0.1)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(api_key=API_KEY, **SHAPE) as process:
        yield process


@pytest.fixture
def sandbox_factory():
    yield from sandbox_factory_fixture()


def client_for(sandbox: SandboxProcess, **options) -> ProcurementClient:
    return ProcurementClient(sandbox.base_url, api_key=API_KEY, **options)


def ids(records) -> list[int]:
    return [record["id"] for record in records]


def test_a_page_is_raw_records_with_the_cap_reported(sandbox):
    with client_for(sandbox, page_size=200) as client:
        page = client.list_page("purchase_orders", offset=10)
        assert page.limit == 50
        assert page.limit_capped
        assert page.total == SHAPE["orders"]
        assert ids(page.records) == list(range(11, 61))
        assert isinstance(page.records[0]["order-lines"][0]["quantity"], str)  # raw, unmapped
        assert client.get("suppliers", 4)["id"] == 4
        assert not client.list_page("suppliers", limit=10).limit_capped


def test_walking_the_updated_at_keyset_reads_every_record_once_in_order(sandbox):
    with client_for(sandbox) as client:
        for entity in ENTITIES:
            pages = list(client.iter_changes(entity))
            walked = [record for page in pages for record in page.records]
            assert walked == read_by_offset(sandbox, entity)
            cursors = [page.cursor for page in pages if page.records]
            assert [c.updated_at for c in cursors] == sorted(c.updated_at for c in cursors)
            # Base records share updated-at in threes and pages hold 50: a page boundary splits a tie,
            # and the next request (updated-at[gte]) repeats what was delivered; the client drops it.
            assert any(page.fetched > len(page.records) for page in pages)


def test_a_tie_larger_than_a_page_is_walked_by_offset(sandbox_factory):
    sandbox = sandbox_factory(seed=5, suppliers=40, orders=5, max_limit=2)
    with client_for(sandbox) as client:
        walked = [record for page in client.iter_changes("suppliers") for record in page.records]
    assert ids(walked) == list(range(1, 41))


def test_resuming_from_a_persisted_cursor_neither_skips_nor_repeats(sandbox):
    with client_for(sandbox) as client:
        delivered = []
        stored = None
        for number, page in enumerate(client.iter_changes("receipts")):
            delivered += page.records
            stored = page.cursor.encode()
            if number == 2:
                break
    with client_for(sandbox) as client:
        for page in client.iter_changes("receipts", cursor=SyncCursor.decode(stored)):
            delivered += page.records
    assert delivered == read_by_offset(sandbox, "receipts")
    assert SyncCursor.decode("2024-01-01T00:00:00Z") == SyncCursor("2024-01-01T00:00:00Z")
    assert SyncCursor.decode(None) is None


def test_incremental_sync_is_exact_while_records_change(sandbox_factory):
    sandbox = sandbox_factory(seed=6, suppliers=300, orders=300, max_limit=10, switches={"latency_ms": 10})
    stop = threading.Event()
    changes = []

    def keep_changing() -> None:
        while not stop.is_set():
            changes.extend(sandbox.control("change", entity="suppliers", count=3)["changed"])
            changes.extend(sandbox.control("add", entity="suppliers", count=1)["added"])
            time.sleep(0.005)

    changer = threading.Thread(target=keep_changing)
    with client_for(sandbox) as client:
        changer.start()
        try:
            local, cursor = client.read_all("suppliers")
        finally:
            stop.set()
            changer.join(timeout=30)
        assert len(changes) > 20, "records changed while the walk ran"
        newer, cursor = client.read_all("suppliers", cursor=cursor)
        local.update(newer)
        truth = {record["id"]: record for record in read_by_offset(sandbox, "suppliers")}
        assert local == truth
        again, _ = client.read_all("suppliers", cursor=cursor)
        assert again == {}


def test_each_failure_is_the_right_typed_error(sandbox_factory):
    sandbox = sandbox_factory(suppliers=20, orders=10, switches={"retry_after": 2})
    with ProcurementClient(sandbox.base_url, api_key="wrong-key") as client:
        with pytest.raises(AuthenticationError) as refused:
            client.list_page("suppliers")
        assert refused.value.status == 401
        assert not refused.value.retryable
    with client_for(sandbox, read_timeout=0.2) as client:
        with pytest.raises(PermanentError) as missing:
            client.get("suppliers", 999)
        assert missing.value.status == 404
        assert not missing.value.retryable
        with pytest.raises(ValueError, match="entity"):
            client.list_page("invoices")

        sandbox.configure(error_rate=1.0)
        with pytest.raises(TransientError) as failed:
            client.list_page("suppliers")
        assert failed.value.status in (500, 502, 503)
        assert failed.value.retryable
        assert type(failed.value) is TransientError

        sandbox.configure(error_rate=0.0, rate_limit_rate=1.0)
        with pytest.raises(RateLimitedError) as limited:
            client.get("suppliers", 1)
        assert limited.value.retry_after == 2.0
        assert limited.value.retryable

        sandbox.configure(rate_limit_rate=0.0, reset_rate=1.0)
        with pytest.raises(TransientError, match="connection") as reset:
            client.list_page("receipts")
        assert type(reset.value) is TransientError

        sandbox.configure(reset_rate=0.0, latency_ms=600)
        with pytest.raises(TransientError, match="timed out"):
            client.list_page("suppliers")

        sandbox.configure(latency_ms=0, malformed_rate=1.0)
        raw = client.list_page("suppliers").records  # broken records come back as they are
        assert all(
            r["name"] is None or r["tax-id"] == "12-34X" or "@" not in r["primary-contact"]["email"] for r in raw
        )
        faults = sandbox.stats()["faults"]
        assert faults["error"] == faults["rate_limited"] == faults["reset"] == 1
    address = sandbox.base_url
    sandbox.stop()  # nothing listens there any more
    with ProcurementClient(address, api_key=API_KEY) as client, pytest.raises(TransientError, match="connection"):
        client.list_page("suppliers")


def test_retry_policy_backs_off_exponentially_with_jitter_and_honours_retry_after():
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, multiplier=2.0, max_delay=5.0, max_retry_after=60)
    transient = TransientError("503")
    assert [policy.delay(n, transient, draw=lambda: 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert [policy.delay(n, transient, draw=lambda: 0.0) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 2.5]
    assert policy.delay(5, transient) is None, "the attempt budget is spent"
    assert policy.delay(1, PermanentError("400")) is None
    assert policy.delay(1, AuthenticationError("401")) is None
    assert policy.delay(1, RateLimitedError("429", retry_after=30), draw=lambda: 1.0) == 30
    assert policy.delay(3, RateLimitedError("429", retry_after=0), draw=lambda: 1.0) == 4.0
    assert policy.delay(1, RateLimitedError("429", retry_after=61)) is None, "too long to sleep in a worker"
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None

    attempts = []

    def always_failing():
        attempts.append(1)
        raise TransientError("down")

    slept: list[float] = []
    with pytest.raises(TransientError):
        RetryPolicy(max_attempts=3, base_delay=0.01).call(always_failing, sleep=slept.append)
    assert len(attempts) == 3
    assert len(slept) == 2


def test_retry_after_from_the_sandbox_is_honoured(sandbox_factory):
    sandbox = sandbox_factory(suppliers=10, orders=5, switches={"rate_limit_rate": 1.0, "retry_after": 1})
    policy = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)
    retries: list[tuple[int, ConnectorError, float]] = []
    with client_for(sandbox) as client:
        lifted = threading.Timer(0.3, lambda: sandbox.configure(rate_limit_rate=0.0))
        started = time.monotonic()
        lifted.start()
        page = policy.call(lambda: client.list_page("suppliers"), on_retry=lambda *r: retries.append(r))
        elapsed = time.monotonic() - started
        lifted.join()
    assert len(page.records) == 10
    assert len(retries) == 1
    assert isinstance(retries[0][1], RateLimitedError)
    assert retries[0][2] >= 1.0
    assert elapsed >= 1.0, "waited what Retry-After asked, not the 10 ms backoff"


def test_the_client_converges_on_the_full_data_at_20_percent_errors_and_10_percent_429s(sandbox_factory):
    sandbox = sandbox_factory(seed=12, suppliers=150, orders=400, receipts_ratio=0.6, fault_seed=12)
    with client_for(sandbox) as client:
        clean = {entity: client.read_all(entity)[0] for entity in ENTITIES}
    sandbox.control("reset_counters")
    sandbox.configure(error_rate=0.2, rate_limit_rate=0.1, retry_after=0)
    retried: list[float] = []

    def nap(seconds: float) -> None:
        retried.append(seconds)
        time.sleep(seconds)

    with client_for(sandbox) as client:
        for entity in ENTITIES:
            faulty = {}
            for page in client.iter_changes(entity, retry=FAST_RETRIES, sleep=nap):
                faulty.update({record["id"]: record for record in page.records})
            assert faulty == clean[entity], entity
    stats = sandbox.stats()
    assert sum(len(records) for records in clean.values()) > 1500
    faults = stats["faults"]
    assert faults["error"] > 0
    assert faults["rate_limited"] > 0
    assert len(retried) == faults["error"] + faults["rate_limited"]
    assert 0.12 < faults["error"] / stats["requests"] < 0.28


def test_serving_100000_purchase_orders_of_5_lines(sandbox_factory, capsys):
    sandbox = sandbox_factory(seed=1, suppliers=2000, orders=100_000, lines_per_order=5, receipts_ratio=0.0)
    orders = lines = pages = 0
    started = time.perf_counter()
    with client_for(sandbox) as client:
        cursor = None
        for page in client.iter_changes("purchase_orders", retry=FAST_RETRIES):
            pages += 1
            orders += len(page.records)
            lines += sum(len(record["order-lines"]) for record in page.records)
            cursor = page.cursor
        elapsed = time.perf_counter() - started
        assert orders == 100_000
        assert lines == 500_000
        sandbox.control("change", entity="purchase_orders", count=25)
        filter_started = time.perf_counter()
        changed, _ = client.read_all("purchase_orders", cursor=cursor)
        filter_ms = (time.perf_counter() - filter_started) * 1000
        assert len(changed) == 25
        deep = time.perf_counter()
        client.list_page("purchase_orders", offset=99_950)
        deep_ms = (time.perf_counter() - deep) * 1000
    with capsys.disabled():
        print(
            f"\n[sandbox] 100,000 POs x 5 lines: {pages} pages in {elapsed:.1f} s = {pages / elapsed:.0f} pages/s, "
            f"{lines / elapsed:,.0f} PO lines/s; updated-at filter after 25 changes: {filter_ms:.1f} ms; "
            f"page at offset 99,950: {deep_ms:.1f} ms"
        )
