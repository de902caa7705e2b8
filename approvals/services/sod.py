"""Segregation-of-duties configuration and evidence: conflict rules, the action ledger, blocked attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from approvals import registry
from approvals.models import (
    ApprovalRequest,
    BlockedAttempt,
    ConflictRule,
    LedgerEntry,
)
from approvals.services._common import _save
from p2p_portal.models import Facility


# --- SoD rules, the action ledger, blocked attempts ------------------------------------------------------
@transaction.atomic
def conflict_rule_save(*, actor: Any, rule: ConflictRule, reason: str = "") -> ConflictRule:
    """Create or change a conflict rule."""
    for code in rule.document_types:
        registry.get(code)
    _save(rule, actor, reason or f"conflict rule {rule.code} saved")
    return rule


@transaction.atomic
def ledger_entry_record(
    *,
    actor: Any,
    user: User,
    action: str,
    subject: str,
    facility: Facility | None = None,
    occurred_at: datetime | None = None,
) -> LedgerEntry:
    """Record that `user` did `action` to `subject` (consumers call this; conflict rules read it)."""
    entry = LedgerEntry(
        user=user, action=action, subject=subject, facility=facility, occurred_at=occurred_at or timezone.now()
    )
    _save(entry, actor, f"ledger: {action} {subject}")
    return entry


@transaction.atomic
def blocked_attempt_record(
    *, actor: User, request: ApprovalRequest, acting_for: User | None, decision: str, rule: str, message: str
) -> BlockedAttempt:
    """Keep the evidence of a refused decision for auditors."""
    attempt = BlockedAttempt(
        request=request,
        actor=actor,
        acting_for=acting_for,
        decision=decision,
        rule=rule,
        message=message,
        attempted_at=timezone.now(),
    )
    _save(attempt, actor, f"blocked by {rule}")
    return attempt
