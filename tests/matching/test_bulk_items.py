"""The bulk endpoint's hand-written reader and writer agree with the DRF serializers they stand in for: an item is
read into exactly the serializer's values (or left to the serializer, whose errors are then the answer), and each
result carries exactly what `InvoiceSerializer` says of the stored invoice."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.api.bulk_items import invoice_values, invoices_represented
from matching.api.serializers import InvoiceInputSerializer, InvoiceSerializer
from matching.models import Invoice
from p2p_portal.roles import Scope
from tests.factories import make_api_client

GOOD: dict[str, Any] = {
    "vendor": "V-000001",
    "invoice_number": "INV-9001",
    "invoice_date": "2026-11-10",
    "currency": "USD",
    "facility": "NORTH",
    "po_number": "PO-100",
    "tax_amount": "0",
    "freight_amount": "0",
    "total_amount": "100.00",
    "lines": [
        {
            "line_number": 1,
            "po_line_number": 1,
            "item_code": "GL-100",
            "description": "Nitrile gloves",
            "quantity": "10",
            "unit_of_measure": "EA",
            "unit_price": "10.00",
            "amount": "100.00",
        },
    ],
}
# Values that DRF accepts, refuses or converts, for any field of the header or of a line.
ODD_VALUES: list[Any] = [
    None, "", "  ", " padded ", 0, 1, -1, 7, 1.5, True, "1", "-1", "0", "abc", "10.12345", "1e3", "NaN", "Infinity",
    "123456789012.34", "1234567890123.4", "99999999999999", "2026-02-30", "2026-11-10", "2026-11-10T10:00:00",
    "10/11/2026", "usd", "USD", "EUR\n", "x" * 13, "x" * 61, "x" * 301, "bad\x00byte", [], {}, ["a"], {"a": 1},
    "credit_memo", "invoice", "note", {"system": "ariba", "id": "AN-1"}, {"system": "", "id": "1"}, "\ud800",
]  # fmt: skip
HEADER_FIELDS = [*GOOD, "document_type", "due_date", "vendor_ref", "original_invoice_number", "cost_center"]
LINE_FIELDS = [*GOOD["lines"][0]]


def _serializer_values(item: Any) -> tuple[bool, Any]:
    """What InvoiceInputSerializer makes of an item: (valid, values or errors), values as plain data."""
    serializer = InvoiceInputSerializer(data=item)
    if serializer.is_valid():
        return True, json.loads(json.dumps(serializer.validated_data, default=repr))
    return False, serializer.errors


def _agrees(item: Any) -> dict[str, Any] | None:
    """The fast reader's values, after checking them against the serializer's."""
    values = invoice_values(item)
    if values is not None:
        valid, expected = _serializer_values(item)
        assert valid, (item, expected)
        assert json.loads(json.dumps(values, default=repr)) == expected, item
        for name in ("tax_amount", "freight_amount", "total_amount"):  # types too: a default 0 stays an int
            assert type(values[name]) is type(InvoiceInputSerializer(data=item).run_validation(item)[name])
    return values


def test_a_well_formed_item_is_read_by_hand_with_the_serializers_values() -> None:
    assert _agrees(GOOD) is not None
    assert _agrees({**GOOD, "vendor": "", "vendor_ref": {"system": "ariba", "id": "AN-1"}}) is not None
    assert _agrees({key: value for key, value in GOOD.items() if key not in ("tax_amount", "freight_amount")})
    assert _agrees({**GOOD, "document_type": "credit_memo", "due_date": None, "lines": [{**GOOD["lines"][0]}] * 1})


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_any_header_value_is_read_as_the_serializer_reads_it(field: str, odd: Any) -> None:
    _agrees({**GOOD, field: odd})
    _agrees({key: value for key, value in GOOD.items() if key != field})


@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
@pytest.mark.parametrize("field", LINE_FIELDS)
def test_any_line_value_is_read_as_the_serializer_reads_it(field: str, odd: Any) -> None:
    line = {**GOOD["lines"][0], field: odd}
    _agrees({**GOOD, "lines": [line]})
    _agrees({**GOOD, "lines": [GOOD["lines"][0], {**line, "line_number": 2}]})
    _agrees({**GOOD, "lines": [{key: value for key, value in GOOD["lines"][0].items() if key != field}]})


def test_a_repeated_line_number_or_no_vendor_is_left_to_the_serializer() -> None:
    assert invoice_values({**GOOD, "lines": GOOD["lines"] * 2}) is None
    assert invoice_values({**GOOD, "vendor": ""}) is None
    assert invoice_values({**GOOD, "lines": []}) is None
    assert invoice_values("not an object") is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.dictionaries(st.sampled_from(HEADER_FIELDS), st.sampled_from(ODD_VALUES), max_size=3),
    line_changes=st.dictionaries(st.sampled_from(LINE_FIELDS), st.sampled_from(ODD_VALUES), max_size=3),
)
def test_any_mix_of_values_is_read_as_the_serializer_reads_it(
    changes: dict[str, Any], line_changes: dict[str, Any]
) -> None:
    item = copy.deepcopy(GOOD)
    item.update(changes)
    if isinstance(item.get("lines"), list) and item["lines"] and isinstance(item["lines"][0], dict):
        item["lines"][0].update(line_changes)
    _agrees(item)


@pytest.mark.django_db
def test_bulk_results_are_what_the_invoice_serializer_says_of_each_stored_invoice(north, supplier, order) -> None:
    client = make_api_client("bulk-client", [Scope.INVOICES_WRITE, Scope.INVOICES_READ], north)
    line = {**GOOD["lines"][0], "po_line_number": 1}
    items = [
        {**GOOD, "vendor": supplier.number, "invoice_number": "R-1", "lines": [line]},
        {**GOOD, "vendor": supplier.number, "invoice_number": "R-1"},  # a duplicate of the first
        {**GOOD, "vendor": "", "vendor_ref": {"system": "nowhere", "id": "X-1"}, "invoice_number": "R-2"},
        {**GOOD, "vendor": supplier.number, "invoice_number": "R-3", "po_number": "", "total_amount": "100.00"},
        {
            **GOOD,
            "vendor": supplier.number,
            "invoice_number": "R-4",
            "total_amount": "150.05",
            "due_date": "2026-12-01",
        },
        {
            **GOOD,
            "vendor": supplier.number,
            "invoice_number": "CM-1",
            "document_type": "credit_memo",
            "original_invoice_number": "R-1",
            "lines": [{**line, "unit_price": "10.50", "amount": "105.00"}, {**line, "line_number": 2}],
            "total_amount": "205.00",
        },
        {**GOOD, "vendor": supplier.number, "invoice_number": "R-5", "total_amount": "abc"},
    ]
    response = Client().post(
        "/api/v1/invoices/bulk/", json.dumps({"invoices": items}), content_type="application/json", **client.headers
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [result["status"] for result in results] == ["created"] * 6 + ["rejected"]
    assert any(result["invoice"]["exceptions"] for result in results if "invoice" in result)
    for result in results:
        if result["status"] != "created":
            continue
        stored = (
            Invoice.objects.select_related("facility", "vendor", "cost_center")
            .prefetch_related("exceptions", "lines")
            .get(pk=result["invoice"]["id"])
        )
        assert result["invoice"] == json.loads(json.dumps(InvoiceSerializer(stored).data))
    represented = invoices_represented([results[0]["invoice"]["id"]])
    assert list(represented[results[0]["invoice"]["id"]]) == list(InvoiceSerializer().fields)  # in the same order
