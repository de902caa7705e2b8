"""Writes made inside a Celery task are attributed to whoever sent it; a task nobody sent (beat) to the task."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from p2p_portal.audit.context import acting_as, current_actor
from p2p_portal.celery import app
from p2p_portal.models import Facility
from p2p_portal.services import facility_create

TASK_NAME = "tests.audit.create_facility"


@pytest.fixture
def create_facility_task():
    @app.task(name=TASK_NAME, shared=False)
    def create_facility(code: str) -> None:
        """Create a facility as the actor the task runs under (tasks pass their actor on to services)."""
        facility_create(actor=current_actor(), code=code, name=f"Facility {code}")

    yield create_facility
    app.tasks.unregister(TASK_NAME)


def _wait_for_facilities(*codes: str) -> None:
    deadline = time.monotonic() + 30  # a bounded wait for the worker, not a speed assertion
    while Facility.objects.filter(code__in=codes).count() < len(codes) and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_attributes_writes_to_the_user_who_enqueued_and_beat_work_to_the_task(
    clerk, create_facility_task
) -> None:
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping, which start_worker waits for)

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"):
            with acting_as(clerk):
                create_facility_task.delay("BYCLERK")
            create_facility_task.delay("BYBEAT")  # sent with no actor, as beat sends its entries
            _wait_for_facilities("BYCLERK", "BYBEAT")
    finally:
        app.conf.task_always_eager = True
        # Only the first worker started in a process re-runs Django's set-up (and so the project's logging
        # config); later ones leave Celery's WARNING root level, which hides INFO records from the next worker
        # test (tests/p2p_portal/test_celery.py). Let the next in-process worker start like a first one.
        app.loader.worker_initialized = False
    by_clerk = Facility.history.get(code="BYCLERK")
    assert by_clerk.history_user_id == clerk.pk
    assert by_clerk.history_actor_label == clerk.username
    by_beat = Facility.history.get(code="BYBEAT")
    assert by_beat.history_user_id is None
    assert by_beat.history_actor_label == f"task {TASK_NAME}"


def test_inline_tasks_keep_the_callers_actor_and_restore_it_afterwards(clerk, create_facility_task) -> None:
    with acting_as(clerk) as actor:
        create_facility_task.delay("INLINE")
        assert current_actor() == actor
    assert Facility.history.get(code="INLINE").history_user_id == clerk.pk
    create_facility_task.delay("NOBODY")
    assert Facility.history.get(code="NOBODY").history_actor_label == f"task {TASK_NAME}"
    assert current_actor() is None


def test_the_beat_entry_runs_the_sealer(facilities) -> None:
    from p2p_portal.audit.models import AuditChainLink
    from p2p_portal.audit.tasks import seal_history

    assert app.conf.beat_schedule["audit.seal"]["task"] == seal_history.name
    seal_history.delay()
    assert AuditChainLink.objects.count() == 5
