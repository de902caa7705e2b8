"""The request id: one per inbound request, carried into logs, Celery tasks and outbound HTTP calls."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# A caller's id is reused only when it is short and plain, so it cannot forge log lines or headers.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """Return the request id of the work in progress, if any."""
    return _request_id.get()


def new_request_id() -> str:
    """Return a fresh request id."""
    return uuid.uuid4().hex


def accept_request_id(candidate: str | None) -> str:
    """Return the caller's id when it is acceptable, otherwise a fresh one."""
    if candidate and _ACCEPTABLE_ID.match(candidate):
        return candidate
    return new_request_id()


@contextmanager
def request_id_context(request_id: str | None) -> Iterator[str]:
    """Run a block of work (a request, a task, a command) under a request id."""
    value = request_id or new_request_id()
    token = _request_id.set(value)
    try:
        yield value
    finally:
        _request_id.reset(token)


class RequestIdMiddleware:
    """Give every request an id (the caller's X-Request-ID when acceptable) and echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        with request_id_context(request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
