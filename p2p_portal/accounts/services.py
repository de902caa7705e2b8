"""Account writes: a user's TOTP authenticator (enrol, confirm, check a code, remove), attributed to an actor."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from p2p_portal.audit.context import acting_as
from p2p_portal.errors import ApplicationError

logger = logging.getLogger("p2p_portal.accounts")

DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a code: the device that accepted it, or how long to wait before the next try."""

    device: TOTPDevice | None
    retry_after_seconds: int = 0

    @property
    def accepted(self) -> bool:
        return self.device is not None


@transaction.atomic
def totp_device_enrol(*, actor: Any, user: Any) -> TOTPDevice:
    """Start enrolment: return the user's unconfirmed authenticator, creating it unless one is already waiting."""
    # Locking the user row serialises two tabs opening the enrolment page at once (one pending device, not two).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ApplicationError(
            "This account already has an authenticator; reset two-factor to replace it.",
            code="second_factor_already_enrolled",
        )
    pending: TOTPDevice | None = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if pending is not None:
        return pending
    device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=False)
    device.full_clean()
    with acting_as(actor, reason="two-factor enrolment started"):
        device.save()
    logger.info("two-factor enrolment started for %s", user.get_username(), extra={"username": user.get_username()})
    return device


@transaction.atomic
def totp_device_confirm(*, actor: Any, device: TOTPDevice, token: str) -> TokenCheck:
    """Confirm a pending authenticator with a code it generated; only then does it count as the user's second factor.

    A wrong code is returned as a refusal, not raised: raising would roll back django-otp's throttle
    counter and let a guesser try again without delay.
    """
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    username = device.user.get_username()
    check = _check(device, token)
    if not check.accepted:
        logger.warning(
            "two-factor confirmation failed for %s", username, extra={"username": username, "event": "otp_failed"}
        )
        return check
    device.confirmed = True
    device.full_clean()
    with acting_as(actor, reason="two-factor authenticator confirmed"):
        device.save(update_fields=["confirmed"])
        # Other half-finished enrolments (another tab, another day) must never be confirmable later.
        TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    logger.info("two-factor authenticator confirmed for %s", username, extra={"username": username})
    return check


@transaction.atomic
def totp_token_check(*, actor: Any, user: Any, token: str) -> TokenCheck:
    """Check a code against the user's confirmed authenticator (throttled; a code is accepted once only)."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
    )
    username = user.get_username()
    check = _check(device, token) if device is not None else TokenCheck(device=None)
    if not check.accepted:
        # Returned, not raised, so the throttle counter django-otp just wrote is committed.
        logger.warning(
            "two-factor verification failed for %s", username, extra={"username": username, "event": "otp_failed"}
        )
    return check


@transaction.atomic
def totp_device_remove(*, actor: Any, user: Any) -> int:
    """Remove every authenticator of the user (reset two-factor); returns how many were removed."""
    devices = list(TOTPDevice.objects.select_for_update().filter(user=user))
    with acting_as(actor, reason="two-factor reset"):
        for device in devices:
            device.delete()
    logger.info(
        "two-factor reset for %s (%d authenticator(s) removed)",
        user.get_username(),
        len(devices),
        extra={"username": user.get_username()},
    )
    return len(devices)


def _check(device: TOTPDevice, token: str) -> TokenCheck:
    allowed, details = device.verify_is_allowed()
    if not allowed:
        locked_until = (details or {}).get("locked_until")
        wait = (locked_until - timezone.now()).total_seconds() if locked_until else 1
        return TokenCheck(device=None, retry_after_seconds=max(1, math.ceil(wait)))
    if device.verify_token(token):
        return TokenCheck(device=device)
    return TokenCheck(device=None)
