"""Tolerance rules: the global default of DESIGN.md ensured, and every edit versioned and audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from matching.models import ToleranceRule, ToleranceScope
from matching.services._common import _save

DEFAULT_ACTOR = "system: matching defaults"
# Fields whose change makes a new version (every judgement records the version it used).
LIMIT_FIELDS = (
    "scope",
    "facility_id",
    "vendor_id",
    "category",
    "price_pct",
    "price_abs",
    "accept_lower_price",
    "qty_over_received",
    "qty_over_ordered",
    "header_total_abs",
    "active",
)


@transaction.atomic
def tolerance_rule_default_ensure() -> ToleranceRule:
    """The active global rule, created with the limits of DESIGN.md when there is none."""
    rule = ToleranceRule.objects.filter(scope=ToleranceScope.GLOBAL, active=True).order_by("pk").first()
    if rule is None:
        rule = ToleranceRule(name="Network default (DESIGN.md)", scope=ToleranceScope.GLOBAL)
        _save(rule, DEFAULT_ACTOR, "default tolerance rule")
    return rule


@transaction.atomic
def tolerance_rule_save(*, actor: Any, rule: ToleranceRule, reason: str) -> ToleranceRule:
    """Create a rule or save a change to one; a change of scope or limits makes a new version."""
    if not reason.strip():
        from p2p_portal.errors import InvalidInputError

        raise InvalidInputError("Say why the tolerance changes.", code="reason_required", field="reason")
    if rule.pk is not None:
        before = ToleranceRule.objects.select_for_update().get(pk=rule.pk)
        if any(getattr(before, name) != getattr(rule, name) for name in LIMIT_FIELDS):
            rule.version = before.version + 1
    _save(rule, actor, reason)
    return rule
