"""Low-level writes of the golden record (callers are the governed services, imports and merges, never views):
vendor numbering, sites, contacts and bank accounts written from plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from vendors import crypto
from vendors.identifiers import BankDetails
from vendors.models import BankAccount, BankAccountStatus, SiteKind, Vendor, VendorContact, VendorSite
from vendors.services._common import _save

NUMBER_PREFIX = "V-"
# Any constant works: it names the PostgreSQL advisory lock that serialises vendor numbering.
_NUMBERING_LOCK = 0x56454E44


@dataclass(frozen=True)
class SiteData:
    """An address as forms, the API and imports give it."""

    kind: str = SiteKind.REMIT_TO
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = "US"
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ContactData:
    """A contact as forms, the API and imports give it."""

    name: str
    email: str = ""
    phone: str = ""
    role: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def vendor_number_next() -> str:
    """The next portal number (V-000123); serialised on PostgreSQL, and unique in any case."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_NUMBERING_LOCK])
    highest = Vendor.objects.filter(number__startswith=NUMBER_PREFIX).aggregate(top=Max("number"))["top"]
    following = int(highest[len(NUMBER_PREFIX) :]) + 1 if highest else 1
    return f"{NUMBER_PREFIX}{following:06d}"


@transaction.atomic
def vendor_record_create(*, actor: Any, reason: str, **fields: Any) -> Vendor:
    """Insert a vendor with the next portal number (fields as on the model; status defaults to draft)."""
    vendor = Vendor(number=vendor_number_next(), **fields)
    _save(vendor, actor, reason)
    return vendor


@transaction.atomic
def vendor_sites_replace(*, actor: Any, vendor: Vendor, sites: list[SiteData], reason: str) -> None:
    """Make the vendor's active sites exactly `sites` (unchanged ones are kept, others deactivated, new added)."""
    wanted = dict.fromkeys(sites)
    for existing in vendor.sites.filter(active=True):
        as_data = SiteData(**{k: getattr(existing, k) for k in SiteData.__dataclass_fields__})
        if as_data in wanted:
            wanted.pop(as_data)
            continue
        existing.active = False
        _save(existing, actor, reason)
    for site in wanted:
        _save(VendorSite(vendor=vendor, **site.as_dict()), actor, reason)


@transaction.atomic
def vendor_contacts_replace(*, actor: Any, vendor: Vendor, contacts: list[ContactData], reason: str) -> None:
    """Make the vendor's active contacts exactly `contacts`."""
    wanted = dict.fromkeys(contacts)
    for existing in vendor.contacts.filter(active=True):
        as_data = ContactData(**{k: getattr(existing, k) for k in ContactData.__dataclass_fields__})
        if as_data in wanted:
            wanted.pop(as_data)
            continue
        existing.active = False
        _save(existing, actor, reason)
    for contact in wanted:
        _save(VendorContact(vendor=vendor, **contact.as_dict()), actor, reason)


def bank_account_build(
    *, vendor: Vendor, holder_name: str, details: BankDetails, status: str, activated_at: datetime | None = None
) -> BankAccount:
    """An unsaved bank account with its number (and IBAN, which contains it) encrypted and its fingerprint set."""
    return BankAccount(
        vendor=vendor,
        holder_name=holder_name,
        country=details.country,
        routing_number=details.routing_number,
        bic=details.bic,
        iban_encrypted=crypto.encrypt(details.iban) if details.iban else "",
        account_number_encrypted=crypto.encrypt(details.account_number),
        account_last4=details.last4,
        fingerprint=bank_fingerprint(details),
        status=status,
        activated_at=activated_at,
    )


def bank_fingerprint(details: BankDetails) -> str:
    """The keyed fingerprint of validated bank details, comparable with `BankAccount.fingerprint`."""
    return crypto.fingerprint(details.bank_key, details.iban or details.account_number)


@transaction.atomic
def bank_account_record_create(
    *, actor: Any, vendor: Vendor, holder_name: str, details: BankDetails, status: str, reason: str
) -> BankAccount:
    """Store a validated bank account, encrypted (an account stored as active is active from now)."""
    account = bank_account_build(
        vendor=vendor,
        holder_name=holder_name,
        details=details,
        status=status,
        activated_at=timezone.now() if status == BankAccountStatus.ACTIVE else None,
    )
    _save(account, actor, reason)
    return account


def bank_account_active(vendor: Vendor) -> BankAccount | None:
    """The vendor's active bank account, if any."""
    return vendor.bank_accounts.filter(status=BankAccountStatus.ACTIVE).first()
