"""Celery: a real worker over Redis, the inline fallback, and delays that Redis would turn into duplicates."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from p2p_portal.celery import (
    _refuse_delays_beyond_visibility,
    app,
    delays_beyond_visibility,
    visibility_timeout,
)
from p2p_portal.logging import RequestContextFilter
from p2p_portal.models import TaskHeartbeat
from p2p_portal.request_context import request_id_context
from p2p_portal.tasking import enqueue_on_commit
from p2p_portal.tasks import record_heartbeat
from tests.helpers import manage


def test_the_app_is_configured_for_no_lost_and_no_duplicated_work() -> None:
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert visibility_timeout(app) > conf.task_time_limit
    assert "platform.heartbeat" in conf.beat_schedule
    assert delays_beyond_visibility(app) == []


@pytest.fixture
def long_retry_task():
    @app.task(name="tests.too_patient", default_retry_delay=int(visibility_timeout(app)) + 1, shared=False)
    def too_patient() -> None:
        """A task whose retry would outlive the broker's visibility timeout."""

    yield too_patient
    app.tasks.unregister("tests.too_patient")


def test_a_retry_delay_beyond_the_visibility_timeout_fails_the_system_check(long_retry_task) -> None:
    errors = [message for message in run_checks(tags=["celery"]) if message.id == "p2p.E001"]
    assert len(errors) == 1
    assert "tests.too_patient default_retry_delay" in errors[0].msg
    assert "visibility timeout" in errors[0].msg


def test_a_worker_refuses_to_start_with_such_a_delay(long_retry_task) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"tests\.too_patient"):
        _refuse_delays_beyond_visibility()


def test_a_beat_entry_whose_countdown_outlives_the_visibility_timeout_is_refused() -> None:
    schedule = dict(app.conf.beat_schedule)
    app.conf.beat_schedule = {
        **schedule,
        "tests.late": {
            "task": "p2p_portal.record_heartbeat",
            "schedule": 60.0,
            "options": {"countdown": 10**6},
        },
    }
    try:
        problems = delays_beyond_visibility(app)
    finally:
        app.conf.beat_schedule = schedule
    assert problems == [
        "beat entry 'tests.late' countdown waits 1000000 s, not below the broker visibility timeout of 7200 s "
        "(CELERY_VISIBILITY_TIMEOUT): Redis would redeliver the task while it waits. "
        "Use a periodic task for long waits."
    ]


def test_enqueueing_with_a_countdown_beyond_the_visibility_timeout_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"countdown of p2p_portal\.record_heartbeat"):
        enqueue_on_commit(record_heartbeat, countdown=timedelta(hours=3).total_seconds())


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_sends_nothing_when_the_transaction_rolls_back() -> None:
    def failing_write() -> None:
        with transaction.atomic():
            enqueue_on_commit(record_heartbeat)
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failing_write()
    assert not TaskHeartbeat.objects.exists()
    with transaction.atomic():
        enqueue_on_commit(record_heartbeat)
        assert not TaskHeartbeat.objects.exists(), "nothing runs before the commit"
    assert TaskHeartbeat.objects.filter(name="periodic").exists()


def test_without_a_broker_tasks_run_inline_and_the_log_says_so_once(tmp_path) -> None:
    environment = {
        "P2P_ENV": "development",
        "P2P_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/inline.sqlite3",
        "REDIS_URL": "",
        "LOG_FORMAT": "json",
    }
    assert manage("migrate", "--noinput", environment=environment).returncode == 0
    script = (
        "from p2p_portal.tasks import record_heartbeat; from p2p_portal.models import TaskHeartbeat; "
        "record_heartbeat.delay(); record_heartbeat.delay(); print(TaskHeartbeat.objects.count())"
    )
    result = manage("shell", "--no-imports", "-c", script, environment=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1", "the task ran in the calling process"
    assert result.stderr.count("background tasks run inline") == 1, result.stderr


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.captured: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.captured.append(record)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_sent_through_redis_under_the_senders_request_id() -> None:
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping, which start_worker waits for)

    records = _Capture()
    records.addFilter(RequestContextFilter())  # runs in the worker thread, like the real log handler
    task_logger = logging.getLogger("p2p_portal.tasks")
    task_logger.addHandler(records)
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="INFO"):
            with request_id_context("req-from-web-1234"):
                record_heartbeat.delay()
            deadline = time.monotonic() + 30  # a bounded wait for the worker, not a speed assertion
            while not TaskHeartbeat.objects.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True
        task_logger.removeHandler(records)
    heartbeat = TaskHeartbeat.objects.get(name="periodic")
    assert heartbeat.hostname
    (record,) = [record for record in records.captured if record.getMessage() == "task heartbeat recorded"]
    assert record.threadName != "MainThread", "the worker thread ran it, not the test"
    assert getattr(record, "request_id", None) == "req-from-web-1234"
    assert getattr(record, "task_name", None) == "p2p_portal.record_heartbeat"
