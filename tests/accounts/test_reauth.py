"""Re-authentication before sensitive actions, and the reset-two-factor action that uses it."""

from __future__ import annotations

import logging
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.views import View
from django_otp.plugins.otp_totp.models import TOTPDevice

from p2p_portal.accounts.reauth import (
    REAUTHENTICATED_AT_SESSION_KEY,
    ReauthenticationRequiredMixin,
    mark_reauthenticated,
    reauthentication_required,
    safe_next_url,
)
from tests.accounts.conftest import enrol, password_login, unused_code, wrong_code
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

RESET = "/account/two-factor/reset/"
REAUTH = "/account/reauthenticate/"


def _stamp(client, seconds_ago: int) -> None:
    session = client.session
    session[REAUTHENTICATED_AT_SESSION_KEY] = int(time.time()) - seconds_ago
    session.save()


@pytest.fixture
def verified_client(client, clerk):
    """casey, with an authenticator, logged in with password and code (so freshly re-authenticated)."""
    device = enrol(clerk)
    password_login(client, "casey")
    client.post("/account/two-factor/verify/", {"code": unused_code(device)})
    client.device = device
    return client


# --- The decorator on the reset action -------------------------------------------------------------------------
def test_a_stale_session_is_sent_to_reauthenticate_and_back(verified_client, settings) -> None:
    _stamp(verified_client, settings.REAUTH_MAX_AGE_SECONDS + 5)

    response = verified_client.get(RESET)

    assert response.status_code == 302
    assert response.url == f"{REAUTH}?next=%2Faccount%2Ftwo-factor%2Freset%2F"


def test_a_session_without_any_proof_is_stale(clerk_client) -> None:
    response = clerk_client.get(RESET)

    assert response.status_code == 302
    assert response.url.startswith(REAUTH)


def test_a_fresh_login_needs_no_reauthentication(verified_client) -> None:
    response = verified_client.get(RESET)

    assert response.status_code == 200
    assert "Remove your authenticator?" in response.text


def test_a_stale_post_does_nothing_and_asks_for_reauthentication(verified_client, settings, clerk) -> None:
    _stamp(verified_client, settings.REAUTH_MAX_AGE_SECONDS + 5)

    response = verified_client.post(RESET)

    assert response.url.startswith(REAUTH)
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()


# --- The re-authentication page --------------------------------------------------------------------------------
def test_the_right_password_and_code_stamp_the_session_and_return_to_next(verified_client, settings, clerk) -> None:
    _stamp(verified_client, settings.REAUTH_MAX_AGE_SECONDS + 5)
    page = verified_client.get(f"{REAUTH}?next={RESET}")
    assert page.status_code == 200
    assert 'name="code"' in page.text, "a user with an authenticator gives a code too"
    assert f'name="next" value="{RESET}"' in page.text

    response = verified_client.post(
        REAUTH, {"password": PASSWORD, "code": unused_code(verified_client.device), "next": RESET}
    )

    assert response.status_code == 302
    assert response.url == RESET
    assert verified_client.get(RESET).status_code == 200
    assert verified_client.session[REAUTHENTICATED_AT_SESSION_KEY] >= int(time.time()) - 2


def test_a_user_without_an_authenticator_gives_the_password_only(clerk_client) -> None:
    page = clerk_client.get(f"{REAUTH}?next=/account/")
    assert 'name="code"' not in page.text

    response = clerk_client.post(REAUTH, {"password": PASSWORD, "next": "/account/"})

    assert response.status_code == 302
    assert response.url == "/account/"


def test_the_wrong_password_is_refused(verified_client, settings) -> None:
    _stamp(verified_client, settings.REAUTH_MAX_AGE_SECONDS + 5)

    response = verified_client.post(
        REAUTH, {"password": "not-the-password", "code": unused_code(verified_client.device), "next": RESET}
    )

    assert response.status_code == 200
    assert "That password is not right." in response.text
    assert response.text.count('aria-invalid="true"') == 1, "the password field, not the code, is marked"
    assert verified_client.get(RESET).url.startswith(REAUTH), "still stale"


def test_the_right_password_with_a_wrong_code_is_refused(verified_client, settings, caplog) -> None:
    _stamp(verified_client, settings.REAUTH_MAX_AGE_SECONDS + 5)

    with caplog.at_level(logging.WARNING, logger="p2p_portal.accounts"):
        response = verified_client.post(
            REAUTH, {"password": PASSWORD, "code": wrong_code(verified_client.device), "next": RESET}
        )

    assert response.status_code == 200
    assert "That code is not right" in response.text
    assert verified_client.get(RESET).url.startswith(REAUTH), "still stale"
    assert any("two-factor verification failed for casey" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "http:/evil.example/",
        "javascript:alert(1)",
        "https://testserver/account/",
        "account/",
    ],
)
def test_an_off_site_next_is_rejected(clerk_client, next_url) -> None:
    page = clerk_client.get(REAUTH, {"next": next_url})
    assert 'name="next" value="/account/"' in page.text

    response = clerk_client.post(REAUTH, {"password": PASSWORD, "next": next_url})

    assert response.status_code == 302
    assert response.url == "/account/"


@pytest.mark.parametrize("next_url", ["/", "/account/two-factor/reset/", "/workbench/?queue=price_variance&page=2"])
def test_same_site_relative_urls_are_kept(next_url) -> None:
    assert safe_next_url(next_url) == next_url


def test_five_wrong_passwords_at_reauthentication_lock_the_account_and_end_the_session(
    verified_client, settings, caplog
) -> None:
    _stamp(verified_client, settings.REAUTH_MAX_AGE_SECONDS + 5)
    for _ in range(4):
        assert verified_client.post(REAUTH, {"password": "guess", "next": RESET}).status_code == 200

    with caplog.at_level(logging.WARNING, logger="p2p_portal.accounts"):
        response = verified_client.post(REAUTH, {"password": "guess", "next": RESET})

    assert response.status_code == 429
    assert "Account locked" in response.text
    assert verified_client.get("/account/").url == "/login/?next=/account/"
    assert any("locked out" in record.getMessage() and "casey" in record.getMessage() for record in caplog.records)


# --- Reset two-factor ------------------------------------------------------------------------------------------
def test_reset_removes_the_authenticator(verified_client, clerk, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="p2p_portal.accounts"):
        response = verified_client.post(RESET)

    assert response.status_code == 302
    assert response.url == "/account/"
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    account = verified_client.get("/account/")
    assert account.status_code == 200
    assert "Your authenticator was removed." in account.text
    assert any("two-factor reset for casey" in record.getMessage() for record in caplog.records)


def test_after_a_reset_a_user_whose_role_requires_it_must_enrol_again(client, procurement_admin, otp_required) -> None:
    device = enrol(procurement_admin)
    password_login(client, "pat")
    client.post("/account/two-factor/verify/", {"code": unused_code(device)})

    client.post(RESET)

    response = client.get("/account/")
    assert response.status_code == 302
    assert response.url == "/account/two-factor/?next=%2Faccount%2F"


def test_reset_without_an_authenticator_explains_there_is_nothing_to_reset(clerk_client) -> None:
    mark_session = clerk_client.session
    mark_session[REAUTHENTICATED_AT_SESSION_KEY] = int(time.time())
    mark_session.save()

    response = clerk_client.get(RESET, follow=True)

    assert "there is nothing to reset" in response.text


# --- The decorator and the mixin on views of later issues ------------------------------------------------------
@reauthentication_required
def _bank_account_change(request: HttpRequest) -> HttpResponse:
    return HttpResponse("changed")


class _BankAccountChangeView(ReauthenticationRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("changed")


def _request(user, *, method: str = "post", fresh: bool, headers: dict[str, str] | None = None) -> HttpRequest:
    request = getattr(RequestFactory(), method)("/vendors/42/bank-account/", headers=headers or {})
    request.session = SessionStore()
    request.user = user
    if fresh:
        mark_reauthenticated(request)
    return request


@pytest.mark.parametrize("view", [_bank_account_change, _BankAccountChangeView.as_view()])
def test_the_decorator_and_the_mixin_redirect_when_stale_and_run_when_fresh(view, clerk) -> None:
    stale = view(_request(clerk, fresh=False))
    assert stale.status_code == 302
    assert stale.url == f"{REAUTH}?next=%2Fvendors%2F42%2Fbank-account%2F"

    fresh = view(_request(clerk, fresh=True))
    assert fresh.status_code == 200
    assert fresh.content == b"changed"


@pytest.mark.parametrize("view", [_bank_account_change, _BankAccountChangeView.as_view()])
def test_the_decorator_and_the_mixin_send_anonymous_users_to_login(view) -> None:
    response = view(_request(AnonymousUser(), fresh=False))

    assert response.status_code == 302
    assert response.url.startswith("/login/?next=")


def test_an_htmx_request_comes_back_to_the_page_not_the_fragment(clerk) -> None:
    request = _request(
        clerk, fresh=False, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/vendors/42/"}
    )

    response = _bank_account_change(request)

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"{REAUTH}?next=%2Fvendors%2F42%2F"
