"""Account pages: login, the account overview, two-factor enrolment, verification and reset, re-authentication."""

from __future__ import annotations

import logging
import unicodedata
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import qrcode
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from p2p_portal.accounts.forms import ReauthenticationForm, SecondFactorCodeForm
from p2p_portal.accounts.reauth import mark_reauthenticated, reauthentication_required, safe_next_url
from p2p_portal.accounts.selectors import (
    confirmed_totp_device,
    role_assignments_by_facility,
    second_factor_required,
    session_is_verified,
)
from p2p_portal.accounts.services import (
    TokenCheck,
    totp_device_confirm,
    totp_device_enrol,
    totp_device_remove,
    totp_token_check,
)

logger = logging.getLogger("p2p_portal.accounts")


class LoginView(auth_views.LoginView):
    """The login page: password check, lockout after repeated failures (axes), a log line for success and lockout."""

    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        # A password login is a fresh proof of identity: no re-authentication for the next few minutes.
        mark_reauthenticated(self.request)
        username = form.get_user().get_username()
        logger.info("login succeeded for %s", username, extra={"username": username, "event": "login"})
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        # axes flags the request when this failure reached the limit (or the account was already
        # locked); its middleware then answers 429 with accounts/locked_out.html instead of this page.
        if getattr(self.request, "axes_locked_out", False):
            _log_lockout(str(form.data.get("username", "")), where="login")
        return super().form_invalid(form)


@require_GET
@never_cache
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Your account: who you are, your roles at each facility, and your two-factor status."""
    user = request.user
    context = {
        "facility_roles": role_assignments_by_facility(user),
        "device": confirmed_totp_device(user),
        "second_factor_required": second_factor_required(user),
        "session_verified": session_is_verified(user),
    }
    return render(request, "accounts/account.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator: QR code and key to add it to an app, then a code from it to confirm it."""
    user = request.user
    next_url = _next_url(request)
    if confirmed_totp_device(user) is not None:
        # Enrolling a second authenticator must not be a way around the first one.
        if not session_is_verified(user):
            return redirect(_with_next(reverse("accounts:two_factor_verify"), next_url))
        messages.info(request, "Two-factor authentication is already on for your account.")
        return redirect("accounts:account")
    device = totp_device_enrol(actor=user, user=user)
    form = SecondFactorCodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        check = totp_device_confirm(actor=user, device=device, token=form.cleaned_data["code"])
        if check.accepted:
            _mark_verified(request, check)
            messages.success(request, "Two-factor authentication is on. You will be asked for a code at each login.")
            return redirect(next_url)
        form.add_error("code", _refusal_message(check))
    context = {
        "form": form,
        "next": next_url,
        "qr_code_svg": _qr_code_svg(device.config_url),
        "secret_groups": _secret_groups(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "second_factor_required": second_factor_required(user),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the user's authenticator before any other page opens."""
    user = request.user
    next_url = _next_url(request)
    if session_is_verified(user) or confirmed_totp_device(user) is None:
        return redirect(next_url)
    form = SecondFactorCodeForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        check = totp_token_check(actor=user, user=user, token=form.cleaned_data["code"])
        if check.accepted:
            _mark_verified(request, check)
            mark_reauthenticated(request)
            logger.info(
                "two-factor verification succeeded for %s",
                user.get_username(),
                extra={"username": user.get_username(), "event": "otp_verified"},
            )
            return redirect(next_url)
        form.add_error("code", _refusal_message(check))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
@reauthentication_required
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    """Reset two-factor: confirm, then remove the user's authenticator (a sensitive action: re-authentication first)."""
    user = request.user
    required = second_factor_required(user)
    if request.method == "POST" and totp_device_remove(actor=user, user=user):
        follow_up = " Set up a new one now: your role requires it." if required else ""
        messages.success(request, f"Your authenticator was removed.{follow_up}")
        return redirect("accounts:account")
    if confirmed_totp_device(user) is None:
        messages.info(request, "Two-factor authentication is not on for your account: there is nothing to reset.")
        return redirect("accounts:account")
    return render(request, "accounts/two_factor_remove.html", {"second_factor_required": required})


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Confirm it is you: the password again (and a code if you have an authenticator), then back to `next`."""
    user = request.user
    next_url = _next_url(request, default=reverse("accounts:account"))
    needs_code = confirmed_totp_device(user) is not None
    form = ReauthenticationForm(
        request.POST if request.method == "POST" else None, request=request, needs_code=needs_code
    )
    if form.is_bound:
        if form.is_valid():
            check = totp_token_check(actor=user, user=user, token=form.cleaned_data["code"]) if needs_code else None
            if check is None or check.accepted:
                if check is not None:
                    _mark_verified(request, check)
                mark_reauthenticated(request)
                logger.info(
                    "re-authentication succeeded for %s",
                    user.get_username(),
                    extra={"username": user.get_username(), "event": "reauthenticated"},
                )
                return redirect(next_url)
            form.add_error("code", _refusal_message(check))
        elif getattr(request, "axes_locked_out", False):
            # Someone guessing the password at an unlocked workstation: end the session too, not just
            # the login. axes' middleware answers with the lockout page.
            _log_lockout(user.get_username(), where="re-authentication")
            logout(request)
            return HttpResponse("Account locked.", status=429, content_type="text/plain")
    context = {"form": form, "next": next_url, "needs_code": needs_code}
    return render(request, "accounts/reauthenticate.html", context)


# --- helpers ------------------------------------------------------------------------------------------------
def _next_url(request: HttpRequest, default: str | None = None) -> str:
    candidate = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return safe_next_url(candidate) or default or resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _mark_verified(request: HttpRequest, check: TokenCheck) -> None:
    django_otp.login(request, check.device)
    # The session just gained a privilege: give it a new key, as Django does at login.
    request.session.cycle_key()


def _refusal_message(check: TokenCheck) -> str:
    if check.retry_after_seconds:
        seconds = check.retry_after_seconds
        unit = "second" if seconds == 1 else "seconds"
        return f"Too many wrong codes. Wait {seconds} {unit}, then enter the code your app shows."
    return "That code is not right, or it was already used. Enter the code your app shows now."


def _qr_code_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=SvgPathImage, border=4)
    svg: str = image.to_string(encoding="unicode")
    # Our own markup from qrcode (the secret is in the modules, never in text): safe to inline.
    return mark_safe(svg)  # noqa: S308


def _secret_groups(device: TOTPDevice) -> list[str]:
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return [secret[index : index + 4] for index in range(0, len(secret), 4)]


def _log_lockout(username: str, *, where: str) -> None:
    # The username comes from the form: keep control characters out of the log line.
    loggable = "".join(char for char in username[:150] if unicodedata.category(char)[0] != "C")
    logger.warning(
        "account locked out after repeated failures for %s (%s)",
        loggable,
        where,
        extra={"username": loggable, "event": "lockout"},
    )
