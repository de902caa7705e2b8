"""RFC 9457 problem details for every API error, with `errors` per field for validation failures."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from p2p_portal.errors import ApplicationError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:p2p-portal:problem:"


def problem(
    status: int, *, code: str, detail: str, errors: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    """Build a problem document; `type` is a stable URN clients can switch on."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def flatten_errors(detail: Any, path: str = "") -> Iterator[dict[str, str]]:
    """Turn DRF's nested error detail into [{field, pointer, detail, code}], one entry per message."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from flatten_errors(value, f"{path}.{key}" if path else str(key))
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                yield _error_entry(path, item)
        else:
            for index, item in enumerate(detail):
                yield from flatten_errors(item, f"{path}[{index}]")
    else:
        yield _error_entry(path, detail)


def _error_entry(path: str, message: Any) -> dict[str, str]:
    field = "" if path == "non_field_errors" else path
    pointer = _pointer(field) if field else ""
    return {"field": field, "pointer": pointer, "detail": str(message), "code": getattr(message, "code", "invalid")}


def _pointer(field: str) -> str:
    """A JSON pointer (RFC 6901) to a field path such as `lines.0.quantity` or `lines[0].quantity`; a path that
    already starts with "/" (an XML element path) is given as it is."""
    if field.startswith("/"):
        return field
    return "/" + field.replace("[", "/").replace("]", "").replace(".", "/")


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error leaves the API as application/problem+json."""
    if isinstance(exc, ApplicationError):
        errors = [
            {
                "field": name,
                "pointer": _pointer(name) if name != "__all__" else "",
                "detail": str(text),
                "code": exc.code,
            }
            for name, texts in exc.errors.items()
            for text in texts
        ] or None
        response = _problem_response(problem(exc.status, code=exc.code, detail=exc.message, errors=errors, **exc.extra))
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's handler500 answers (in problem+json for /api/)
    if isinstance(exc, exceptions.ValidationError):
        body = problem(
            response.status_code,
            code="validation_failed",
            detail="The request is not valid; see `errors` for each field.",
            errors=list(flatten_errors(exc.detail)),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = problem(response.status_code, code=code if isinstance(code, str) else "error", detail=str(detail))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _problem_response(body: dict[str, Any]) -> Response:
    return Response(body, status=body["status"], content_type=PROBLEM_CONTENT_TYPE)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """404 for URLs under /api/ that match no endpoint."""
    return JsonResponse(
        problem(404, code="not_found", detail=f"No endpoint at {request.path}."),
        status=404,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def api_server_error(request: HttpRequest) -> JsonResponse:
    """500 under /api/: no traceback, the request id to quote."""
    request_id = getattr(request, "request_id", "")
    return JsonResponse(
        problem(
            500, code="server_error", detail="The server failed to answer; the error is logged.", request_id=request_id
        ),
        status=500,
        content_type=PROBLEM_CONTENT_TYPE,
    )
