"""The fixed roles of DESIGN.md and the API scopes: part of the public vocabulary."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """A role is a Django group (model permissions) granted per facility (guardian object permission)."""

    AP_CLERK = "ap_clerk", "AP clerk"
    AP_MANAGER = "ap_manager", "AP manager"
    PROCUREMENT_ADMIN = "procurement_admin", "Procurement admin"
    VENDOR_STEWARD = "vendor_steward", "Vendor steward"
    AUDITOR = "auditor", "Auditor"
    INTEGRATION_ADMIN = "integration_admin", "Integration admin"


def facility_permission(role: str) -> str:
    """The guardian object permission on a Facility that says "acts as `role` here"."""
    return f"p2p_portal.{facility_permission_codename(role)}"


def facility_permission_codename(role: str) -> str:
    return f"role_{role}"


# Model permissions each role's group holds (migration 0003 created the groups; `role_groups_sync` runs after
# every migrate and makes each group hold exactly these, so later apps' permissions need no migration here).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.AP_CLERK: ("p2p_portal.view_facility", "p2p_portal.view_costcenter", "vendors.view_vendor"),
    Role.AP_MANAGER: (
        "p2p_portal.view_facility",
        "p2p_portal.view_costcenter",
        "p2p_portal.view_audit_trail",
        "vendors.view_vendor",
    ),
    Role.PROCUREMENT_ADMIN: (
        "p2p_portal.view_facility",
        "p2p_portal.view_costcenter",
        "p2p_portal.add_costcenter",
        "p2p_portal.change_costcenter",
        "p2p_portal.view_audit_trail",
        "vendors.view_vendor",
        "vendors.view_tax_id",
        "vendors.reveal_bankaccount",
    ),
    Role.VENDOR_STEWARD: (
        "p2p_portal.view_facility",
        "p2p_portal.view_costcenter",
        "vendors.view_vendor",
        "vendors.view_tax_id",
    ),
    Role.AUDITOR: (
        "p2p_portal.view_facility",
        "p2p_portal.view_costcenter",
        "p2p_portal.view_roleassignment",
        "p2p_portal.view_apiclient",
        "p2p_portal.view_audit_trail",
        "vendors.view_vendor",
        "vendors.view_tax_id",
    ),
    Role.INTEGRATION_ADMIN: (
        "p2p_portal.view_facility",
        "p2p_portal.view_apiclient",
        "p2p_portal.add_apiclient",
        "p2p_portal.change_apiclient",
    ),
}

# Roles that must use a second factor (TOTP) when OTP_REQUIRED is on.
SECOND_FACTOR_ROLES = frozenset({Role.PROCUREMENT_ADMIN, Role.AP_MANAGER, Role.INTEGRATION_ADMIN})

# Roles whose facility grants widen what the audit section shows.
AUDIT_READER_ROLES = (Role.AUDITOR, Role.AP_MANAGER, Role.PROCUREMENT_ADMIN)


class Scope(models.TextChoices):
    """What an API client may do; a client holds a list of these."""

    INVOICES_READ = "invoices:read", "Read invoices"
    INVOICES_WRITE = "invoices:write", "Submit invoices"
    VENDORS_READ = "vendors:read", "Read vendors"
    VENDORS_WRITE = "vendors:write", "Propose vendor changes"
    ORDERS_WRITE = "orders:write", "Push purchase orders and receipts"
    EXCEPTIONS_READ = "exceptions:read", "Read invoice exceptions"
    ORG_READ = "org:read", "Read facilities and cost centers"
    ORG_WRITE = "org:write", "Create cost centers"
    AUDIT_READ = "audit:read", "Read the audit trail"
    INTEGRATIONS_ADMIN = "integrations:admin", "Read and operate integrations (sync runs, outbox, dead letters)"
