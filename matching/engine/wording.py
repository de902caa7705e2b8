"""Figures as an AP clerk reads them in a finding: money to the cent, percentages to 0.01, rules by id and version.

Rounding happens only here, for display; every comparison the engine makes is on unrounded Decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from matching.engine.facts import ToleranceRule

CENT = Decimal("0.01")
# Unit prices of consumables often carry more than cents (0.0345 a glove); show up to four places.
UNIT_PRICE_MAX_PLACES = 4


def amount(value: Decimal) -> str:
    """Money rounded half-up to the cent: 1234.5 -> "1234.50"."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def money(value: Decimal, currency: str) -> str:
    """Money with its currency: "$100.00" for dollars, "100.00 EUR" otherwise."""
    if currency.strip().upper() == "USD":
        return f"${amount(value)}"
    return f"{amount(value)} {currency.strip().upper()}"


def unit_price(value: Decimal) -> str:
    """A unit price with at least cents and at most four places, so 0.0345 does not read as 0.03."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    places = min(max(places, 2), UNIT_PRICE_MAX_PLACES)
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def percent(value: Decimal) -> str:
    """A computed percentage rounded half-up to 0.01: "5.00"."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def plain(value: Decimal) -> str:
    """A quantity or a configured limit without trailing zeros or exponent: 12.500 -> "12.5", 1E+2 -> "100"."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def rule_label(rule: ToleranceRule) -> str:
    """How a finding names its rule: "rule #3 v2"."""
    return f"rule #{rule.id} v{rule.version}"
