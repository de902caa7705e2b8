"""Second-factor enforcement: a session that owes a second factor opens nothing else until it is given."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from p2p_portal.accounts.selectors import SecondFactorStep, second_factor_step
from p2p_portal.api.errors import PROBLEM_CONTENT_TYPE, problem

API_PREFIX = "/api/"
# Paths open to a session that still owes its second factor, besides the two-factor pages themselves.
ALWAYS_OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/favicon.ico"})
STEP_URL_NAMES = {
    SecondFactorStep.VERIFY: "accounts:two_factor_verify",
    SecondFactorStep.ENROL: "accounts:two_factor_enrol",
}
STEP_DETAILS = {
    SecondFactorStep.VERIFY: "This session has not passed the second factor: verify with a code at {url}.",
    SecondFactorStep.ENROL: "Your role requires a second factor: set up an authenticator at {url}.",
}


class SecondFactorMiddleware:
    """Sends users whose session owes a second factor to verification or enrolment before anything else.

    Who owes one: anyone with a confirmed authenticator (until this session entered a code), and, when
    OTP_REQUIRED is on, superusers and holders of a SECOND_FACTOR_ROLES role (until they enrol). Requests
    made with an API token are the client's, not a session's, and pass untouched.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            getattr(request, "api_client", None) is not None
            or not request.user.is_authenticated
            or _is_open(request.path)
        ):
            return self.get_response(request)
        step = second_factor_step(request.user)
        if step is None:
            return self.get_response(request)
        step_url = reverse(STEP_URL_NAMES[step])
        if request.path.startswith(API_PREFIX):
            body = problem(403, code="second_factor_required", detail=STEP_DETAILS[step].format(url=step_url))
            return JsonResponse(body, status=403, content_type=PROBLEM_CONTENT_TYPE)
        target = f"{step_url}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true":
            # A redirect would be followed by htmx and the page swapped into a fragment: load it whole.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


def _is_open(path: str) -> bool:
    static_prefix = "/" + settings.STATIC_URL.lstrip("/") if settings.STATIC_URL else None
    if path in ALWAYS_OPEN_PATHS or (static_prefix and path.startswith(static_prefix)):
        return True
    return path in {
        reverse("login"),
        reverse("logout"),
        reverse("accounts:two_factor_enrol"),
        reverse("accounts:two_factor_verify"),
    }
