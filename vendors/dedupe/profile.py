"""What duplicate detection knows about a vendor: its names, identifiers and addresses in comparable form,
loaded for many vendors at once with a handful of set-based queries."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from vendors.identifiers import phone_normalise
from vendors.models import BankAccount, BankAccountStatus, Vendor, VendorContact, VendorSite

# Ids per IN (...) query: small enough for any database's parameter limit, large enough to keep queries few.
CHUNK = 5000
# Shorter digit strings are extensions or junk, not phone numbers that identify a supplier.
MIN_PHONE_DIGITS = 7

Address = tuple[str, str, str, str]

_STREET_WORDS: dict[str, str] = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "parkway": "pkwy",
    "highway": "hwy",
    "suite": "ste",
    "building": "bldg",
    "floor": "fl",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "saint": "st",
    "fort": "ft",
    "mount": "mt",
    "center": "ctr",
    "centre": "ctr",
    "circle": "cir",
    "square": "sq",
    "terrace": "ter",
    "way": "wy",
    "po": "po",
    "p": "p",
}
_CITY_WORDS: dict[str, str] = {"saint": "st", "fort": "ft", "mount": "mt"}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _plain(text: str) -> str:
    """Casefolded, accent-free, punctuation as single spaces."""
    if text.isascii():
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    return _NON_ALNUM.sub(" ", text.replace(".", "").replace("'", "")).strip()


def address_line_normalise(line: str) -> str:
    """A street line in one spelling ("100 North Main Street, Suite 4" = "100 N Main St Ste 4")."""
    return " ".join(_STREET_WORDS.get(word, word) for word in _plain(line).split())


def city_normalise(city: str) -> str:
    """A city name in one spelling ("St. Louis" = "Saint Louis")."""
    return " ".join(_CITY_WORDS.get(word, word) for word in _plain(city).split())


def postal_code_normalise(postal_code: str) -> str:
    """The five-digit ZIP of a US postal code (ZIP+4 compares equal to its ZIP), else the compact code."""
    compact = re.sub(r"[^0-9A-Za-z]", "", postal_code).upper()
    if compact.isdigit() and len(compact) >= 5:
        return compact[:5]
    return compact


@dataclass(frozen=True)
class VendorProfile:
    """A vendor as duplicate detection compares it: names as entered, identifiers and addresses normalised."""

    vendor_id: int | None
    legal_name: str
    dba_name: str = ""
    tax_id: str = ""
    # (street line, city, state, postal code), each normalised as above.
    addresses: tuple[Address, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    bank_fingerprints: tuple[str, ...] = ()
    number: str = field(default="", compare=False)

    @property
    def states(self) -> tuple[str, ...]:
        """The distinct states of the vendor's addresses ("" when it has none), in a stable order."""
        return tuple(sorted({address[2] for address in self.addresses})) or ("",)


def profile_build(
    *,
    vendor_id: int | None,
    legal_name: str,
    dba_name: str = "",
    tax_id: str = "",
    addresses: Iterable[tuple[str, str, str, str]] = (),
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    bank_fingerprints: Iterable[str] = (),
    number: str = "",
) -> VendorProfile:
    """A profile from raw values as a form or the database holds them (normalises addresses, phones, emails)."""
    return VendorProfile(
        vendor_id=vendor_id,
        legal_name=legal_name.strip(),
        dba_name=dba_name.strip(),
        tax_id=tax_id.strip(),
        addresses=_unique(
            (address_line_normalise(line), city_normalise(city), state.strip().upper(), postal_code_normalise(postal))
            for line, city, state, postal in addresses
        ),
        phones=_unique(
            digits for digits in (phone_normalise(phone) for phone in phones) if len(digits) >= MIN_PHONE_DIGITS
        ),
        emails=_unique(email.strip().lower() for email in emails if email and "@" in email),
        bank_fingerprints=_unique(fingerprint for fingerprint in bank_fingerprints if fingerprint),
        number=number,
    )


def _unique(values: Iterable[str] | Iterable[Address]) -> tuple[Any, ...]:
    """Distinct values in first-seen order (a profile is compared, never mutated, so tuples)."""
    return tuple(dict.fromkeys(values))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in slices of CHUNK."""
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def profiles_load(vendor_ids: Iterable[int] | None = None) -> dict[int, VendorProfile]:
    """Profiles of the given vendors (or of every vendor) that are not merged into another: four queries per
    chunk of ids (vendors, active sites, active contacts, proposed or active bank accounts), never one per vendor."""
    if vendor_ids is None:
        return _profiles_load_chunk(None)
    ids = sorted(set(vendor_ids))
    profiles: dict[int, VendorProfile] = {}
    for chunk in _chunks(ids):
        profiles.update(_profiles_load_chunk(chunk))
    return profiles


def _rows(queryset: QuerySet[Any, Any], *, stream: bool) -> Iterable[Any]:
    """The rows of a values_list query: streamed through a server-side cursor for the whole table, fetched at
    once for a chunk of ids (a cursor costs three round trips, which a lookup cannot afford)."""
    return queryset.iterator(chunk_size=CHUNK) if stream else queryset


def _profiles_load_chunk(ids: list[int] | None) -> dict[int, VendorProfile]:
    """One chunk of profiles_load (None: the whole table, read without an IN list)."""
    vendors = Vendor.objects.filter(merged_into__isnull=True)
    sites = VendorSite.objects.filter(active=True, vendor__merged_into__isnull=True)
    contacts = VendorContact.objects.filter(active=True, vendor__merged_into__isnull=True)
    accounts = BankAccount.objects.filter(
        status__in=[BankAccountStatus.PROPOSED, BankAccountStatus.ACTIVE], vendor__merged_into__isnull=True
    )
    if ids is not None:
        vendors = vendors.filter(id__in=ids)
        sites = sites.filter(vendor_id__in=ids)
        contacts = contacts.filter(vendor_id__in=ids)
        accounts = accounts.filter(vendor_id__in=ids)

    addresses: defaultdict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    phones: defaultdict[int, list[str]] = defaultdict(list)
    emails: defaultdict[int, list[str]] = defaultdict(list)
    fingerprints: defaultdict[int, list[str]] = defaultdict(list)
    for vendor_id, line, city, state, postal, phone in _rows(
        sites.values_list("vendor_id", "address_line1", "city", "state", "postal_code", "phone"), stream=ids is None
    ):
        addresses[vendor_id].append((line, city, state, postal))
        if phone:
            phones[vendor_id].append(phone)
    for vendor_id, email, phone in _rows(contacts.values_list("vendor_id", "email", "phone"), stream=ids is None):
        if email:
            emails[vendor_id].append(email)
        if phone:
            phones[vendor_id].append(phone)
    for vendor_id, fingerprint in _rows(accounts.values_list("vendor_id", "fingerprint"), stream=ids is None):
        fingerprints[vendor_id].append(fingerprint)

    empty: list[str] = []
    return {
        vendor_id: profile_build(
            vendor_id=vendor_id,
            number=number,
            legal_name=legal_name,
            dba_name=dba_name,
            tax_id=tax_id,
            addresses=addresses.get(vendor_id, []),
            phones=phones.get(vendor_id, empty),
            emails=emails.get(vendor_id, empty),
            bank_fingerprints=fingerprints.get(vendor_id, empty),
        )
        for vendor_id, number, legal_name, dba_name, tax_id in _rows(
            vendors.values_list("id", "number", "legal_name", "dba_name", "tax_id"), stream=ids is None
        )
    }
