"""A fast stand-in for `Model.full_clean()` on rows that plainly pass it: intake checks every invoice and line it
stores, and Django's field-by-field cleaning cost more than storing them. A row this module is not sure of is left to
`full_clean`, so every refusal (and its message) is Django's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.validators import DecimalValidator
from django.db import models

Check = Callable[[Any], "Any | _Unsure"]
Plan = tuple[tuple["models.Field[Any, Any]", Check], ...]
INTEGER_MAX = 2147483647  # PostgreSQL integer (Django adds this range validator to integer fields)


class _Unsure:
    """A value the fast check does not vouch for."""


UNSURE = _Unsure()


def _text(field: models.Field[Any, Any]) -> Check:
    choices = {str(value) for value, _label in field.flatchoices} if field.choices else None
    limit = field.max_length

    def check(value: Any) -> Any:
        if not isinstance(value, str) or "\x00" in value or not value:  # a TextChoices member is a str
            return UNSURE
        if (limit is not None and len(value) > limit) or (choices is not None and value not in choices):
            return UNSURE
        return value

    return check


def _decimal(field: models.DecimalField[Any, Any]) -> Check:
    validator = DecimalValidator(field.max_digits, field.decimal_places)

    def check(value: Any) -> Any:
        if type(value) is int:
            value = Decimal(value)  # what to_python makes of it
        elif type(value) is not Decimal:
            return UNSURE
        if not value.is_finite():
            return UNSURE
        try:
            validator(value)
        except Exception:
            return UNSURE
        return value

    return check


def _positive(value: Any) -> Any:
    return value if type(value) is int and 0 <= value <= INTEGER_MAX else UNSURE


def _day(value: Any) -> Any:
    return value if type(value) is date else UNSURE


def _moment(value: Any) -> Any:
    return value if type(value) is datetime and value.tzinfo is not None else UNSURE


def _mapping(value: Any) -> Any:
    # A JSON object of strings (how intake keeps a vendor reference) always serialises.
    if type(value) is dict and all(type(key) is str and type(item) is str for key, item in value.items()):
        return value
    return UNSURE


def _field_check(field: models.Field[Any, Any]) -> Check | None:
    """The fast check of a field, or None when it has no plain one (custom validators, other types)."""
    if field._validators:  # type: ignore[attr-defined]
        return None
    if isinstance(field, models.CharField):
        return _text(field)
    if isinstance(field, models.DecimalField):
        return _decimal(field)
    if isinstance(field, models.PositiveIntegerField) and not field.choices:
        return _positive
    if isinstance(field, models.DateTimeField) and not field.choices:
        return _moment
    if isinstance(field, models.DateField) and not field.choices:
        return _day
    if isinstance(field, models.JSONField) and not field.choices:
        return _mapping
    return None


@cache
def _plan(
    model: type[models.Model], exclude: frozenset[str]
) -> tuple[tuple[models.Field[Any, Any], Check], ...] | None:
    """The fields full_clean would clean (as `clean_fields` picks them) with their checks; None when one has none."""
    plan = []
    for field in model._meta.fields:
        if field.name in exclude or field.generated:
            continue
        check = _field_check(field)
        if check is None and not (field.primary_key and field.blank):
            return None
        plan.append((field, check or (lambda value: UNSURE)))
    return tuple(plan)


def plainly_valid(instance: models.Model, exclude: frozenset[str]) -> bool:
    """True when `full_clean(exclude=..., validate_unique=False, validate_constraints=False)` would pass, with the
    values as full_clean leaves them (an int in a decimal field becomes its Decimal); False: call full_clean."""
    plan = _plan(type(instance), exclude)
    if plan is None:
        return False
    cleaned = []
    for field, check in plan:
        value = getattr(instance, field.attname)
        if field.blank and value in field.empty_values:
            continue
        value = check(value)
        if value is UNSURE:
            return False
        cleaned.append((field.attname, value))
    for name, value in cleaned:
        setattr(instance, name, value)
    return True
