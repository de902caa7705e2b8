"""ApplicationError: the one typed error services raise for a broken domain rule (SoD, state, authority)."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A request that breaks a rule of the domain; `code` is stable and public, `message` is for people."""

    status = 409

    def __init__(
        self,
        message: str,
        *,
        code: str,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.extra = extra or {}
        # Messages per input field, so forms and problem+json can show each where it belongs.
        self.errors = errors or ({field: [message]} if field else {})


class NotAllowedError(ApplicationError):
    """The actor may not do this (a rule of the domain, e.g. segregation of duties)."""

    status = 403


class InvalidInputError(ApplicationError):
    """The input breaks a rule only the service can check (e.g. the facility is not one of the client's)."""

    status = 422
