"""The operations reports as the insights index lists them."""

from __future__ import annotations

from insights.catalogue import Report
from p2p_portal.roles import Role

REPORTS: tuple[Report, ...] = (
    Report(
        key="operations",
        label="Operations dashboard",
        url_name="insights:operations:dashboard",
        summary="Touchless match rate, exceptions by code and week, queue aging and SLA breaches, cycle times,"
        " duplicates caught, variances accepted vs recovered, approvals overdue and integration health.",
        roles=(Role.AP_MANAGER, Role.AUDITOR),
    ),
)
