"""The finance reports as the insights index lists them, and who reads each."""

from __future__ import annotations

from insights.catalogue import Report
from p2p_portal.roles import Role

# Accruals are AP's period-close figure (AP managers book the accrual); auditors read them. Procurement admins are
# not readers: what is owed on received goods is a ledger matter, not a sourcing one.
ACCRUAL_ROLES: tuple[Role, ...] = (Role.AP_MANAGER, Role.AUDITOR)
# Spend and leakage serve AP managers (what was paid), procurement admins (whom we buy from, off-contract spend, prices
# paid above the PO) and auditors.
SPEND_ROLES: tuple[Role, ...] = (Role.AP_MANAGER, Role.PROCUREMENT_ADMIN, Role.AUDITOR)

REPORTS: tuple[Report, ...] = (
    Report(
        key="accruals",
        label="Accruals: received, not invoiced",
        url_name="insights:finance:accruals",
        summary="Goods received and not yet invoiced as of a date, by facility, cost center and vendor, with the PO "
        "lines behind each amount: the accrual to book at period close.",
        roles=ACCRUAL_ROLES,
    ),
    Report(
        key="spend",
        label="Spend and leakage",
        url_name="insights:finance:spend",
        summary="Paid spend by month, vendor, facility and UNSPSC category; the PO-backed share; prices paid above "
        "the PO price by vendor and item.",
        roles=SPEND_ROLES,
    ),
)
