"""Demo data of the platform: two facilities, their cost centers, and one person per role."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from p2p_portal.audit.context import acting_as
from p2p_portal.models import CostCenter, Facility, RoleAssignment
from p2p_portal.roles import Role
from p2p_portal.services import cost_center_create, facility_create, role_grant

# Development-only credentials: seed_demo refuses to run in production, so they never guard real data.
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105
ACTOR = "command seed_demo"


@dataclass(frozen=True)
class DemoLogin:
    """A demo account as it is printed for the person trying the portal."""

    username: str
    password: str
    description: str


FACILITIES = (
    ("NGH", "North General Hospital", "0614141000012"),
    ("SCC", "South Community Clinic", "0614141000029"),
)
COST_CENTERS = (
    ("NGH", "ICU", "Intensive care unit"),
    ("NGH", "PHARM", "Pharmacy"),
    ("NGH", "OR", "Operating rooms"),
    ("SCC", "OUTPT", "Outpatient clinic"),
)
# username, first name, last name, role (None: superuser), facilities
PEOPLE: tuple[tuple[str, str, str, Role | None, tuple[str, ...]], ...] = (
    ("admin", "Alex", "Admin", None, ()),
    ("clerk", "Casey", "Clerk", Role.AP_CLERK, ("NGH", "SCC")),
    ("manager", "Morgan", "Manager", Role.AP_MANAGER, ("NGH",)),
    ("procadmin", "Parker", "Procurement", Role.PROCUREMENT_ADMIN, ("NGH", "SCC")),
    # Bank changes need two procurement admins, and a call-back by someone other than the proposing steward.
    ("procadmin2", "Quinn", "Procurement", Role.PROCUREMENT_ADMIN, ("NGH",)),
    ("steward", "Sasha", "Steward", Role.VENDOR_STEWARD, ("NGH",)),
    ("steward2", "Robin", "Steward", Role.VENDOR_STEWARD, ("NGH",)),
    ("auditor", "Avery", "Auditor", Role.AUDITOR, ("NGH", "SCC")),
    ("integrator", "Indra", "Integrations", Role.INTEGRATION_ADMIN, ("NGH",)),
)


def seed() -> list[DemoLogin]:
    """Create what is missing; anything that exists (even if changed since) is left as it is."""
    facilities = {}
    for code, name, gln in FACILITIES:
        existing = Facility.objects.filter(code=code).first()
        facilities[code] = existing or facility_create(actor=ACTOR, code=code, name=name, gln=gln)
    for facility_code, code, name in COST_CENTERS:
        facility = facilities[facility_code]
        if not CostCenter.objects.filter(facility=facility, code=code).exists():
            cost_center_create(actor=ACTOR, facility=facility, code=code, name=name)

    user_model = get_user_model()
    logins = []
    for username, first_name, last_name, role, codes in PEOPLE:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            create = user_model.objects.create_user if role else user_model.objects.create_superuser
            with acting_as(ACTOR, reason="demo account"):
                user = create(
                    username=username,
                    email=f"{username}@demo.p2p-portal.invalid",
                    password=DEMO_PASSWORD,
                    first_name=first_name,
                    last_name=last_name,
                )
        if role is not None:
            for code in codes:
                if not RoleAssignment.objects.filter(user=user, role=role, facility=facilities[code]).exists():
                    role_grant(actor=ACTOR, user=user, role=role, facility=facilities[code])
        where = f" at {', '.join(codes)}" if codes else ""
        label = role.label if role else "Superuser (Django admin, every section)"
        logins.append(DemoLogin(username, DEMO_PASSWORD, f"{label}{where}"))
    return logins
