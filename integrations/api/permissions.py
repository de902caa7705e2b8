"""Who may use the integrations API: integration admins (session) and API clients with `integrations:admin` act;
auditors (session) read; everyone else is refused."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from integrations import selectors
from p2p_portal.api.permissions import is_api_client
from p2p_portal.roles import Scope


class IntegrationsAccess(permissions.BasePermission):
    """Reads for integration admins, auditors and scoped clients; writes for integration admins and scoped clients."""

    message = "The integrations API is open to integration admins, auditors and API clients with its scope."
    code = "no_integrations"

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not (principal and principal.is_authenticated):
            return False  # DRF answers 401: no credentials were given
        if is_api_client(principal) and not principal.has_scope(Scope.INTEGRATIONS_ADMIN):
            self.message = f"This API client lacks the scope '{Scope.INTEGRATIONS_ADMIN.value}' for this request."
            self.code = "scope_missing"
            return False
        if not selectors.may_read(principal):
            return False
        if request.method not in permissions.SAFE_METHODS and not selectors.may_operate(principal):
            self.message = "You read integrations; only integration admins run syncs, replay and discard."
            self.code = "read_only"
            return False
        return True
