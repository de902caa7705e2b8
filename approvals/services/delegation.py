"""Delegation (out of office): created and revoked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from approvals import registry
from approvals.models import (
    Delegation,
)
from approvals.selectors import (
    may_manage,
)
from approvals.services._common import _save
from p2p_portal.errors import InvalidInputError, NotAllowedError
from p2p_portal.models import Facility, RoleAssignment
from p2p_portal.selectors import has_role_at


# --- Delegation ----------------------------------------------------------------------------------------
@transaction.atomic
def delegation_create(
    *,
    actor: User,
    delegator: User,
    delegate: User,
    starts_on: date,
    ends_on: date,
    reason: str,
    document_types: Sequence[str] = (),
    facility: Facility | None = None,
) -> Delegation:
    """Let `delegate` decide for `delegator` in a date range (the delegator, or a manager at the facility)."""
    if actor.pk != delegator.pk and not actor.is_superuser and not (facility and may_manage(actor, facility)):
        raise NotAllowedError(
            "Only the person going away, or a manager at the facility, can set up a delegation.",
            code="not_allowed_to_delegate",
        )
    if not reason.strip():
        raise InvalidInputError("Say why you delegate.", code="reason_required", field="reason")
    for code in document_types:
        registry.get(code)
    held = RoleAssignment.objects.filter(user=delegator)
    if facility is not None:
        held = held.filter(facility=facility)
    if not any(has_role_at(delegate, a.role, a.facility) for a in held.select_related("facility")):
        raise InvalidInputError(
            f"{delegate} holds none of {delegator}'s roles"
            f"{' at ' + facility.code if facility else ''}; a delegate must hold the role where they act.",
            code="delegate_lacks_role",
            field="delegate",
        )
    delegation = Delegation(
        delegator=delegator,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        document_types=sorted(set(document_types)),
        facility=facility,
    )
    _save(delegation, actor, f"delegation {delegator} → {delegate}: {reason}")
    return delegation


@transaction.atomic
def delegation_revoke(*, actor: User, delegation: Delegation, reason: str) -> Delegation:
    """End a delegation at once (the delegator, or a manager at its facility)."""
    if (
        actor.pk != delegation.delegator_id
        and not actor.is_superuser
        and not (delegation.facility and may_manage(actor, delegation.facility))
    ):
        raise NotAllowedError(
            "Only the delegator or a manager can revoke a delegation.", code="not_allowed_to_delegate"
        )
    if delegation.revoked_at is None:
        delegation.revoked_at = timezone.now()
        _save(delegation, actor, f"delegation revoked: {reason}")
    return delegation
