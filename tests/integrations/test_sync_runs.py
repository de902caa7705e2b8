"""Sync runs interrupted mid-page, overlapping runs, the Celery tasks and the beat schedule, against PostgreSQL,
Redis, the real sandbox process and a real Celery worker process (killed with SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from integrations.models import SyncCursor, SyncRun, SyncRunStatus
from integrations.services.sync import syncs_due
from matching.models import PurchaseOrder, PurchaseOrderLine
from tests.integrations.sandbox_fixtures import API_KEY, sandbox_factory_fixture
from tests.integrations.sync_helpers import (
    KEY_VARIABLE,
    assert_mirrors_source,
    run,
    sandbox_system,
    sync_until_caught_up,
)

ROOT = Path(__file__).resolve().parents[2]
SHAPE = {"seed": 11, "suppliers": 20, "orders": 300, "receipts_ratio": 0.3}


@pytest.fixture(autouse=True)
def _api_key(monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, API_KEY)


@pytest.fixture
def sandbox_factory():
    yield from sandbox_factory_fixture()


def _poison_trigger(number: str) -> None:
    """A real database fault: inserting this PO fails (as a crash mid-page would), outside our code."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""CREATE FUNCTION sync_test_fault() RETURNS trigger AS $$ BEGIN
                  IF NEW.number = '{number}' THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$
                LANGUAGE plpgsql;
                CREATE TRIGGER sync_test_fault BEFORE INSERT ON matching_purchaseorder
                  FOR EACH ROW EXECUTE FUNCTION sync_test_fault();"""
        )


@pytest.mark.django_db
def test_a_failure_inside_a_page_leaves_the_cursor_at_the_last_complete_page(sandbox_factory, north):
    sandbox = sandbox_factory(**SHAPE)
    system = sandbox_system(sandbox, north)
    assert run(system, "supplier").status == SyncRunStatus.SUCCEEDED
    _poison_trigger("PO-0000120")  # on the third page of 50
    with pytest.raises(Exception, match="disk on fire"):
        run(system, "purchase_order")
    failed = SyncRun.objects.get(entity="purchase_order")
    assert failed.status == SyncRunStatus.FAILED
    assert "disk on fire" in failed.error
    # Two pages applied (ties split across pages are read once), the third rolled back whole.
    assert 50 < failed.created == failed.fetched < 119
    assert SyncCursor.objects.get(system=system, entity="purchase_order").cursor == failed.cursor_after != ""
    assert PurchaseOrder.objects.count() == failed.created
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER sync_test_fault ON matching_purchaseorder; DROP FUNCTION sync_test_fault();")
    resumed = run(system, "purchase_order")
    assert resumed.status == SyncRunStatus.SUCCEEDED
    assert resumed.cursor_before == failed.cursor_after
    assert resumed.created == resumed.fetched == SHAPE["orders"] - failed.created
    sync_until_caught_up(system)
    assert PurchaseOrder.objects.filter(revision__gt=1).count() == 0
    assert_mirrors_source(sandbox, system)


@pytest.mark.django_db(transaction=True)
def test_a_second_run_of_the_same_entity_is_refused_while_one_is_in_progress(sandbox_factory, north):
    sandbox = sandbox_factory(**SHAPE, switches={"latency_ms": 100})
    system = sandbox_system(sandbox, north)
    run(system, "supplier")
    first: list[SyncRun] = []

    def slow_run() -> None:
        try:
            first.append(run(system, "purchase_order", triggered_by="first"))
        finally:
            connection.close()

    worker = threading.Thread(target=slow_run)
    worker.start()
    deadline = time.monotonic() + 30
    while not SyncRun.objects.filter(entity="purchase_order", status=SyncRunStatus.RUNNING).exists():
        assert time.monotonic() < deadline, "the first run did not start"
        time.sleep(0.05)
    second = run(system, "purchase_order", triggered_by="second")
    other = run(system, "receipt", triggered_by="other entity")  # another entity is not blocked
    worker.join(timeout=120)
    assert second.status == SyncRunStatus.FAILED
    assert second.error.startswith("Skipped:")
    assert str(first[0].pk) in second.error
    assert (second.fetched, second.created) == (0, 0)
    assert not other.error.startswith("Skipped")
    assert first[0].status == SyncRunStatus.SUCCEEDED
    assert first[0].created == SHAPE["orders"]


def _worker(queue: str) -> subprocess.Popen[bytes]:
    database = connection.settings_dict
    environment = {
        **os.environ,
        "P2P_ENV": "test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        KEY_VARIABLE: API_KEY,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "p2p_portal", "worker", "--pool", "solo", "-Q", queue,
         "-n", f"{queue}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sync_loses_nothing_and_the_next_run_completes_without_duplicates(sandbox_factory, north):
    from integrations.tasks import sync_entity
    from p2p_portal.celery import app

    sandbox = sandbox_factory(**SHAPE, switches={"latency_ms": 150})
    system = sandbox_system(sandbox, north)
    run(system, "supplier")
    queue = f"sync-kill-{os.getpid()}"
    app.conf.task_always_eager = False
    worker = _worker(queue)
    try:
        sync_entity.apply_async(args=[system.pk, "purchase_order", "killed"], queue=queue)
        deadline = time.monotonic() + 90  # a bounded wait for the worker, not a speed assertion
        while not SyncRun.objects.filter(entity="purchase_order", fetched__gte=100).exists():
            assert time.monotonic() < deadline, "the worker did not apply two pages in time"
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        app.conf.task_always_eager = True
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    killed = SyncRun.objects.get(entity="purchase_order")
    assert killed.status == SyncRunStatus.RUNNING  # nobody finished it
    stored = SyncCursor.objects.get(system=system, entity="purchase_order").cursor
    assert stored == killed.cursor_after  # the cursor is exactly at the last committed page
    assert PurchaseOrder.objects.count() == killed.created == killed.fetched
    assert PurchaseOrderLine.objects.count() == killed.created * 5

    sandbox.configure(latency_ms=0)
    resumed = run(system, "purchase_order", triggered_by="after the kill")
    killed.refresh_from_db()
    assert killed.status == SyncRunStatus.FAILED
    assert killed.error.startswith("Interrupted")
    assert resumed.status == SyncRunStatus.SUCCEEDED
    assert resumed.cursor_before == stored
    assert resumed.created == SHAPE["orders"] - killed.created
    assert resumed.unchanged == 0
    sync_until_caught_up(system)
    assert PurchaseOrder.objects.filter(revision__gt=1).count() == 0
    assert_mirrors_source(sandbox, system)


@pytest.mark.django_db
def test_the_beat_task_runs_due_syncs_in_entity_order_and_not_again_before_the_interval(sandbox_factory, north):
    from integrations.tasks import schedule_syncs

    sandbox = sandbox_factory(**SHAPE)
    system = sandbox_system(sandbox, north)
    cache.delete(f"integrations:sync-chain:{system.pk}")
    assert [(s.code, entities) for s, entities in syncs_due()] == [("coupa", ("supplier", "purchase_order", "receipt"))]
    schedule_syncs()  # tasks run inline in tests: the chain runs now, in order
    runs = list(SyncRun.objects.order_by("started_at", "id"))
    assert [(r.entity, r.status, r.triggered_by) for r in runs] == [
        ("supplier", SyncRunStatus.SUCCEEDED, "beat"),
        ("purchase_order", SyncRunStatus.SUCCEEDED, "beat"),
        ("receipt", SyncRunStatus.SUCCEEDED, "beat"),
    ]
    assert runs[1].failed == 0  # the suppliers were there before their POs
    assert syncs_due() == []
    schedule_syncs()
    assert SyncRun.objects.count() == 3
    system.enabled = False
    system.save()
    assert syncs_due() == []
