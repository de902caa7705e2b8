"""The matching records refuse what cannot be true, whoever writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from matching.models import ToleranceRule, ToleranceScope
from tests.vendors.factories import make_vendor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("scope", "keys", "valid"),
    [
        (ToleranceScope.GLOBAL, {}, True),
        (ToleranceScope.GLOBAL, {"category": "42000000"}, False),
        (ToleranceScope.FACILITY, {}, False),
        (ToleranceScope.FACILITY, {"facility": True}, True),
        (ToleranceScope.VENDOR, {"vendor": True}, True),
        (ToleranceScope.VENDOR, {}, False),
        (ToleranceScope.CATEGORY, {"category": "42131600"}, True),
        (ToleranceScope.CATEGORY, {}, False),
    ],
)
def test_a_tolerance_rule_names_exactly_what_its_scope_needs(north, scope, keys, valid) -> None:
    rule = ToleranceRule(
        name="rule",
        scope=scope,
        facility=north if keys.get("facility") else None,
        vendor=make_vendor() if keys.get("vendor") else None,
        category=keys.get("category", ""),
    )
    if valid:
        rule.full_clean()
    else:
        with pytest.raises(ValidationError):
            rule.full_clean()


def test_the_default_limits_are_those_of_design_md() -> None:
    rule = ToleranceRule(name="global", scope=ToleranceScope.GLOBAL)
    assert (rule.price_pct, rule.price_abs, rule.accept_lower_price) == (Decimal("2.00"), Decimal("100.00"), True)
    assert (rule.qty_over_received, rule.qty_over_ordered, rule.header_total_abs) == (
        Decimal(0),
        Decimal(0),
        Decimal("0.05"),
    )
