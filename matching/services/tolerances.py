"""Tolerance rules: the global default of DESIGN.md ensured, and every edit versioned and audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from matching.engine import ToleranceRule as RuleFacts
from matching.models import ToleranceRule, ToleranceScope
from matching.services._common import _save
from p2p_portal.errors import InvalidInputError

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
        raise InvalidInputError("Say why the tolerance changes.", code="reason_required", field="reason")
    if rule.pk is not None:
        before = ToleranceRule.objects.select_for_update().get(pk=rule.pk)
        if any(getattr(before, name) != getattr(rule, name) for name in LIMIT_FIELDS):
            rule.version = before.version + 1
    _save(rule, actor, reason)
    return rule


def tolerance_rule_facts(rules: Iterable[ToleranceRule]) -> list[RuleFacts]:
    """Rules as the match engine reads them."""
    return [
        RuleFacts(
            id=rule.pk,
            version=rule.version,
            scope=rule.scope,  # type: ignore[arg-type]
            facility_id=rule.facility_id,
            vendor_id=rule.vendor_id,
            category=rule.category,
            price_pct=rule.price_pct,
            price_abs=rule.price_abs,
            accept_lower_price=rule.accept_lower_price,
            qty_over_received=rule.qty_over_received,
            qty_over_ordered=rule.qty_over_ordered,
            header_total_abs=rule.header_total_abs,
        )
        for rule in rules
    ]
