"""Every accounts page: anonymous visitors go to the login page; nobody acts on another user's account."""

from __future__ import annotations

import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from p2p_portal.accounts.reauth import REAUTHENTICATED_AT_SESSION_KEY
from tests.accounts.conftest import enrol

pytestmark = pytest.mark.django_db

PAGES = [
    "/account/",
    "/account/two-factor/",
    "/account/two-factor/verify/",
    "/account/two-factor/reset/",
    "/account/reauthenticate/",
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_get_redirects_to_login(client, path) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"/login/?next={path}"


@pytest.mark.parametrize("path", PAGES[1:])
def test_anonymous_post_redirects_to_login_and_changes_nothing(client, clerk, path) -> None:
    enrol(clerk)

    response = client.post(path, {"code": "123456", "password": "x"})

    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).count() == 1


def test_a_user_resets_only_their_own_authenticator(clerk, staff, staff_client) -> None:
    enrol(clerk)
    session = staff_client.session
    session[REAUTHENTICATED_AT_SESSION_KEY] = int(time.time())
    session.save()

    staff_client.post("/account/two-factor/reset/")

    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(clerk_client, method) -> None:
    assert getattr(clerk_client, method)("/account/").status_code == 405
