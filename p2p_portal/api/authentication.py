"""DRF authentication: bearer tokens for API clients (checked by ApiTokenMiddleware), sessions for browser users."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
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


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes bearer tokens in the OpenAPI schema."""

    target_class = "p2p_portal.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An API client token: p2p_<prefix>_<secret>."}


class PortalSessionScheme(OpenApiAuthenticationExtension):
    """Describes session authentication (browser users) in the OpenAPI schema."""

    target_class = "p2p_portal.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        from django.conf import settings

        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
