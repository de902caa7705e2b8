"""Account reads: a user's roles by facility, and what the second factor still asks of them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from p2p_portal.models import Facility, RoleAssignment
from p2p_portal.roles import SECOND_FACTOR_ROLES, Role


@dataclass(frozen=True)
class FacilityRoles:
    """The roles one user holds at one facility, as the account page lists them."""

    facility: Facility
    roles: tuple[str, ...]


class SecondFactorStep(Enum):
    """What a signed-in session must still do before it may open ordinary pages."""

    VERIFY = "verify"  # the user has an authenticator: enter a code from it
    ENROL = "enrol"  # the user's role requires one and there is none yet: set it up


def role_assignments_by_facility(user: Any) -> list[FacilityRoles]:
    """The user's role assignments grouped by facility, in facility code order."""
    grouped: dict[int, tuple[Facility, list[str]]] = {}
    assignments = RoleAssignment.objects.filter(user=user).select_related("facility").order_by("facility__code", "role")
    for assignment in assignments:
        _, roles = grouped.setdefault(assignment.facility_id, (assignment.facility, []))
        roles.append(Role(assignment.role).label)
    return [FacilityRoles(facility=facility, roles=tuple(roles)) for facility, roles in grouped.values()]


def second_factor_required(user: Any) -> bool:
    """Whether policy makes this user use a second factor: OTP_REQUIRED and a SECOND_FACTOR_ROLES role, or superuser."""
    if not settings.OTP_REQUIRED or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.filter(user=user, role__in=SECOND_FACTOR_ROLES).exists()


def confirmed_totp_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have one."""
    if not getattr(user, "is_authenticated", False):
        return None
    device: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device


def session_is_verified(user: Any) -> bool:
    """Whether this request's session has passed a second-factor check (set by django-otp's middleware)."""
    return getattr(user, "otp_device", None) is not None


def second_factor_step(user: Any) -> SecondFactorStep | None:
    """What the signed-in session still owes: verification (anyone with an authenticator), enrolment, or nothing.

    Anyone who set up an authenticator is asked for it, required or not: an authenticator that a
    stolen password can skip protects nothing.
    """
    if not getattr(user, "is_authenticated", False) or session_is_verified(user):
        return None
    if confirmed_totp_device(user) is not None:
        return SecondFactorStep.VERIFY
    if second_factor_required(user):
        return SecondFactorStep.ENROL
    return None
