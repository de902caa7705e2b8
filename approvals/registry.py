"""Document types that consumers route through approvals, registered from their `AppConfig.ready()`.

The engine knows documents only by a stable type code and a string id; everything it needs to route and
check a document comes from the consumer's `describe`, and everything that should happen when a request
ends goes back through the consumer's callbacks (called inside the deciding transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from p2p_portal.errors import InvalidInputError

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from approvals.models import ApprovalRequest
    from p2p_portal.models import CostCenter, Facility


@dataclass(frozen=True)
class DocumentFacts:
    """What the engine needs to know about a document to route it and check segregation of duties."""

    amount: Decimal
    currency: str
    facility: Facility
    risk_level: str
    summary: str
    requester: User | None = None
    cost_center: CostCenter | None = None
    created_by_id: int | None = None
    last_changed_by_id: int | None = None
    # Keys of what the document concerns (e.g. "vendor:42"), matched against the action ledger by conflict rules.
    subjects: tuple[str, ...] = field(default_factory=tuple)
    # People who must not approve this document besides its maker, with why (e.g. who made a call-back that
    # the approval relies on): (user id, "made the call-back").
    excluded_approvers: tuple[tuple[int, str], ...] = field(default_factory=tuple)


Callback = Callable[["ApprovalRequest"], None]


def _nothing(request: ApprovalRequest) -> None:
    return None


def _no_link(request: ApprovalRequest) -> str:
    return ""


@dataclass(frozen=True)
class DocumentType:
    """A consumer's document type: its stable code, label, how to load and describe one, and what to do at the end."""

    code: str
    label: str
    load: Callable[[str], Any]
    describe: Callable[[Any], DocumentFacts]
    on_approved: Callback = _nothing
    on_rejected: Callback = _nothing
    on_withdrawn: Callback = _nothing
    document_id: Callable[[Any], str] = lambda document: str(document.pk)
    # Called under the request's row lock before an approval counts; raises ApplicationError to refuse it
    # (e.g. a bank change without call-back evidence).
    before_approve: Callback = _nothing
    # Approving needs a fresh password proof (the browser and the API check it before calling the service).
    requires_reauthentication: bool = False
    # Where an approver reviews the whole document (shown in the inbox); empty when the summary says it all.
    review_url: Callable[[ApprovalRequest], str] = _no_link


_registry: dict[str, DocumentType] = {}


def register(document_type: DocumentType) -> DocumentType:
    """Register a document type (idempotent for the same code and label, so a repeated `ready()` is harmless)."""
    existing = _registry.get(document_type.code)
    if existing is not None and existing.label != document_type.label:
        raise ValueError(f"document type {document_type.code!r} is already registered as {existing.label!r}")
    _registry[document_type.code] = document_type
    return document_type


def unregister(code: str) -> None:
    """Remove a document type (tests use it to clean up)."""
    _registry.pop(code, None)


def get(code: str) -> DocumentType:
    """The registered document type with this code, or an error naming the code."""
    try:
        return _registry[code]
    except KeyError:
        raise InvalidInputError(
            f"No document type {code!r} is registered with approvals.", code="unknown_document_type"
        ) from None


def registered() -> list[DocumentType]:
    """Every registered document type, by code."""
    return [_registry[code] for code in sorted(_registry)]
