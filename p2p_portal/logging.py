"""Structured logging: one JSON object per line, with the request id and the Celery task when there is one."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from p2p_portal.audit.context import current_actor
from p2p_portal.request_context import current_request_id

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged as a field.
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "task_id",
    "task_name",
    "actor",
}


class RequestContextFilter(logging.Filter):
    """Stamp each record with the current request id and Celery task, so every formatter can use them."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs 4xx/5xx after the middleware has left the request's context, but it
        # passes the request along: its id is on it.
        request = getattr(record, "request", None)
        record.request_id = current_request_id() or getattr(request, "request_id", None) or "-"
        actor = current_actor()
        record.actor = actor.display if actor is not None else _actor_of_request(request)
        task_id, task_name = _current_task()
        record.task_id = task_id
        record.task_name = task_name
        return True


def _actor_of_request(request: object) -> str:
    """Who made a request that has already left the audit context (django.request's 4xx/5xx lines)."""
    client = getattr(request, "api_client", None)
    if client is not None:
        return f"api client {client.name}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.get_username())
    return "-"


def _current_task() -> tuple[str | None, str | None]:
    from celery import current_task

    if current_task and current_task.request and current_task.request.id:
        return current_task.request.id, current_task.name
    return None, None


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line that log shippers can index without parsing prose."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        actor = getattr(record, "actor", "-")
        if actor != "-":
            entry["actor"] = actor
        task_id = getattr(record, "task_id", None)
        if task_id:
            entry["task_id"] = task_id
            entry["task_name"] = getattr(record, "task_name", None)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key != "request" and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
