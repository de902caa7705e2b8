"""Who is acting: one context helper that services, requests, commands and Celery tasks all use.

History rows take their actor (a user, an API client, or a named system process such as a task) and the
change reason from here, so a write is attributed no matter which door it came through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from p2p_portal.models import ApiClient


@dataclass(frozen=True)
class Actor:
    """The person, API client or system process a write is attributed to (ids, so it crosses task boundaries)."""

    user_id: int | None = None
    api_client_id: int | None = None
    label: str = ""

    @property
    def display(self) -> str:
        return self.label or "system"

    def as_header(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "api_client_id": self.api_client_id, "label": self.label}

    @classmethod
    def from_header(cls, header: dict[str, Any]) -> Actor:
        return cls(
            user_id=header.get("user_id"), api_client_id=header.get("api_client_id"), label=header.get("label", "")
        )


_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)
_reason: ContextVar[str | None] = ContextVar("audit_reason", default=None)


def actor_for(subject: Any) -> Actor:
    """Build the Actor for a user, an API client, an Actor, or a system process named by a string."""
    from p2p_portal.models import ApiClient

    if isinstance(subject, Actor):
        return subject
    if isinstance(subject, str):
        return Actor(label=subject)
    if isinstance(subject, ApiClient):
        return Actor(api_client_id=subject.pk, label=f"api client {subject.name}")
    if getattr(subject, "is_authenticated", False) and getattr(subject, "pk", None) is not None:
        return Actor(user_id=subject.pk, label=subject.get_username())
    raise TypeError(f"cannot act as {subject!r}: give a user, an ApiClient or a system process name")


@contextmanager
def acting_as(subject: Any, *, reason: str | None = None) -> Iterator[Actor]:
    """Attribute every audited write inside the block to `subject`, with an optional change reason."""
    actor = actor_for(subject)
    actor_token = _actor.set(actor)
    reason_token = _reason.set(reason) if reason is not None else None
    try:
        yield actor
    finally:
        _actor.reset(actor_token)
        if reason_token is not None:
            _reason.reset(reason_token)


@contextmanager
def change_reason(reason: str) -> Iterator[None]:
    """Record `reason` on every audited write inside the block (keeps the current actor)."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)


def current_actor() -> Actor | None:
    """The actor of the work in progress, if any."""
    return _actor.get()


def current_reason() -> str | None:
    """The change reason of the work in progress, if any."""
    return _reason.get()


def api_client_of(actor: Actor | None) -> ApiClient | None:
    """Load the API client an actor stands for (None for users and system processes)."""
    from p2p_portal.models import ApiClient

    if actor is None or actor.api_client_id is None:
        return None
    return ApiClient.objects.filter(pk=actor.api_client_id).first()
