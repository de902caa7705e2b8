"""The portal's sections: one list drives the navigation, the dashboard cards and the section pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.urls import reverse

from p2p_portal.models import RoleAssignment
from p2p_portal.roles import AUDIT_READER_ROLES, Role
from p2p_portal.selectors import notification_list


@dataclass(frozen=True)
class Section:
    """A top-level area of the portal as users see it in the navigation."""

    key: str
    label: str
    url_name: str
    icon: str
    summary: str
    coming: tuple[str, ...] = ()
    # Who sees the section: holders of these roles (at any facility); superusers see everything.
    roles: tuple[Role, ...] = ()
    staff_only: bool = False

    @property
    def url(self) -> str:
        return reverse(self.url_name)


SECTIONS: tuple[Section, ...] = (
    Section(
        key="workbench",
        label="Workbench",
        url_name="matching:index",
        icon="inbox",
        summary="Invoices that did not match their purchase order or receipt, in queues AP clerks work.",
        roles=(Role.AP_CLERK, Role.AP_MANAGER, Role.AUDITOR),
    ),
    Section(
        key="vendors",
        label="Vendors",
        url_name="vendors:index",
        icon="building",
        summary="The golden supplier master: one record per supplier, changes governed and approved.",
        roles=(Role.VENDOR_STEWARD, Role.PROCUREMENT_ADMIN, Role.AP_CLERK, Role.AP_MANAGER, Role.AUDITOR),
        coming=(
            "Change requests with a field-level diff, approved by a second person",
            "Bank-account changes with call-back evidence, two approvers and a cooling-off period",
            "Duplicate-supplier detection and exclusion screening (OIG LEIE, SAM)",
        ),
    ),
    Section(
        key="approvals",
        label="Approvals",
        url_name="approvals:index",
        icon="check",
        summary="Your approval inbox: vendor changes, bank changes and invoice variances routed to you.",
        # Any role can be an approver (a policy step names a role) or stand in for one.
        roles=tuple(Role),
    ),
    Section(
        key="integrations",
        label="Integrations",
        url_name="integrations:index",
        icon="sync",
        summary=(
            "Connections to the ERP and the procurement suite: sync health and runs, the outbox, dead letters and"
            " replay."
        ),
        roles=(Role.INTEGRATION_ADMIN, Role.AUDITOR),
    ),
    Section(
        key="insights",
        label="Insights",
        url_name="insights:index",
        icon="chart",
        summary=(
            "Dashboards and reports: match rates, queues and cycle times, vendor governance, accruals, spend and"
            " leakage, and the control evidence pack for auditors."
        ),
        roles=(Role.AP_MANAGER, Role.PROCUREMENT_ADMIN, Role.VENDOR_STEWARD, Role.AUDITOR),
    ),
    Section(
        key="audit",
        label="Audit",
        url_name="audit:list",
        icon="shield",
        summary="Who changed what, when and why \u2014 an append-only trail an auditor can verify.",
        roles=AUDIT_READER_ROLES,
    ),
    Section(
        key="admin",
        label="Admin",
        url_name="admin:index",
        icon="settings",
        summary="Users, roles, facilities and configuration.",
        staff_only=True,
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def section_allowed(user: Any, section: Section, held_roles: set[str] | None = None) -> bool:
    """Whether a user may open a section (by the roles they hold anywhere)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if section.staff_only:
        return bool(user.is_staff)
    if user.is_superuser:
        return True
    held = held_roles if held_roles is not None else roles_held(user)
    return any(role in held for role in section.roles)


def roles_held(user: Any) -> set[str]:
    """The roles a user holds at one facility or more."""
    # DRF leaves request.user None on unauthenticated API requests (UNAUTHENTICATED_USER = None).
    if not getattr(user, "is_authenticated", False) or not isinstance(user, get_user_model()):
        return set()
    return set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


def sections_for(request: HttpRequest) -> list[Section]:
    """The sections this user may open."""
    held = roles_held(request.user)
    return [section for section in SECTIONS if section_allowed(request.user, section, held)]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the navigation items and which one is current."""
    match = request.resolver_match
    current = ""
    if match is not None:
        for section in SECTIONS:
            namespace = section.url_name.split(":")[0] if ":" in section.url_name else None
            if (namespace and namespace in match.namespaces) or match.view_name == section.url_name:
                current = section.key
    unread = 0
    if isinstance(request.user, get_user_model()) and request.user.is_authenticated:
        unread = notification_list(user=request.user, unread_only=True).count()
    return {"nav_sections": sections_for(request), "nav_current": current, "unread_notifications": unread}
