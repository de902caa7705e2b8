"""Accounts fixtures: a facility, a procurement admin (a role that needs a second factor), TOTP helpers."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from p2p_portal.accounts.services import totp_device_confirm, totp_device_enrol
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from p2p_portal.services import facility_create, role_grant
from tests.conftest import PASSWORD, make_user


def unused_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now, or the next one if the current one was already used.

    django-otp accepts each time step once and one step either side, so the next step's code is
    what a person would type after waiting for their app to move on.
    """
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t - totp.t() + 1)
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code that no time step near now accepts."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    near = set()
    for offset in (-2, -1, 0, 1, 2):
        totp.time = time.time() + offset * device.step
        near.add(f"{totp.token():06d}")
    return next(code for code in (f"{n:06d}" for n in range(123456, 999999)) if code not in near)


def enrol(user: User) -> TOTPDevice:
    """Give `user` a confirmed authenticator through the services, as the enrolment page does."""
    device = totp_device_enrol(actor=user, user=user)
    assert totp_device_confirm(actor=user, device=device, token=unused_code(device)).accepted
    device.refresh_from_db()
    return device


def password_login(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


@pytest.fixture
def north(db: None) -> Facility:
    return facility_create(actor="tests", code="NORTH", name="North General Hospital")


@pytest.fixture
def procurement_admin(north: Facility) -> User:
    """A user whose role (procurement admin at NORTH) needs a second factor when OTP_REQUIRED is on."""
    user = make_user("pat")
    role_grant(actor="tests", user=user, role=Role.PROCUREMENT_ADMIN, facility=north)
    return user


@pytest.fixture
def otp_required(settings) -> None:
    settings.OTP_REQUIRED = True


@pytest.fixture
def otp_not_required(settings) -> None:
    settings.OTP_REQUIRED = False
