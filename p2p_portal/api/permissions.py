"""API permission classes: principals, scopes for clients, model permissions for users."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from p2p_portal.models import ApiClient


def is_api_client(principal: Any) -> bool:
    return isinstance(principal, ApiClient)


class IsAuthenticatedPrincipal(permissions.BasePermission):
    """A signed-in user or an API client with a valid token."""

    message = "Authenticate with a bearer token or a session."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)


class ScopedPermission(permissions.BasePermission):
    """Per action: which scope an API client needs, and which model permission a user needs.

    Views declare `required_scopes = {"list": "org:read", "create": "org:write", ...}` and
    `required_user_perms = {"list": "p2p_portal.view_costcenter", ...}`; an action missing from the map is refused.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not (principal and principal.is_authenticated):
            return False
        action = getattr(view, "action", None) or request.method.lower()
        if is_api_client(principal):
            scope = getattr(view, "required_scopes", {}).get(action)
            if scope is None or not principal.has_scope(scope):
                self.message = (
                    f"This API client lacks the scope '{scope}' for this request." if scope else "Not allowed."
                )
                return False
            return True
        perm = getattr(view, "required_user_perms", {}).get(action)
        if perm is None or not principal.has_perm(perm):
            self.message = "Your roles do not allow this request."
            return False
        return True
