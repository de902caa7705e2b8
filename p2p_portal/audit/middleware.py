"""Attribute every write made while serving a request to whoever made the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from p2p_portal.audit.context import acting_as


class ActorMiddleware:
    """Runs the request under the audit actor: the API client of a valid token, else the signed-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        client = getattr(request, "api_client", None)
        if client is not None:
            with acting_as(client):
                return self.get_response(request)
        if request.user.is_authenticated:
            with acting_as(request.user):
                return self.get_response(request)
        return self.get_response(request)
