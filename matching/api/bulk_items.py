"""The bulk endpoint's per-item work without a DRF serializer per item: reading an item and writing its result.

`invoice_values` reads a well-formed item into exactly what `InvoiceInputSerializer` would return, and answers None
for anything it is not sure of (a wrong type, a value out of range, a number as a string, a blank): the caller then
runs the serializer, so every refusal is the serializer's own, field by field. `invoices_represented` writes what
`InvoiceSerializer` would, from three value queries instead of a model instance and two prefetches per invoice."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from matching.models import Invoice, InvoiceException, InvoiceLine

_MONEY = serializers.DecimalField(max_digits=14, decimal_places=2)
_QUANTITY = serializers.DecimalField(max_digits=14, decimal_places=4)
_DATE = serializers.DateField()
_MOMENT = serializers.DateTimeField()
_CURRENCY = re.compile(r"[A-Z]{3}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLAIN_NUMBER = re.compile(r"-?\d{1,20}(\.\d{1,20})?")
# What DRF's CharField refuses besides length (ProhibitNullCharacters / ProhibitSurrogateCharacters validators).
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
_DOCUMENT_TYPES = frozenset({"invoice", "credit_memo"})


class _UnsureError(Exception):
    """The item is not one the fast reader vouches for: the serializer reads it."""


def _text(item: dict[str, Any], name: str, max_length: int, *, blank: bool, default: str | None = None) -> str:
    """A CharField: stripped, blank only where allowed, within its length (missing: its default, or unsure)."""
    if name not in item:
        if default is None:
            raise _UnsureError
        return default
    value = item[name]
    if type(value) is not str:
        raise _UnsureError
    value = value.strip()
    if (not value and not blank) or len(value) > max_length or _UNSAFE_TEXT.search(value):
        raise _UnsureError
    return value


def _number(value: Any, field: serializers.DecimalField) -> Decimal:
    """A DecimalField with min_value 0, given as a plain decimal string or an int."""
    if type(value) is int:
        value = str(value)
    elif type(value) is not str or not _PLAIN_NUMBER.fullmatch(value):
        raise _UnsureError
    try:
        number: Decimal = field.to_internal_value(value)
    except serializers.ValidationError:
        raise _UnsureError from None
    if number < 0:
        raise _UnsureError
    return number


def _day(value: Any) -> date:
    """A DateField, given as YYYY-MM-DD."""
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        raise _UnsureError
    try:
        day: date = _DATE.to_internal_value(value)
    except serializers.ValidationError:
        raise _UnsureError from None
    return day


def _positive(value: Any) -> int:
    """An IntegerField with min_value 1, given as a JSON integer."""
    if type(value) is not int or value < 1:
        raise _UnsureError
    return value


def _line(item: Any) -> dict[str, Any]:
    """One line as InvoiceLineInputSerializer returns it."""
    if type(item) is not dict:
        raise _UnsureError
    po_line_number = item.get("po_line_number")
    try:
        values = {
            "line_number": _positive(item["line_number"]),
            "po_line_number": None if po_line_number is None else _positive(po_line_number),
            "item_code": _text(item, "item_code", 60, blank=True, default=""),
            "description": _text(item, "description", 300, blank=True, default=""),
            "quantity": _number(item["quantity"], _QUANTITY),
            "unit_of_measure": _text(item, "unit_of_measure", 10, blank=False, default="EA"),
            "unit_price": _number(item["unit_price"], _QUANTITY),
        }
        amount = item["amount"]
    except KeyError:
        raise _UnsureError from None
    # The amount alone may be negative (no min_value).
    if type(amount) is int:
        amount = str(amount)
    if type(amount) is not str or not _PLAIN_NUMBER.fullmatch(amount):
        raise _UnsureError
    try:
        values["amount"] = _MONEY.to_internal_value(amount)
    except serializers.ValidationError:
        raise _UnsureError from None
    return values


def _optional_money(item: dict[str, Any], name: str) -> Decimal | int:
    """tax_amount / freight_amount: default 0 (the int, as DRF returns a default) when missing."""
    return _number(item[name], _MONEY) if name in item else 0


def invoice_values(item: Any) -> dict[str, Any] | None:
    """The validated values of one bulk item as `InvoiceInputSerializer` returns them, or None when unsure."""
    if type(item) is not dict:
        return None
    try:
        document_type = item.get("document_type", "invoice")
        if type(document_type) is not str or document_type not in _DOCUMENT_TYPES:
            return None
        values: dict[str, Any] = {
            "document_type": document_type,
            "vendor": _text(item, "vendor", 12, blank=True, default=""),
            "invoice_number": _text(item, "invoice_number", 60, blank=False),
            "invoice_date": _day(item["invoice_date"]),
            "due_date": None if item.get("due_date") is None else _day(item["due_date"]),
            "currency": _text(item, "currency", 3, blank=False),
            "facility": _text(item, "facility", 20, blank=False),
            "po_number": _text(item, "po_number", 40, blank=True, default=""),
            "original_invoice_number": _text(item, "original_invoice_number", 60, blank=True, default=""),
            "cost_center": _text(item, "cost_center", 20, blank=True, default=""),
            "tax_amount": _optional_money(item, "tax_amount"),
            "freight_amount": _optional_money(item, "freight_amount"),
            "total_amount": _number(item["total_amount"], _MONEY),
        }
        if not _CURRENCY.fullmatch(values["currency"]):
            return None
        if "vendor_ref" in item:
            reference = item["vendor_ref"]
            if type(reference) is not dict:
                return None
            values["vendor_ref"] = {
                "system": _text(reference, "system", 30, blank=False),
                "id": _text(reference, "id", 100, blank=False),
            }
        lines = item["lines"]
        if type(lines) is not list or not lines:
            return None
        values["lines"] = [_line(line) for line in lines]
    except (_UnsureError, KeyError):
        return None
    numbers = [line["line_number"] for line in values["lines"]]
    if (not values["vendor"] and "vendor_ref" not in values) or len(set(numbers)) != len(numbers):
        return None
    return values


INVOICE_COLUMNS = (
    "pk", "document_type", "invoice_number", "invoice_date", "due_date", "status", "vendor__number",
    "vendor_reference", "facility__code", "currency", "po_number", "cost_center__code", "subtotal", "tax_amount",
    "freight_amount", "total_amount", "channel", "received_at",
)  # fmt: skip


def _or_none(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)


def invoices_represented(keys: Iterable[int]) -> dict[int, dict[str, Any]]:
    """`InvoiceSerializer(invoice).data` of each invoice, by key, read with three value queries."""
    keys = list(keys)
    exceptions: dict[int, list[dict[str, Any]]] = {key: [] for key in keys}
    for invoice_id, code, line, detail, state, rule, version, duplicate in (
        InvoiceException.objects.filter(invoice_id__in=keys)
        .order_by("invoice_id", "line_number", "code")
        .values_list("invoice_id", "code", "line_number", "detail", "state", "rule_id", "rule_version", "duplicate_of")
    ):
        exceptions[invoice_id].append(
            {
                "code": code,
                "line": line,
                "detail": detail,
                "state": state,
                "rule": rule,
                "rule_version": version,
                "duplicate_of": duplicate,
            }
        )
    lines: dict[int, list[dict[str, Any]]] = {key: [] for key in keys}
    for invoice_id, number, po_line, item_code, description, quantity, unit, price, amount in (
        InvoiceLine.objects.filter(invoice_id__in=keys)
        .order_by("invoice_id", "line_number")
        .values_list(
            "invoice_id", "line_number", "po_line_number", "item_code", "description", "quantity",
            "unit_of_measure", "unit_price", "amount",
        )
    ):  # fmt: skip
        lines[invoice_id].append(
            {
                "line_number": number,
                "po_line_number": po_line,
                "item_code": item_code,
                "description": description,
                "quantity": _QUANTITY.to_representation(quantity),
                "unit_of_measure": unit,
                "unit_price": _QUANTITY.to_representation(price),
                "amount": _MONEY.to_representation(amount),
            }
        )
    represented: dict[int, dict[str, Any]] = {}
    for row in Invoice.objects.filter(pk__in=keys).values_list(*INVOICE_COLUMNS):
        (key, kind, number, day, due, status, vendor, reference, facility, currency, po_number, cost_center) = row[:12]
        subtotal, tax, freight, total, channel, received_at = row[12:]
        represented[key] = {
            "id": key,
            "document_type": kind,
            "invoice_number": number,
            "invoice_date": _DATE.to_representation(day),
            "due_date": _or_none(_DATE.to_representation, due),
            "status": status,
            "vendor": vendor,
            "vendor_reference": reference,
            "facility": facility,
            "currency": currency,
            "po_number": po_number,
            "cost_center": cost_center,
            "subtotal": _MONEY.to_representation(subtotal),
            "tax_amount": _MONEY.to_representation(tax),
            "freight_amount": _MONEY.to_representation(freight),
            "total_amount": _MONEY.to_representation(total),
            "channel": channel,
            "received_at": _MOMENT.to_representation(received_at),
            "exceptions": exceptions[key],
            "lines": lines[key],
        }
    return represented
