"""Identifiers of the golden record, validated and normalised: tax ids (python-stdnum), bank routing (ABA
checksum via stdnum) and IBAN/BIC (schwifty). Each check raises ValidationError with a message a steward can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein, rtn, ssn

from vendors.models import TaxIdKind


def tax_id_normalise(value: str, kind: str) -> str:
    """The stored form of a tax id (digits; VAT with its country prefix), or ValidationError naming the kind."""
    value = value.strip()
    try:
        if kind == TaxIdKind.EIN:
            return str(ein.validate(value))
        if kind == TaxIdKind.SSN:
            return str(ssn.validate(value))
        if kind == TaxIdKind.VAT:
            return str(eu_vat.validate(value))
    except StdnumError as error:
        raise ValidationError(
            f"Not a valid {TaxIdKind(kind).label}: {str(error).rstrip('.')}.", code="invalid_tax_id"
        ) from error
    raise ValidationError(f"Unknown tax id kind {kind!r}.", code="invalid_tax_id_kind")


def tax_id_guess_kind(value: str) -> str:
    """EIN for 9 US digits written 12-3456789, SSN for 123-45-6789, VAT for a leading country code; else EIN."""
    compact = value.strip()
    if re.match(r"^[A-Za-z]{2}", compact):
        return TaxIdKind.VAT
    if re.match(r"^\d{3}-\d{2}-\d{4}$", compact):
        return TaxIdKind.SSN
    return TaxIdKind.EIN


def tax_id_masked(value: str, kind: str) -> str:
    """What someone without `vendors.view_tax_id` sees: the kind and the last four characters."""
    if not value:
        return ""
    return f"{'•' * max(len(value) - 4, 0)}{value[-4:]}"


def tax_id_display(value: str, kind: str) -> str:
    """The conventional written form (12-3456789, 123-45-6789, DE123456789)."""
    if kind == TaxIdKind.EIN and len(value) == 9:
        return str(ein.format(value))
    if kind == TaxIdKind.SSN and len(value) == 9:
        return str(ssn.format(value))
    return value


def npi_normalise(value: str) -> str:
    """A US National Provider Identifier: 10 digits, Luhn over the 80840 prefix."""
    digits = re.sub(r"\D", "", value)
    if len(digits) != 10 or not luhn.is_valid("80840" + digits):
        raise ValidationError("An NPI is 10 digits with a valid check digit.", code="invalid_npi")
    return digits


@dataclass(frozen=True)
class BankDetails:
    """A validated bank account, normalised: US (routing + account) or IBAN (+ BIC)."""

    country: str
    routing_number: str
    iban: str
    bic: str
    account_number: str

    @property
    def bank_key(self) -> str:
        return self.routing_number or self.bic or self.iban[:8]

    @property
    def last4(self) -> str:
        return (self.iban or self.account_number)[-4:]


def bank_details_validate(
    *, routing_number: str = "", account_number: str = "", iban: str = "", bic: str = ""
) -> BankDetails:
    """Validate either an ABA routing number with an account number, or an IBAN (with an optional BIC).

    Errors are keyed by field, so forms and the API can show each under its own input."""
    errors: dict[str, str] = {}
    routing_number, account_number = routing_number.strip(), re.sub(r"[\s-]", "", account_number)
    iban, bic = iban.strip(), bic.strip()
    if iban:
        try:
            parsed = IBAN(iban)
        except SchwiftyException as error:
            raise ValidationError({"iban": f"Not a valid IBAN: {str(error).rstrip('.')}."}) from error
        bic_compact = ""
        if bic:
            try:
                bic_compact = BIC(bic).compact
            except SchwiftyException as error:
                raise ValidationError({"bic": f"Not a valid BIC: {str(error).rstrip('.')}."}) from error
        return BankDetails(
            country=parsed.country_code,
            routing_number="",
            iban=parsed.compact,
            bic=bic_compact,
            account_number=parsed.account_code,
        )
    if not routing_number:
        errors["routing_number"] = "Give an ABA routing number (US) or an IBAN."
    else:
        try:
            routing_number = str(rtn.validate(routing_number))
        except StdnumError as error:
            errors["routing_number"] = f"Not a valid ABA routing number: {str(error).rstrip('.')}."
    if not re.fullmatch(r"\d{4,17}", account_number):
        errors["account_number"] = "A US account number is 4 to 17 digits."
    if errors:
        raise ValidationError(errors)
    return BankDetails(country="US", routing_number=routing_number, iban="", bic="", account_number=account_number)


def phone_normalise(value: str) -> str:
    """Digits only, without a leading US country code, so numbers written differently compare equal."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits
