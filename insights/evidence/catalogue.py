"""The evidence reports as the insights index lists them."""

from __future__ import annotations

from insights.catalogue import Report
from p2p_portal.roles import Role

# Auditors read the evidence; procurement admins may read it too.
EVIDENCE_ROLES: tuple[Role, ...] = (Role.AUDITOR, Role.PROCUREMENT_ADMIN)

REPORTS: tuple[Report, ...] = (
    Report(
        key="evidence",
        label="Control evidence pack",
        url_name="insights:evidence:pack",
        summary="For a period: bank-account changes with call-backs and approvers, SoD blocks, tolerance "
        "overrides, vendor merges, screening results and the audit chain verification; one zip of CSVs.",
        roles=EVIDENCE_ROLES,
    ),
)
