"""Which tolerance rule judges a line or a header, and whether a unit price stays within it.

Scope chain, least to most specific: global -> facility -> vendor -> category. A rule applies only
when every key it carries matches what is looked up: its scope's own key (a facility rule's
facility, a vendor rule's vendor, a category rule's UNSPSC category) and, if set, the narrower keys
too (a category rule that also names a vendor applies to that vendor's items of that category only).
The applicable rule of the most specific scope wins; within one scope a rule carrying more keys wins;
after that the highest id, then the highest version (the newest rule) wins, so the choice never
depends on the order the rules were loaded in.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from matching.engine.facts import ToleranceRule

SCOPE_RANK: dict[str, int] = {"global": 0, "facility": 1, "vendor": 2, "category": 3}

# DESIGN.md "Default tolerances": 2 % and $100.00 extended (both must hold), lower price accepted,
# 0 over received, 0 over ordered, $0.05 on the header total.
DEFAULT_PRICE_PCT = Decimal("2")
DEFAULT_PRICE_ABS = Decimal("100.00")
DEFAULT_ACCEPT_LOWER_PRICE = True
DEFAULT_QTY_OVER_RECEIVED = Decimal("0")
DEFAULT_QTY_OVER_ORDERED = Decimal("0")
DEFAULT_HEADER_TOTAL_ABS = Decimal("0.05")

# Id 0 marks the built-in default, which the persistence layer seeds as the global rule.
DEFAULT_RULE = ToleranceRule(
    id=0,
    version=1,
    scope="global",
    facility_id=None,
    vendor_id=None,
    category="",
    price_pct=DEFAULT_PRICE_PCT,
    price_abs=DEFAULT_PRICE_ABS,
    accept_lower_price=DEFAULT_ACCEPT_LOWER_PRICE,
    qty_over_received=DEFAULT_QTY_OVER_RECEIVED,
    qty_over_ordered=DEFAULT_QTY_OVER_ORDERED,
    header_total_abs=DEFAULT_HEADER_TOTAL_ABS,
)


def _applies(rule: ToleranceRule, *, facility_id: int | None, vendor_id: int | None, category: str) -> bool:
    """Whether every key the rule carries matches the facility, vendor and category looked up."""
    if rule.facility_id is not None and rule.facility_id != facility_id:
        return False
    if rule.vendor_id is not None and rule.vendor_id != vendor_id:
        return False
    return not (rule.category and rule.category != category)


def _specificity(rule: ToleranceRule) -> tuple[int, int, int, int]:
    """Sort key: scope first, then how many keys narrow the rule, then the newest rule id and version."""
    keys_carried = (rule.facility_id is not None) + (rule.vendor_id is not None) + bool(rule.category)
    return (SCOPE_RANK[rule.scope], keys_carried, rule.id, rule.version)


def rule_for(
    rules: Sequence[ToleranceRule], *, facility_id: int | None, vendor_id: int | None, category: str
) -> ToleranceRule:
    """The most specific rule applying to this facility, vendor and item category; ValueError if none does."""
    applicable = [
        rule for rule in rules if _applies(rule, facility_id=facility_id, vendor_id=vendor_id, category=category)
    ]
    if not applicable:
        raise ValueError(
            f"No tolerance rule applies to facility {facility_id}, vendor {vendor_id}, "
            f"category {category or '(none)'}: a global rule must always be loaded"
        )
    return max(applicable, key=_specificity)


def price_exceeds(rule: ToleranceRule, *, variance: Decimal, percent: Decimal | None, extended: Decimal) -> bool:
    """Whether a unit-price variance breaks the rule; `percent` is None when the PO price is zero.

    A higher price passes only while BOTH the percentage and the extended amount stay within their
    limits (exactly at a limit passes). A lower price passes when the rule accepts lower prices;
    otherwise any difference at all counts.
    """
    if variance == 0:
        return False
    if variance < 0:
        return not rule.accept_lower_price
    if percent is None:  # any increase on a zero-priced PO line is infinitely many percent
        return True
    return percent > rule.price_pct or extended > rule.price_abs
