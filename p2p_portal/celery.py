"""The Celery app: Redis broker, JSON only, late acks, time limits, and delays kept inside the visibility timeout."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import timedelta
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from celery import Celery, Task, signals
from django.core.exceptions import ImproperlyConfigured

from p2p_portal.audit.context import Actor, _actor, current_actor
from p2p_portal.request_context import _request_id, current_request_id, new_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_portal.settings")

logger = logging.getLogger(__name__)

AnyCelery = Celery[Any]


def _seconds(delay: float | timedelta | None) -> float:
    if delay is None:
        return 0.0
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


def visibility_timeout(celery_app: AnyCelery) -> float:
    """Seconds Redis waits for an ack before it hands a reserved task to another worker."""
    options = celery_app.conf.broker_transport_options or {}
    return float(options.get("visibility_timeout", 3600))


def check_delay(celery_app: AnyCelery, delay: float | timedelta | None, *, what: str) -> None:
    """Refuse a countdown or retry delay that Redis would outlive: the task would be delivered twice."""
    seconds = _seconds(delay)
    limit = visibility_timeout(celery_app)
    if seconds >= limit:
        raise ImproperlyConfigured(
            f"{what} waits {seconds:.0f} s, not below the broker visibility timeout of {limit:.0f} s "
            "(CELERY_VISIBILITY_TIMEOUT): Redis would redeliver the task while it waits. "
            "Use a periodic task for long waits."
        )


def delays_beyond_visibility(celery_app: AnyCelery) -> list[str]:
    """List every configured delay (task retry delays, beat countdowns) that is not below the visibility timeout.

    A beat interval is not limited: beat sends the message when it is due, so nothing waits in Redis.
    """
    _import_task_modules()
    delays: list[tuple[str, float | timedelta | None]] = []
    tasks: Iterable[Task[Any, Any]] = celery_app.tasks.values()
    for task in tasks:
        if task.name.startswith("celery."):
            continue
        delays.append((f"task {task.name} default_retry_delay", task.default_retry_delay))
        if getattr(task, "autoretry_for", None) and getattr(task, "retry_backoff", False):
            delays.append((f"task {task.name} retry_backoff_max", getattr(task, "retry_backoff_max", 600)))
    for name, entry in (celery_app.conf.beat_schedule or {}).items():
        delays.append((f"beat entry {name!r} countdown", (entry.get("options") or {}).get("countdown")))
    problems: list[str] = []
    for what, delay in delays:
        try:
            check_delay(celery_app, delay, what=what)
        except ImproperlyConfigured as error:
            problems.append(str(error))
    return problems


def _import_task_modules() -> None:
    """Import every installed app's tasks module, so that every task is registered before it is checked.

    Not `loader.import_default_modules()`: Celery's Django fix-up runs the system checks from that
    signal, and the checks call this function.
    """
    from django.apps import apps

    for config in apps.get_app_configs():
        if find_spec(f"{config.name}.tasks") is not None:
            import_module(f"{config.name}.tasks")


class PortalTask(Task[Any, Any]):
    """Base task: refuses a retry countdown beyond the visibility timeout at the moment it is asked for."""

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        countdown = kwargs.get("countdown")
        check_delay(
            self.app,
            countdown if countdown is not None else self.default_retry_delay,
            what=f"retry of {self.name}",
        )
        return super().retry(*args, **kwargs)


app: AnyCelery = Celery("p2p_portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_inline_announced = False


@signals.before_task_publish.connect
def _attach_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Send the request id of the enqueuing request along with the task message."""
    request_id = current_request_id()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


@signals.before_task_publish.connect
def _attach_audit_actor(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Send the audit actor of the enqueuing code (user, API client, process) along with the task message."""
    actor = current_actor()
    if headers is not None and actor is not None and "audit_actor" not in headers:
        headers["audit_actor"] = actor.as_header()


@signals.task_prerun.connect
def _enter_request_context(task: Task[Any, Any] | None = None, **_: Any) -> None:
    """Run the task under the request id it was sent with (or a fresh one), and note inline mode once."""
    global _inline_announced
    if task is None:
        return
    request_id = getattr(task.request, "request_id", None) or current_request_id()
    task.request.request_id_token = _request_id.set(request_id or new_request_id())  # type: ignore[attr-defined]
    if task.request.is_eager and not task.app.conf.broker_url and not _inline_announced:
        _inline_announced = True
        logger.warning(
            "No task broker is configured (REDIS_URL is unset): background tasks run inline in the "
            "requesting process. Set REDIS_URL and start a worker for production."
        )


@signals.task_postrun.connect
def _leave_request_context(task: Task[Any, Any] | None = None, **_: Any) -> None:
    token = getattr(task.request, "request_id_token", None) if task is not None else None
    if token is not None:
        _request_id.reset(token)
        task.request.request_id_token = None  # type: ignore[union-attr]


@signals.task_prerun.connect
def _enter_audit_actor(task: Task[Any, Any] | None = None, **_: Any) -> None:
    """Attribute the task's writes to whoever sent it; a task sent with no actor (beat) acts as "task <name>"."""
    if task is None:
        return
    header = getattr(task.request, "audit_actor", None)
    actor = Actor.from_header(header) if isinstance(header, dict) else None
    if actor is None and task.request.is_eager:
        # Run inline (no broker): nothing was published, the caller's actor is still the current one.
        actor = current_actor()
    if actor is None:
        actor = Actor(label=f"task {task.name}")
    task.request.audit_actor_token = _actor.set(actor)  # type: ignore[attr-defined]


@signals.task_postrun.connect
def _leave_audit_actor(task: Task[Any, Any] | None = None, **_: Any) -> None:
    token = getattr(task.request, "audit_actor_token", None) if task is not None else None
    if token is not None:
        _actor.reset(token)
        task.request.audit_actor_token = None  # type: ignore[union-attr]


@signals.worker_init.connect
@signals.beat_init.connect
def _refuse_delays_beyond_visibility(sender: Any = None, **_: Any) -> None:
    """A worker or beat does not start with a delay that Redis would turn into duplicate deliveries."""
    problems = delays_beyond_visibility(app)
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
