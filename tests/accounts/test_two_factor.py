"""TOTP second factor: enrolment, verification after login, and who the middleware holds back."""

from __future__ import annotations

import json
import logging
from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from p2p_portal.accounts.selectors import SecondFactorStep, second_factor_required, second_factor_step
from tests.accounts.conftest import enrol, password_login, unused_code, wrong_code
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


# --- Enrolment -----------------------------------------------------------------------------------------------
def test_the_enrolment_page_shows_a_qr_code_and_the_key_for_manual_entry(clerk_client, clerk) -> None:
    response = clerk_client.get("/account/two-factor/")

    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=clerk)
    assert not device.confirmed, "a device does not count until a code from it is confirmed"
    assert "<svg" in response.text
    assert "<path" in response.text
    secret = response.context["secret_groups"]
    assert b32decode("".join(secret)) == device.bin_key
    assert " ".join(secret) in response.text.replace("</span> <span>", " ")
    assert response.headers["Cache-Control"].startswith("max-age=0")
    assert "style=" not in response.text
    assert "<script" not in response.text.split("</head>")[1]


def test_opening_the_enrolment_page_again_keeps_the_same_pending_key(clerk_client, clerk) -> None:
    first = clerk_client.get("/account/two-factor/").context["secret_groups"]
    second = clerk_client.get("/account/two-factor/").context["secret_groups"]

    assert first == second
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


def test_a_correct_code_confirms_the_device_and_verifies_the_session(clerk_client, clerk) -> None:
    clerk_client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=clerk)
    code = f"{totp(device.bin_key):06d}"

    response = clerk_client.post("/account/two-factor/", {"code": code[:3] + " " + code[3:], "next": "/workbench/"})

    assert response.status_code == 302
    assert response.url == "/workbench/"
    device.refresh_from_db()
    assert device.confirmed
    assert clerk_client.get("/").status_code == 200, "the session that enrolled is verified"
    account = clerk_client.get("/account/")
    assert account.context["device"] == device
    assert account.context["session_verified"]


def test_a_wrong_code_is_refused_and_the_device_stays_unconfirmed(clerk_client, clerk, caplog) -> None:
    clerk_client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=clerk)

    with caplog.at_level(logging.WARNING, logger="p2p_portal.accounts"):
        response = clerk_client.post("/account/two-factor/", {"code": wrong_code(device)})

    assert response.status_code == 200
    assert "That code is not right" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'role="alert"' in response.text
    device.refresh_from_db()
    assert not device.confirmed
    assert any("two-factor confirmation failed for casey" in record.getMessage() for record in caplog.records)


def test_quick_repeated_wrong_codes_are_throttled(clerk_client, clerk) -> None:
    clerk_client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=clerk)
    clerk_client.post("/account/two-factor/", {"code": wrong_code(device)})

    response = clerk_client.post("/account/two-factor/", {"code": unused_code(device)})

    assert "Too many wrong codes" in response.text
    device.refresh_from_db()
    assert not device.confirmed, "even the right code waits out the throttle"


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef"])
def test_a_code_that_is_not_six_digits_gets_a_format_message(clerk_client, code) -> None:
    response = clerk_client.post("/account/two-factor/", {"code": code})

    assert response.status_code == 200
    assert "Enter the 6-digit code your authenticator app shows." in response.text


def test_a_user_with_an_unverified_session_cannot_enrol_a_second_device_to_skip_the_first(client, clerk) -> None:
    enrol(clerk)
    password_login(client, "casey")

    response = client.get("/account/two-factor/")

    assert response.status_code == 302
    assert response.url.startswith("/account/two-factor/verify/")
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


def test_a_verified_user_with_a_device_is_sent_back_to_the_account_page(client, clerk) -> None:
    device = enrol(clerk)
    password_login(client, "casey")
    client.post("/account/two-factor/verify/", {"code": unused_code(device)})

    response = client.get("/account/two-factor/")

    assert response.status_code == 302
    assert response.url == "/account/"


# --- Verification after login --------------------------------------------------------------------------------
def test_login_for_a_user_with_a_device_requires_verification_before_any_page(client, clerk, caplog) -> None:
    device = enrol(clerk)

    response = password_login(client, "casey", next_url="/workbench/")
    assert response.url == "/workbench/"
    for path in ("/workbench/", "/", "/account/", "/vendors/", "/account/reauthenticate/"):
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked.url.startswith("/account/two-factor/verify/?next="), path

    page = client.get("/account/two-factor/verify/?next=/workbench/")
    assert page.status_code == 200
    assert "Enter your code" in page.text

    with caplog.at_level(logging.WARNING, logger="p2p_portal.accounts"):
        refused = client.post("/account/two-factor/verify/", {"code": wrong_code(device), "next": "/workbench/"})
    assert refused.status_code == 200
    assert "That code is not right" in refused.text
    assert any("two-factor verification failed for casey" in record.getMessage() for record in caplog.records)
    assert client.get("/workbench/").status_code == 302

    device.throttle_reset()
    accepted = client.post("/account/two-factor/verify/", {"code": unused_code(device), "next": "/workbench/"})
    assert accepted.status_code == 302
    assert accepted.url == "/workbench/"
    assert client.get("/").status_code == 200
    assert client.get("/account/").status_code == 200


def test_a_code_is_accepted_once_only(client, clerk) -> None:
    device = enrol(clerk)
    password_login(client, "casey")
    code = unused_code(device)
    client.post("/account/two-factor/verify/", {"code": code})
    client.post("/logout/")
    password_login(client, "casey")

    response = client.post("/account/two-factor/verify/", {"code": code})

    assert "already used" in response.text
    assert client.get("/").status_code == 302


def test_verification_never_returns_to_another_site(client, clerk) -> None:
    device = enrol(clerk)
    password_login(client, "casey")

    response = client.post(
        "/account/two-factor/verify/", {"code": unused_code(device), "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert response.url == "/"


def test_the_verify_page_lets_a_user_without_a_device_through(clerk_client) -> None:
    response = clerk_client.get("/account/two-factor/verify/?next=/workbench/")

    assert response.status_code == 302
    assert response.url == "/workbench/"


# --- Who must enrol ------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("otp_required")
def test_with_otp_required_a_procurement_admin_without_a_device_is_sent_to_enrolment(client, procurement_admin) -> None:
    password_login(client, "pat")

    for path in ("/", "/workbench/", "/account/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == f"/account/two-factor/?next={path.replace('/', '%2F')}", path
    assert client.get("/account/two-factor/").status_code == 200


@pytest.mark.usefixtures("otp_not_required")
def test_with_otp_not_required_a_procurement_admin_without_a_device_goes_straight_in(client, procurement_admin) -> None:
    password_login(client, "pat")

    assert client.get("/").status_code == 200
    assert not second_factor_required(procurement_admin)


@pytest.mark.usefixtures("otp_required")
def test_with_otp_required_superusers_must_enrol_and_clerks_need_not(client, staff, clerk) -> None:
    assert second_factor_required(staff)
    assert not second_factor_required(clerk)
    password_login(client, "sam")
    assert client.get("/admin/").url.startswith("/account/two-factor/?next=")

    other = client.__class__()
    password_login(other, "casey")
    assert other.get("/").status_code == 200


@pytest.mark.usefixtures("otp_required")
@pytest.mark.parametrize("role", ["ap_manager", "integration_admin", "procurement_admin"])
def test_every_second_factor_role_at_any_facility_requires_it(north, role) -> None:
    from p2p_portal.services import facility_create, role_grant

    south = facility_create(actor="tests", code="SOUTH", name="South Clinic")
    user = make_user(f"user_{role}")
    role_grant(actor="tests", user=user, role="ap_clerk", facility=north)
    assert not second_factor_required(user)

    role_grant(actor="tests", user=user, role=role, facility=south)

    assert second_factor_required(user)
    user.otp_device = None
    assert second_factor_step(user) is SecondFactorStep.ENROL


@pytest.mark.usefixtures("otp_required")
def test_a_session_that_owes_a_second_factor_may_still_reach_login_logout_health_and_static(
    client, procurement_admin
) -> None:
    password_login(client, "pat")

    assert client.get("/static/css/portal.css").status_code == 200
    assert client.get("/healthz").status_code != 302
    assert client.get("/favicon.ico").url.endswith("logo.svg")
    assert client.get("/account/two-factor/verify/").status_code == 302  # no device: on to next, then enrolment
    assert client.get("/login/").status_code == 302  # LoginView sends signed-in users on
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response.url == "/login/"
    assert client.get("/").url == "/login/?next=/"


@pytest.mark.usefixtures("otp_required")
def test_an_api_request_from_a_session_that_owes_a_second_factor_gets_a_403_problem(client, procurement_admin) -> None:
    password_login(client, "pat")

    response = client.get("/api/v1/facilities/")

    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["type"] == "urn:p2p-portal:problem:second_factor_required"
    assert body["code"] == "second_factor_required"
    assert body["status"] == 403
    assert body["title"] == "Forbidden"
    assert "/account/two-factor/" in body["detail"]


def test_an_api_request_from_an_unverified_session_of_a_device_owner_gets_a_403_problem(client, clerk) -> None:
    enrol(clerk)
    password_login(client, "casey")

    response = client.get("/api/v1/facilities/")

    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "second_factor_required"


def test_htmx_requests_are_sent_to_verification_by_a_full_page_redirect(client, clerk) -> None:
    enrol(clerk)
    password_login(client, "casey")

    response = client.get("/workbench/", headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/account/two-factor/verify/?next=")


# --- Account page --------------------------------------------------------------------------------------------
def test_the_account_page_lists_roles_by_facility_and_two_factor_status(client, procurement_admin, north) -> None:
    from p2p_portal.services import facility_create, role_grant

    south = facility_create(actor="tests", code="SOUTH", name="South Clinic")
    role_grant(actor="tests", user=procurement_admin, role="ap_manager", facility=north)
    role_grant(actor="tests", user=procurement_admin, role="auditor", facility=south)
    client.force_login(procurement_admin)

    response = client.get("/account/")

    assert response.status_code == 200
    rows = [(row.facility.code, row.roles) for row in response.context["facility_roles"]]
    assert rows == [("NORTH", ("AP manager", "Procurement admin")), ("SOUTH", ("Auditor",))]
    assert "North General Hospital" in response.text
    assert "AP manager, Procurement admin" in response.text
    assert "Set up two-factor" in response.text


def test_the_account_page_shows_two_factor_on_and_the_reset_action(client, clerk) -> None:
    device = enrol(clerk)
    password_login(client, "casey")
    client.post("/account/two-factor/verify/", {"code": unused_code(device)})

    response = client.get("/account/")

    assert ">On<" in response.text
    assert 'href="/account/two-factor/reset/"' in response.text
    assert "You hold no role at any facility yet" in response.text
