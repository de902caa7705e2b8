"""The duplicate-invoice rule at each of its boundaries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.duplicates import InvoiceKey, duplicate_of, invoice_number_normalise

DAY = date(2026, 11, 2)


def key(
    number: str,
    *,
    invoice_id: int | None = None,
    vendor: int | None = 7,
    kind: str = "invoice",
    total: str = "100.00",
    day: date = DAY,
    status: str = "approved",
) -> InvoiceKey:
    return InvoiceKey(invoice_id, vendor, kind, invoice_number_normalise(number), Decimal(total), day, status, number)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("INV-001042", "inv001042"),
        ("inv 1042", "inv1042"),
        ("0001042", "1042"),
        ("  1042 ", "1042"),
        ("00", "0"),
        ("", ""),
    ],
)
def test_invoice_numbers_normalise_case_spaces_punctuation_and_leading_zeros(written: str, normalised: str) -> None:
    assert invoice_number_normalise(written) == normalised


def test_the_same_number_written_differently_is_a_duplicate() -> None:
    found = duplicate_of(key("00-1042", invoice_id=None), [key("1042", invoice_id=1)])
    assert found is not None
    assert found.invoice_id == 1
    assert "invoice number as 1042" in found.reason


def test_another_vendor_a_dead_invoice_or_a_credit_memo_is_not_a_duplicate() -> None:
    incoming = key("1042")
    assert duplicate_of(incoming, [key("1042", invoice_id=1, vendor=8)]) is None
    assert duplicate_of(incoming, [key("1042", invoice_id=1, status="rejected")]) is None
    assert duplicate_of(incoming, [key("1042", invoice_id=1, status="cancelled")]) is None
    assert duplicate_of(key("1042", kind="credit_memo"), [key("1042", invoice_id=1)]) is None
    assert duplicate_of(key("1042", vendor=None), [key("1042", invoice_id=1, vendor=None)]) is None


def test_one_edit_apart_with_the_same_total_within_seven_days_is_a_duplicate() -> None:
    assert duplicate_of(key("10042"), [key("1042", invoice_id=1, day=DAY + timedelta(days=7))]) is not None
    assert duplicate_of(key("1043"), [key("1042", invoice_id=1)]) is not None


@pytest.mark.parametrize(
    ("number", "total", "days"),
    [("1042", "100.01", 0), ("1042", "100.00", 8), ("1024", "100.00", 0)],  # other total / 8 days / two edits
)
def test_the_near_rule_stops_at_its_boundaries(number: str, total: str, days: int) -> None:
    assert duplicate_of(key("1043", total=total, day=DAY + timedelta(days=days)), [key(number, invoice_id=1)]) is None


def test_an_exact_number_wins_over_a_near_one() -> None:
    found = duplicate_of(key("1042"), [key("1043", invoice_id=1), key("1042", invoice_id=2)])
    assert found is not None
    assert found.invoice_id == 2


def test_an_invoice_is_not_its_own_duplicate() -> None:
    assert duplicate_of(key("1042", invoice_id=1), [key("1042", invoice_id=1)]) is None


@given(st.text(max_size=30))
def test_normalising_twice_changes_nothing(number: str) -> None:
    once = invoice_number_normalise(number)
    assert invoice_number_normalise(once) == once
