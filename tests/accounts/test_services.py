"""Account services: one pending authenticator at a time, confirmation that counts once, removal."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from p2p_portal.accounts.selectors import confirmed_totp_device
from p2p_portal.accounts.services import (
    totp_device_confirm,
    totp_device_enrol,
    totp_device_remove,
    totp_token_check,
)
from p2p_portal.errors import ApplicationError
from tests.accounts.conftest import enrol, unused_code, wrong_code

pytestmark = pytest.mark.django_db


def test_enrol_reuses_the_pending_device(clerk) -> None:
    first = totp_device_enrol(actor=clerk, user=clerk)
    second = totp_device_enrol(actor=clerk, user=clerk)

    assert first.pk == second.pk
    assert not first.confirmed
    assert first.name == "Authenticator app"


def test_enrol_is_refused_while_a_confirmed_device_exists(clerk) -> None:
    enrol(clerk)

    with pytest.raises(ApplicationError) as refused:
        totp_device_enrol(actor=clerk, user=clerk)

    assert refused.value.code == "second_factor_already_enrolled"


def test_confirming_removes_other_pending_devices(clerk) -> None:
    device = totp_device_enrol(actor=clerk, user=clerk)
    stray = TOTPDevice.objects.create(user=clerk, name="other tab", confirmed=False)

    check = totp_device_confirm(actor=clerk, device=device, token=unused_code(device))

    assert check.accepted
    assert list(TOTPDevice.objects.filter(user=clerk)) == [device]
    assert not TOTPDevice.objects.filter(pk=stray.pk).exists()
    assert confirmed_totp_device(clerk) == device


def test_a_wrong_code_is_counted_for_throttling_even_though_nothing_is_raised(clerk) -> None:
    device = totp_device_enrol(actor=clerk, user=clerk)

    check = totp_device_confirm(actor=clerk, device=device, token=wrong_code(device))

    assert not check.accepted
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert not device.confirmed


def test_token_check_refuses_users_without_a_confirmed_device(clerk) -> None:
    pending = totp_device_enrol(actor=clerk, user=clerk)

    assert not totp_token_check(actor=clerk, user=clerk, token=unused_code(pending)).accepted


def test_token_check_reports_how_long_to_wait_when_throttled(clerk) -> None:
    device = enrol(clerk)
    totp_token_check(actor=clerk, user=clerk, token=wrong_code(device))
    totp_token_check(actor=clerk, user=clerk, token=wrong_code(device))

    check = totp_token_check(actor=clerk, user=clerk, token=unused_code(device))

    assert not check.accepted
    assert 1 <= check.retry_after_seconds <= 2


def test_remove_deletes_confirmed_and_pending_devices(clerk, staff) -> None:
    enrol(clerk)
    TOTPDevice.objects.create(user=clerk, name="pending", confirmed=False)
    enrol(staff)

    assert totp_device_remove(actor=clerk, user=clerk) == 2

    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert TOTPDevice.objects.filter(user=staff).exists()
