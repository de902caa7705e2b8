"""Policies and their steps: created, changed and versioned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from approvals import registry
from approvals.models import (
    Policy,
    PolicyStep,
)
from approvals.services._common import _save
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import InvalidInputError
from p2p_portal.models import CostCenter, Facility
from p2p_portal.roles import Role


# --- Policies ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StepSpec:
    """One step to create: a role (at the document's facility) or a user, and how many distinct approvers."""

    role: Role | str = ""
    user: User | None = None
    approvals_required: int = 1


@transaction.atomic
def policy_create(
    *,
    actor: Any,
    name: str,
    document_type: str,
    steps: Sequence[StepSpec],
    facility: Facility | None = None,
    cost_center: CostCenter | None = None,
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
    risk_level: str = "",
    active: bool = True,
) -> Policy:
    """Create a policy (version 1) with its ordered steps."""
    if not steps:
        raise InvalidInputError("A policy needs at least one step.", code="policy_without_steps", field="steps")
    policy = Policy(
        name=name,
        document_type=document_type,
        facility=facility or (cost_center.facility if cost_center else None),
        cost_center=cost_center,
        min_amount=min_amount,
        max_amount=max_amount,
        risk_level=risk_level,
        active=active,
    )
    _check_policy(policy)
    _save(policy, actor, f"policy {name} created")
    for position, spec in enumerate(steps, start=1):
        step = PolicyStep(
            policy=policy,
            position=position,
            role=str(spec.role),
            user=spec.user,
            approvals_required=spec.approvals_required,
        )
        _save(step, actor, f"policy {name} step {position} created")
    return policy


def _check_policy(policy: Policy) -> None:
    registry.get(policy.document_type)
    if policy.cost_center_id and policy.facility_id and policy.cost_center.facility_id != policy.facility_id:  # type: ignore[union-attr]
        raise InvalidInputError(
            "The cost center belongs to another facility.", code="cost_center_not_at_facility", field="cost_center"
        )


def _bump_version(actor: Any, policy: Policy, reason: str) -> None:
    locked = Policy.objects.select_for_update().get(pk=policy.pk)
    locked.version += 1
    _save(locked, actor, reason)
    policy.version = locked.version


@transaction.atomic
def policy_save(*, actor: Any, policy: Policy, reason: str = "") -> Policy:
    """Save a new or edited policy (the admin's door); every change of an existing policy bumps its version."""
    if policy.cost_center_id and not policy.facility_id:
        policy.facility = policy.cost_center.facility  # type: ignore[union-attr]
    _check_policy(policy)
    if policy.pk is not None:
        policy.version = Policy.objects.select_for_update().values_list("version", flat=True).get(pk=policy.pk) + 1
    _save(policy, actor, reason or f"policy {policy.name} saved")
    return policy


@transaction.atomic
def policy_step_save(*, actor: Any, step: PolicyStep, reason: str = "") -> PolicyStep:
    """Add or change a step; the policy's version is bumped so requests show which version routed them."""
    _save(step, actor, reason or f"policy {step.policy.name} step {step.position} saved")
    _bump_version(actor, step.policy, f"policy {step.policy.name} steps changed")
    return step


@transaction.atomic
def policy_step_delete(*, actor: Any, step: PolicyStep, reason: str = "") -> None:
    """Remove a step; the policy's version is bumped."""
    policy = step.policy
    with acting_as(actor, reason=reason or f"policy {policy.name} step {step.position} removed"):
        step.delete()
    _bump_version(actor, policy, f"policy {policy.name} steps changed")
