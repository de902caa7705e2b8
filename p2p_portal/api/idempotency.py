"""Idempotency-Key for create and transition POSTs: a retried request gets the first answer, byte for byte.

- same key, same request (method, path, body) after the first finished: the stored status and body are replayed;
- same key, different request: 422;
- same key while the first is still running: 409 with Retry-After;
- keys are private to their owner (a user or an API client) and kept IDEMPOTENCY_RETENTION_DAYS (>= 7).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request

from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.models import ApiClient, IdempotencyRecord

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as the IETF draft recommends


class IdempotencyConflictError(ApplicationError):
    """The first request with this key is still being processed."""

    status = 409


@dataclass(frozen=True)
class Claim:
    """What `idempotency_claim` found: a fresh record to fill, or the record of an earlier request."""

    record: IdempotencyRecord
    fresh: bool


def owner_of(principal: Any) -> str:
    """The namespace of a principal's keys: two clients with the same key never meet."""
    if isinstance(principal, ApiClient):
        return f"client:{principal.pk}"
    return f"user:{principal.pk}"


def fingerprint_of(request: Request) -> str:
    """SHA-256 over method, full path and raw body: what "the same request" means."""
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.get_full_path().encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def idempotency_claim(*, owner: str, key: str, fingerprint: str) -> Claim:
    """Insert the in-progress record for (owner, key), or return the one already there (committed at once)."""
    try:
        with transaction.atomic():
            return Claim(IdempotencyRecord.objects.create(owner=owner, key=key, fingerprint=fingerprint), fresh=True)
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().get(owner=owner, key=key)
        stale = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS)
        if (
            record.state == IdempotencyRecord.State.IN_PROGRESS
            and record.created_at < stale
            and record.fingerprint == fingerprint
        ):
            # The process that claimed it died mid-request: let this retry take over.
            record.created_at = timezone.now()
            record.save(update_fields=["created_at"])
            return Claim(record, fresh=True)
        return Claim(record, fresh=False)


def idempotency_complete(*, record: IdempotencyRecord, response: HttpResponse) -> None:
    """Store the finished response so that retries replay it."""
    record.state = IdempotencyRecord.State.COMPLETED
    record.response_status = response.status_code
    record.response_body = bytes(response.content)
    record.response_content_type = response.get("Content-Type", "")
    record.response_location = response.get("Location", "")
    record.completed_at = timezone.now()
    record.save(
        update_fields=[
            "state",
            "response_status",
            "response_body",
            "response_content_type",
            "response_location",
            "completed_at",
        ]
    )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a claim whose request failed on our side (5xx), so the client's retry runs again."""
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS).delete()


def idempotency_purge(*, older_than: timedelta | None = None) -> int:
    """Delete records past the retention period; returns how many went."""
    age = older_than or timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - age).delete()
    return deleted


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body), status=record.response_status, content_type=record.response_content_type
    )
    if record.response_location:
        response["Location"] = record.response_location
    response["Idempotent-Replayed"] = "true"
    return response


ViewMethod = Callable[..., HttpResponse]


def idempotent(view_method: ViewMethod) -> ViewMethod:
    """Decorate a DRF view method (create or a transition @action) to honour Idempotency-Key."""

    @functools.wraps(view_method)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        if not _KEY.match(key):
            raise InvalidInputError(
                f"{HEADER} must be 1 to 255 visible ASCII characters.", code="idempotency_key_invalid", field=HEADER
            )
        fingerprint = fingerprint_of(request)
        claim = idempotency_claim(owner=owner_of(request.user), key=key, fingerprint=fingerprint)
        record = claim.record
        if not claim.fresh:
            if record.fingerprint != fingerprint:
                raise InvalidInputError(
                    f"This {HEADER} was used for a different request; use a new key for a new request.",
                    code="idempotency_key_reused",
                )
            if record.state == IdempotencyRecord.State.IN_PROGRESS:
                raise IdempotencyConflictError(
                    "The first request with this key is still being processed; retry shortly.",
                    code="idempotency_in_progress",
                    extra={"retry_after": 1},
                )
            return _replay(record)
        try:
            answer: Any = view_method(view, request, *args, **kwargs)
        except Exception as error:
            try:
                answer = view.handle_exception(error)  # 4xx are answers too, and are replayed
            except Exception:
                idempotency_release(record=record)
                raise
        response: Any = view.finalize_response(request, answer, *args, **kwargs)
        response.render()
        if response.status_code >= 500:
            idempotency_release(record=record)
        else:
            idempotency_complete(record=record, response=response)
        return cast(HttpResponse, response)

    return wrapper
