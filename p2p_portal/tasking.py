"""Enqueueing tasks the safe way: after the transaction commits, and never with a delay Redis would outlive."""

from __future__ import annotations

from typing import Any

from celery import Task
from django.db import transaction

from p2p_portal.celery import app, check_delay


def enqueue_on_commit(task: Task[Any, Any], *args: Any, countdown: float | None = None, **kwargs: Any) -> None:
    """Send `task` once the current transaction commits, so the worker finds the rows it is given ids of."""
    if countdown is not None:
        check_delay(app, countdown, what=f"countdown of {task.name}")
    options: dict[str, Any] = {} if countdown is None else {"countdown": countdown}
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs, **options))
