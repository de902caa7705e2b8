"""Errors every connector client raises: each says whether trying again can help, and when."""

from __future__ import annotations


class ConnectorError(Exception):
    """A call to an external system failed; `retryable` says whether the same call may succeed later."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class TransientError(ConnectorError):
    """Timeouts, resets, 5xx: the system may answer next time."""

    retryable = True


class RateLimitedError(TransientError):
    """429: the system asks us to wait `retry_after` seconds before the next call."""


class AuthenticationError(ConnectorError):
    """Credentials refused: nothing changes until someone fixes the configuration."""


class PermanentError(ConnectorError):
    """The system refused the request itself (4xx, a domain error): the same call fails again."""


class MalformedRecordError(PermanentError):
    """A record the system sent cannot be read; it goes to the dead letters with its payload."""
