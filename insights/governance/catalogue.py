"""The governance reports as the insights index lists them."""

from __future__ import annotations

from insights.catalogue import Report
from p2p_portal.roles import Role

# Who reads vendor governance (vendors.access.GOVERNANCE_ROLES: the same people read the vendors app's queues).
GOVERNANCE_ROLES: tuple[Role, ...] = (Role.PROCUREMENT_ADMIN, Role.VENDOR_STEWARD, Role.AUDITOR)

REPORTS: tuple[Report, ...] = (
    Report(
        key="governance",
        label="Vendor governance",
        url_name="insights:governance:dashboard",
        summary="Pending change requests and their age, bank changes in cooling-off, duplicates, screening hits, "
        "vendors by status and source system.",
        roles=GOVERNANCE_ROLES,
    ),
)
