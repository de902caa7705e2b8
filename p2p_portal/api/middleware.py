"""Check bearer tokens once, early, so that logs, audit and the API all know which client is calling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse

from p2p_portal.api.tokens import TokenError, authenticate_bearer
from p2p_portal.services import api_token_mark_used

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# last_used_at is written at most this often per token, so busy clients do not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiTokenMiddleware:
    """On /api/ requests with `Authorization: Bearer`, set request.api_client (or request.api_token_error)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_client = None  # type: ignore[attr-defined]
        request.api_token = None  # type: ignore[attr-defined]
        request.api_token_error = None  # type: ignore[attr-defined]
        authorization = request.headers.get("Authorization", "")
        if request.path.startswith(API_PREFIX) and authorization:
            try:
                client, token = authenticate_bearer(authorization)
            except TokenError as error:
                request.api_token_error = error  # type: ignore[attr-defined]
                logger.warning("api token refused", extra={"reason": error.reason, "path": request.path})
            else:
                request.api_client = client  # type: ignore[attr-defined]
                request.api_token = token  # type: ignore[attr-defined]
                api_token_mark_used(token=token, resolution=LAST_USED_RESOLUTION)
        return self.get_response(request)
