"""Outbound HTTP: every call has a timeout and carries the request id of the work that made it."""

from __future__ import annotations

from typing import Any

import requests

from p2p_portal.request_context import REQUEST_ID_HEADER, current_request_id

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds: a hung ERP must not hang a worker


class OutboundSession(requests.Session):
    """A requests session that never waits forever and passes X-Request-ID on."""

    def __init__(self, *, timeout: tuple[float, float] = DEFAULT_TIMEOUT, user_agent: str = "p2p-portal") -> None:
        super().__init__()
        self.default_timeout = timeout
        self.headers["User-Agent"] = user_agent

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.default_timeout)
        request_id = current_request_id()
        if request_id:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault(REQUEST_ID_HEADER, request_id)
            kwargs["headers"] = headers
        return super().request(method, url, *args, **kwargs)
