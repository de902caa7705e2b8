"""DRF authentication: bearer tokens for API clients (checked by ApiTokenMiddleware), sessions for browser users."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """The client whose token ApiTokenMiddleware accepted; a refused token is a 401 with the reason."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        error = getattr(request._request, "api_token_error", None)
        if error is not None:
            raise exceptions.AuthenticationFailed(error.detail, code=f"token_{error.reason}")
        client = getattr(request._request, "api_client", None)
        if client is None:
            return None
        return client, request._request.api_token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="p2p-portal"'


class SessionAuthentication(authentication.SessionAuthentication):
    """Browser users on the API with their session; CSRF still applies to their unsafe requests."""
