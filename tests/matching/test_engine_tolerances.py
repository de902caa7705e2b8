"""Tolerance rule selection (most specific wins) and the price-limit arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import permutations

import pytest

from matching.engine import ToleranceRule, rule_for
from matching.engine.tolerances import price_exceeds
from tests.matching.test_engine_facts import (
    FACILITY,
    GLOVES,
    OTHER_FACILITY,
    OTHER_VENDOR,
    SUTURES,
    VENDOR,
    invoice,
    invoice_line,
    po_line,
    purchase_order,
    rule,
    run,
)

GLOBAL = rule(id=1)
AT_FACILITY = rule(id=2, scope="facility", facility_id=FACILITY)
AT_OTHER_FACILITY = rule(id=3, scope="facility", facility_id=OTHER_FACILITY)
FOR_VENDOR = rule(id=4, scope="vendor", vendor_id=VENDOR)
FOR_OTHER_VENDOR = rule(id=5, scope="vendor", vendor_id=OTHER_VENDOR)
FOR_GLOVES = rule(id=6, scope="category", category=GLOVES)
FOR_SUTURES = rule(id=7, scope="category", category=SUTURES)
ALL_RULES = (GLOBAL, AT_FACILITY, AT_OTHER_FACILITY, FOR_VENDOR, FOR_OTHER_VENDOR, FOR_GLOVES, FOR_SUTURES)


def chosen(
    rules: Sequence[ToleranceRule], *, facility_id: int = FACILITY, vendor_id: int = VENDOR, category: str = GLOVES
) -> ToleranceRule:
    """The rule chosen for FACILITY, VENDOR and gloves unless told otherwise."""
    return rule_for(rules, facility_id=facility_id, vendor_id=vendor_id, category=category)


def test_the_global_rule_applies_when_nothing_more_specific_does() -> None:
    assert chosen([GLOBAL]) == GLOBAL
    assert chosen(ALL_RULES, facility_id=99, vendor_id=99, category="") == GLOBAL


def test_a_facility_rule_beats_the_global_rule_at_its_own_facility_only() -> None:
    assert chosen([GLOBAL, AT_FACILITY, AT_OTHER_FACILITY], category="") == AT_FACILITY
    assert chosen([GLOBAL, AT_OTHER_FACILITY], category="") == GLOBAL


def test_a_vendor_rule_beats_a_facility_rule_for_its_own_vendor_only() -> None:
    assert chosen([GLOBAL, AT_FACILITY, FOR_VENDOR], category="") == FOR_VENDOR
    assert chosen([GLOBAL, AT_FACILITY, FOR_OTHER_VENDOR], category="") == AT_FACILITY


def test_a_category_rule_is_the_most_specific_for_its_own_category_only() -> None:
    assert chosen(ALL_RULES, category=GLOVES) == FOR_GLOVES
    assert chosen(ALL_RULES, category=SUTURES) == FOR_SUTURES
    assert chosen(ALL_RULES, category="99999999") == FOR_VENDOR
    assert chosen(ALL_RULES, category="") == FOR_VENDOR


def test_the_choice_does_not_depend_on_the_order_rules_were_loaded_in() -> None:
    for loading_order in permutations(ALL_RULES):
        assert chosen(loading_order) == FOR_GLOVES


def test_a_category_rule_narrowed_to_a_vendor_applies_to_that_vendor_only_and_beats_the_plain_one() -> None:
    narrowed = rule(id=8, scope="category", category=GLOVES, vendor_id=VENDOR)
    assert chosen([GLOBAL, FOR_GLOVES, narrowed]) == narrowed
    assert chosen([GLOBAL, FOR_GLOVES, narrowed], vendor_id=OTHER_VENDOR) == FOR_GLOVES


def test_between_two_rules_of_one_scope_and_key_the_newest_wins() -> None:
    older = rule(id=4, version=1, scope="vendor", vendor_id=VENDOR)
    newer_version = rule(id=4, version=2, scope="vendor", vendor_id=VENDOR)
    newer_rule = rule(id=9, version=1, scope="vendor", vendor_id=VENDOR)
    assert chosen([GLOBAL, newer_version, older], category="") == newer_version
    assert chosen([GLOBAL, older, newer_rule, newer_version], category="") == newer_rule


def test_no_applicable_rule_is_an_error_naming_what_was_looked_up() -> None:
    with pytest.raises(ValueError, match=r"facility 3, vendor 7, category 42132203"):
        chosen([AT_OTHER_FACILITY, FOR_OTHER_VENDOR])
    with pytest.raises(ValueError, match=r"category \(none\)"):
        chosen([], category="")


def test_the_engine_judges_a_line_by_the_rule_of_its_po_line_category_and_names_it() -> None:
    strict_gloves = rule(id=3, version=2, scope="category", category=GLOVES, price_pct="0.5")
    rules = (GLOBAL, FOR_VENDOR, strict_gloves)
    po = purchase_order(
        po_line(id=101, line_number=1, category=GLOVES),
        po_line(id=102, line_number=2, category=SUTURES, item_code="SUT-1"),
    )
    # 1 % above on both lines: within the vendor rule's 2 %, beyond the glove rule's 0.5 %.
    document = invoice(
        invoice_line(line_number=1, po_line_number=1, unit_price="10.10"),
        invoice_line(line_number=2, po_line_number=2, item_code="SUT-1", unit_price="10.10"),
    )
    result = run(document, po, rules)
    assert [(f.code, f.line_number, f.rule_id, f.rule_version) for f in result.findings] == [
        ("price_variance", 1, 3, 2)
    ]
    assert "rule #3 v2" in result.findings[0].detail
    assert [(line.rule_id, line.rule_version) for line in result.lines] == [(3, 2), (4, 1)]


def test_the_header_total_is_judged_by_the_rule_chosen_without_a_category() -> None:
    loose_gloves = rule(id=6, scope="category", category=GLOVES, header_total_abs="5.00")
    tight_vendor = rule(id=4, version=3, scope="vendor", vendor_id=VENDOR, header_total_abs="0.01")
    result = run(invoice(total_amount="100.02"), purchase_order(), (GLOBAL, tight_vendor, loose_gloves))
    [finding] = result.findings
    assert (finding.code, finding.rule_id, finding.rule_version) == ("total_mismatch", 4, 3)


def test_an_unknown_invoice_vendor_is_judged_by_the_po_vendors_rule() -> None:
    loose_vendor = rule(id=4, scope="vendor", vendor_id=VENDOR, price_pct=50, price_abs=1000)
    result = run(invoice(invoice_line(unit_price="12.00"), vendor_id=None), purchase_order(), (GLOBAL, loose_vendor))
    assert result.codes == ("vendor_unknown",)
    assert result.lines[0].rule_id == 4


@pytest.mark.parametrize(
    ("variance", "percent", "extended", "exceeds"),
    [
        ("0", "0", "0", False),
        ("0.20", "2", "100.00", False),  # both exactly at their limits
        ("0.20", "2.01", "50", True),  # percentage just above
        ("0.20", "1", "100.01", True),  # extended just above
        ("-5", "-50", "-5000", False),  # lower price, accepted
        ("1", None, "10", True),  # any increase on a zero-priced line
    ],
)
def test_price_limits(variance: str, percent: str | None, extended: str, exceeds: bool) -> None:
    assert (
        price_exceeds(
            GLOBAL,
            variance=Decimal(variance),
            percent=Decimal(percent) if percent is not None else None,
            extended=Decimal(extended),
        )
        is exceeds
    )


def test_a_lower_price_counts_when_the_rule_does_not_accept_it() -> None:
    strict = rule(accept_lower_price=False)
    assert price_exceeds(strict, variance=Decimal("-0.01"), percent=Decimal("-0.1"), extended=Decimal("-0.1"))
    assert not price_exceeds(strict, variance=Decimal(0), percent=Decimal(0), extended=Decimal(0))
