"""`plainly_valid` vouches only for rows that `full_clean` passes, and leaves their values as full_clean would."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.models import Channel, Invoice, InvoiceLine, InvoiceStatus
from matching.services.intake import INVOICE_CHECKED_ELSEWHERE, LINE_CHECKED_ELSEWHERE
from matching.services.row_checks import plainly_valid

ODD_VALUES: list[Any] = [
    None, "", " ", "x", "x" * 3, "x" * 4, "x" * 61, "USD", "bad\x00", "invoice", "credit_memo", "received", "bulk",
    "api_json", "nope", InvoiceStatus.RECEIVED, Channel.BULK,
    0, 1, -1, 2147483648, True, 1.5, Decimal("1.005"), Decimal("-1"), Decimal("NaN"),
    Decimal("123456789012.34"), Decimal("1234567890123.4"), Decimal("10.0000"), date(2026, 11, 10),
    datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 10), {}, {"number": "V-1"}, {"n": 1}, [], "2026-11-10",
]  # fmt: skip
INVOICE = {
    "document_type": "invoice", "vendor_reference": {"number": "V-000001"}, "invoice_number": "INV-1",
    "invoice_number_normalised": "inv1", "invoice_date": date(2026, 11, 10), "due_date": None, "currency": "USD",
    "po_number": "PO-1", "subtotal": Decimal("100.00"), "tax_amount": 0, "freight_amount": Decimal("0.00"),
    "total_amount": Decimal("100.00"), "status": "received", "channel": "bulk",
}  # fmt: skip
LINE = {
    "line_number": 1, "po_line_number": 1, "item_code": "GL-1", "description": "Gloves", "quantity": Decimal("10"),
    "unit_of_measure": "EA", "unit_price": Decimal("10.0000"), "amount": Decimal("100.00"),
}  # fmt: skip


def _agrees(model: type[Invoice] | type[InvoiceLine], values: dict[str, Any], exclude: frozenset[str]) -> bool:
    """Whether the fast check vouched, after checking it against full_clean."""
    fast, slow = model(**values), model(**copy.deepcopy(values))
    vouched = plainly_valid(fast, exclude)
    if vouched:
        try:
            slow.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            pytest.fail(f"vouched for a row full_clean refuses: {values} {error}")
        for field in model._meta.concrete_fields:
            mine, theirs = getattr(fast, field.attname), getattr(slow, field.attname)
            assert (mine, type(mine)) == (theirs, type(theirs)), field.name
    return vouched


def test_plain_rows_are_vouched_for() -> None:
    assert _agrees(Invoice, INVOICE, INVOICE_CHECKED_ELSEWHERE)
    assert _agrees(InvoiceLine, LINE, LINE_CHECKED_ELSEWHERE)


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
@pytest.mark.parametrize("name", [*INVOICE, *LINE])
def test_any_value_of_any_field(name: str, odd: Any) -> None:
    if name in INVOICE:
        _agrees(Invoice, {**INVOICE, name: odd}, INVOICE_CHECKED_ELSEWHERE)
    if name in LINE:
        _agrees(InvoiceLine, {**LINE, name: odd}, LINE_CHECKED_ELSEWHERE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    invoice=st.dictionaries(st.sampled_from(list(INVOICE)), st.sampled_from(ODD_VALUES), max_size=4),
    line=st.dictionaries(st.sampled_from(list(LINE)), st.sampled_from(ODD_VALUES), max_size=4),
)
def test_any_mix_of_values(invoice: dict[str, Any], line: dict[str, Any]) -> None:
    _agrees(Invoice, {**INVOICE, **invoice}, INVOICE_CHECKED_ELSEWHERE)
    _agrees(InvoiceLine, {**LINE, **line}, LINE_CHECKED_ELSEWHERE)
