"""Validators for identifiers the platform stores."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from stdnum import ean
from stdnum.exceptions import ValidationError as StdnumError


def validate_gln(value: str) -> None:
    """A GS1 Global Location Number: 13 digits whose last is the GS1 mod-10 check digit."""
    if len(value) != 13 or not value.isdigit():
        raise ValidationError("A GLN has exactly 13 digits.", code="gln_length")
    try:
        ean.validate(value)
    except StdnumError:
        raise ValidationError(
            "This GLN's check digit is wrong: check for a typing error.", code="gln_checksum"
        ) from None
