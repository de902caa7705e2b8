"""Re-authentication before sensitive actions (bank-account changes, resetting two-factor).

A view decorated with `reauthentication_required` (or a class view with `ReauthenticationRequiredMixin`)
runs only when the session proved who is at the keyboard within REAUTH_MAX_AGE_SECONDS: a password login,
a second-factor check, or the /account/reauthenticate/ page. Otherwise the user is sent to that page and
comes back afterwards.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

P = ParamSpec("P")

REAUTHENTICATED_AT_SESSION_KEY = "accounts_reauthenticated_at"


def mark_reauthenticated(request: HttpRequest) -> None:
    """Record in the session that the user has just proved who they are."""
    request.session[REAUTHENTICATED_AT_SESSION_KEY] = int(time.time())


def reauthentication_is_fresh(request: HttpRequest) -> bool:
    """Whether the session's last proof is recent enough for a sensitive action."""
    stamped = request.session.get(REAUTHENTICATED_AT_SESSION_KEY)
    if not isinstance(stamped, int):
        return False
    age = time.time() - stamped
    # A stamp more than a second in the future (the clock was moved back) is not trusted.
    return -1 <= age <= settings.REAUTH_MAX_AGE_SECONDS


def safe_next_url(candidate: str | None) -> str | None:
    """Return `candidate` if it is a relative URL on this site ("/path?query"), else None.

    Absolute URLs are refused even for our own host: nothing of ours needs one, and the checks for
    "//host", "/\\host" and control characters close the ways browsers turn a path into another site.
    """
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    if "\\" in candidate or any(unicodedata.category(char)[0] == "C" for char in candidate):
        return None
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts=set()):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return None
    return candidate


def reauthentication_url(next_url: str) -> str:
    """The re-authentication page, returning to `next_url` afterwards."""
    return f"{reverse('accounts:reauthenticate')}?{urlencode({'next': next_url})}"


def reauthentication_redirect(request: HttpRequest) -> HttpResponse:
    """Send the user to re-authenticate, then back to the page they were on."""
    next_url = request.get_full_path()
    if request.headers.get("HX-Request") == "true":
        # An htmx request asks for a fragment; coming back to it would show a bare fragment, so come
        # back to the page it was sent from, and make htmx load the whole page instead of swapping it in.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        same_site = current.netloc == request.get_host()
        page = safe_next_url(current.path + (f"?{current.query}" if current.query else "")) if same_site else None
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reauthentication_url(page or reverse("accounts:account"))
        return response
    return HttpResponseRedirect(reauthentication_url(next_url))


def _refusal(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not reauthentication_is_fresh(request):
        return reauthentication_redirect(request)
    return None


def reauthentication_required(
    view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Run the view only if the user proved who they are within REAUTH_MAX_AGE_SECONDS (function views)."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        return view(request, *args, **kwargs)

    return wrapper


class ReauthenticationRequiredMixin:
    """Run the view only if the user proved who they are within REAUTH_MAX_AGE_SECONDS (class views).

    Put it first among the bases, so it runs before the view does any work.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        handler: Callable[..., HttpResponseBase] = super().dispatch  # type: ignore[misc]
        return handler(request, *args, **kwargs)
