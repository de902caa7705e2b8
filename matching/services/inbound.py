"""Inbound documents: every body kept raw, with its hash, channel and sender, before it is read; its outcome (accepted,
rejected with the errors) written afterwards, so nothing sent to us is ever lost and any can be re-processed."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction

from matching.models import InboundDocument
from matching.services._common import _save


def inbound_document_record(
    *,
    principal: Any,
    channel: str,
    content_type: str,
    raw: bytes,
    idempotency_key: str = "",
    keep_bytes: int | None = None,
) -> InboundDocument:
    """Keep a document exactly as it arrived, in its own transaction, before anything is parsed: whatever
    happens next, it is not lost and can be re-processed. Only an oversized body is cut at `keep_bytes` (its size
    and the hash of the whole body are kept, so the sender can be shown what was refused)."""
    from p2p_portal.api.permissions import is_api_client

    document = InboundDocument(
        channel=channel,
        content_type=content_type[:100],
        api_client=principal if is_api_client(principal) else None,
        user=principal if not is_api_client(principal) and getattr(principal, "pk", None) else None,
        idempotency_key=idempotency_key[:255],
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        raw=raw[:keep_bytes] if keep_bytes is not None else raw,
    )
    with transaction.atomic():
        _save(document, principal, f"inbound {channel} document")
    return document


def inbound_document_outcome(
    *, actor: Any, document: InboundDocument, outcome: str, errors: list[dict[str, str]] | None = None
) -> InboundDocument:
    """Record what became of an inbound document (accepted, rejected with its errors, failed)."""
    document.outcome = outcome
    document.errors = errors or []
    with transaction.atomic():
        _save(document, actor, f"inbound document {outcome}")
    return document
