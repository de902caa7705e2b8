"""Who may do what in the supplier master. Vendors are network-wide (one golden record for every facility);
change requests are routed and scoped by the facility they were raised at."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from p2p_portal.api.permissions import is_api_client
from p2p_portal.models import Facility
from p2p_portal.roles import Role, Scope
from p2p_portal.selectors import facilities_for

# Everyone whose work needs the supplier master may read it (masked).
VIEW_ROLES = (Role.VENDOR_STEWARD, Role.PROCUREMENT_ADMIN, Role.AP_CLERK, Role.AP_MANAGER, Role.AUDITOR)
# Who reads change requests, duplicate candidates and screening results of a facility.
GOVERNANCE_ROLES = (Role.VENDOR_STEWARD, Role.PROCUREMENT_ADMIN, Role.AUDITOR)
# Who decides duplicate candidates and screening hits.
DECIDER_ROLES = (Role.VENDOR_STEWARD, Role.PROCUREMENT_ADMIN)


def may_view_vendors(principal: Any) -> bool:
    """A user with a role that reads vendors anywhere, or an API client with `vendors:read`."""
    if principal is None or not principal.is_authenticated:
        return False
    if is_api_client(principal):
        return bool(principal.has_scope(Scope.VENDORS_READ))
    return bool(principal.is_superuser or facilities_for(principal, VIEW_ROLES).exists())


def governance_facilities(principal: Any) -> QuerySet[Facility]:
    """Facilities whose change requests the principal may read."""
    if is_api_client(principal):
        return principal.facilities.all() if principal.has_scope(Scope.VENDORS_READ) else Facility.objects.none()
    return facilities_for(principal, GOVERNANCE_ROLES)


def steward_facilities(user: Any) -> QuerySet[Facility]:
    """Facilities where the user may raise change requests (vendor steward)."""
    if is_api_client(user):
        return Facility.objects.none()
    return facilities_for(user, (Role.VENDOR_STEWARD,))


def may_decide(user: Any) -> bool:
    """Stewards and procurement admins decide duplicate candidates and screening hits."""
    if is_api_client(user) or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or facilities_for(user, DECIDER_ROLES).exists())


def may_see_tax_id(user: Any) -> bool:
    """Stewards, procurement admins and auditors see tax ids unmasked."""
    return not is_api_client(user) and bool(user.has_perm("vendors.view_tax_id"))


def may_reveal_bank_account(user: Any) -> bool:
    """Only procurement admins may reveal a full bank account number (and each reveal is recorded)."""
    return not is_api_client(user) and bool(user.has_perm("vendors.reveal_bankaccount"))
