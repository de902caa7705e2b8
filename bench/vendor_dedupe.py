"""Vendor duplicate detection at scale: the full scan and the pre-submit lookup on a synthetic vendor master.

Prints one JSON line. Generates N vendors (default 200,000) of realistic, similar-looking healthcare suppliers
(shared trade words, shared cities, same-named firms in other states, firms sharing a building, names one letter
apart) with about 5% injected duplicates of the kinds stewards meet (legal-suffix, punctuation, "&"/"and", word
order, one-letter typos, DBA vs legal name, abbreviations, and a renamed vendor sharing a tax id, bank account,
phone or email), bulk-loads them with COPY, then times `vendor_duplicates_scan` (key rebuild included) and
`duplicate_candidates_for` on 500 random vendors, and scores the pairs against the known truth. The baseline is a
plain full read of the vendor table on the same connection, measured in the same run.

    .venv/bin/python bench/vendor_dedupe.py [--vendors 200000] [--seed 7] [--profile] [--keep-database]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import _django  # noqa: F401 (puts the project on sys.path and sets P2P_ENV and the settings module)

BENCH_DATABASE = "p2p_bench_dedupe"
DUPLICATE_SHARE = 0.05
LOOKUPS = 500
SEED = 7

# Duplicate kinds and their share of the injected duplicates.
DUPLICATE_KINDS: dict[str, float] = {
    "legal_suffix": 0.12,
    "punctuation": 0.10,
    "ampersand": 0.08,
    "word_order": 0.08,
    "typo": 0.15,
    "dba_vs_legal": 0.08,
    "abbreviation": 0.10,
    "same_tax_id": 0.08,
    "same_bank_account": 0.07,
    "same_phone": 0.07,
    "same_email": 0.07,
}

TRADE_WORDS = [
    "Medical", "Surgical", "Health", "Healthcare", "Supply", "Supplies", "Services", "Solutions", "Systems",
    "Products", "Laboratories", "Diagnostics", "Imaging", "Pharmacy", "Pharmaceuticals", "Equipment", "Devices",
    "Instruments", "Technologies", "Associates", "Partners", "Group", "Consulting", "Management", "Staffing",
    "Therapy", "Rehab", "Orthopedics", "Dental", "Scientific", "Biomedical", "Specialty", "Respiratory",
    "Mobility", "Wellness", "International", "National", "Distribution", "Manufacturing", "Center", "Clinical",
    "Home Health", "Medical Supply", "Medical Services", "Lab Services", "Hospital Supply", "Care",
]  # fmt: skip
ADJECTIVES = [
    "Premier", "Advanced", "Quality", "Precision", "Superior", "Allied", "Apex", "Summit", "Pinnacle", "Elite",
    "Reliable", "Trusted", "Integrated", "Complete", "Total", "Prime", "Pacific", "Atlantic", "Northern",
    "Southern", "Central", "Coastal", "Metro", "Valley", "Mountain", "Lakeside", "Riverside", "Heritage",
    "Liberty", "Patriot", "Eagle", "Pioneer", "Frontier", "Keystone", "Cornerstone", "Meridian", "Horizon",
    "Evergreen", "Bluebird", "Cardinal", "Sterling", "Beacon", "Compass", "Harbor", "Crescent", "Granite",
]  # fmt: skip
BRAND_HEADS = [
    "Medi", "Vita", "Cor", "Gen", "Nova", "Axi", "Tri", "Zen", "Cura", "Lumi", "Opti", "Bio", "Syn", "Thera",
    "Kine", "Ortho", "Neuro", "Cardi", "Derm", "Omni", "Ultra", "Vera", "Sana", "Terra", "Alta", "Cyto", "Hema",
    "Puls", "Aero", "Nexa", "Stera", "Vasc", "Resp", "Clari", "Dura", "Flexi", "Immu", "Onco", "Pedi", "Radi",
]  # fmt: skip
BRAND_TAILS = [
    "tech", "care", "lab", "gen", "med", "x", "ix", "on", "ia", "ent", "ex", "ara", "ica", "ora", "ell", "ium",
    "ova", "line", "path", "point", "wave", "core", "sys", "flow", "quest", "vance", "tronics", "logic", "metrix",
]  # fmt: skip
SUFFIXES = ["Inc", "Inc.", "LLC", "Corp", "Corporation", "Co", "Company", "Ltd", "LLP", "PC", "", "", ""]
SUFFIX_VARIANTS = ["Inc", "Incorporated", "Corp", "Corp.", "Corporation", "LLC", "L.L.C.", "Co", "Co.", "Company"]
ABBREVIATIONS = {
    "Medical": ["Med", "Med."],
    "Services": ["Svcs", "Svcs.", "Svc"],
    "International": ["Intl", "Int'l", "Intl."],
    "Laboratories": ["Labs", "Lab"],
    "Manufacturing": ["Mfg", "Mfg."],
    "Associates": ["Assoc", "Assoc."],
    "Technologies": ["Tech"],
    "Systems": ["Sys"],
    "Distribution": ["Dist", "Distr"],
    "Center": ["Ctr"],
    "National": ["Natl", "Nat'l"],
    "Supply": ["Supplies", "Sply"],
    "Pharmaceuticals": ["Pharma", "Pharm"],
    "Products": ["Prods"],
}
STREET_KINDS = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Drive", "Dr", "Blvd", "Lane", "Way", "Parkway"]
STREET_SHORT = {"Street": "St", "Avenue": "Ave", "Road": "Rd", "Drive": "Dr", "Boulevard": "Blvd", "Lane": "Ln"}


@dataclass
class SyntheticVendor:
    """One generated vendor, with the cluster (entity) it belongs to: two vendors of one entity are a duplicate."""

    entity: int
    kind: str
    legal_name: str
    dba_name: str = ""
    tax_id: str = ""
    address: tuple[str, str, str, str] = ("", "", "", "")
    site_phone: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    bank_fingerprint: str = ""
    core: str = ""  # the legal name without its suffix
    suffix: str = ""


class VendorMasterGenerator:
    """A seeded generator of a vendor master with injected duplicates and the truth about them."""

    def __init__(self, seed: int) -> None:
        """Seed the generator and build the shared vocabularies (cities, surnames)."""
        from faker import Faker
        from faker.providers.address.en_US import Provider as AddressProvider
        from faker.providers.person.en_US import Provider as PersonProvider

        from vendors.dedupe.names import normalise_name

        self.rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
        faker = Faker("en_US")
        faker.seed_instance(seed)
        self.normalise = normalise_name
        self.surnames = list(PersonProvider.last_names)
        states = list(AddressProvider.states_abbr)
        self.cities: list[tuple[str, str, str]] = []
        seen_cities: set[tuple[str, str]] = set()
        while len(self.cities) < 400:
            city, state = faker.city(), self.rng.choice(states)
            if (city, state) not in seen_cities:
                seen_cities.add((city, state))
                self.cities.append((city, state, f"{self.rng.randint(10, 999):03d}"))
        self.street_names = [faker.street_name().rsplit(" ", 1)[0] for _ in range(600)] + self.surnames[:300]
        self.used_phones: set[str] = set()
        self.used_tax_ids: set[str] = set()
        self.used_domains: set[str] = set()
        self.used_names: set[str] = set()

    # --- identifiers -----------------------------------------------------------------------------------------

    def phone(self) -> str:
        """A fresh US phone number, written one of the ways people write them."""
        while True:
            digits = f"{self.rng.randint(201, 989)}{self.rng.randint(200, 999)}{self.rng.randint(0, 9999):04d}"
            if digits not in self.used_phones:
                self.used_phones.add(digits)
                break
        style = self.rng.random()
        if style < 0.4:
            return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        if style < 0.8:
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        return f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}"

    def tax_id(self) -> str:
        """A fresh nine-digit EIN."""
        while True:
            value = f"{self.rng.randint(10, 99)}{self.rng.randint(0, 9999999):07d}"
            if value not in self.used_tax_ids:
                self.used_tax_ids.add(value)
                return value

    def fingerprint(self) -> str:
        """A bank-account fingerprint (64 hex characters, as the keyed hash stores it)."""
        return f"{self.rng.getrandbits(256):064x}"

    def email(self, core: str) -> str:
        """An accounts-receivable address at a domain made from the name."""
        stem = "".join(char for char in core.lower() if char.isalnum())[:24] or "vendor"
        domain = stem
        while domain in self.used_domains:
            domain = f"{stem}{self.rng.randint(2, 999)}"
        self.used_domains.add(domain)
        return f"{self.rng.choice(['ar', 'billing', 'accounts', 'remit', 'sales'])}@{domain}.com"

    def address(self, city: tuple[str, str, str] | None = None) -> tuple[str, str, str, str]:
        """A street address in a (given or random) city."""
        name, state, zip3 = city or self.rng.choice(self.cities)
        line = f"{self.rng.randint(1, 9999)} {self.rng.choice(self.street_names)} {self.rng.choice(STREET_KINDS)}"
        if self.rng.random() < 0.2:
            line += f", Suite {self.rng.randint(1, 40) * 10}"
        return line, name, state, f"{zip3}{self.rng.randint(0, 4):02d}"

    # --- names -----------------------------------------------------------------------------------------------

    def core_name(self) -> str:
        """A company name without its legal suffix, from the shapes healthcare suppliers' names take."""
        rng = self.rng
        shape = rng.random()
        if shape < 0.33:
            head = rng.choice(self.surnames)
        elif shape < 0.43:
            first, second = rng.sample(self.surnames, 2)
            head = f"{first} {rng.choice(['&', '&', 'and'])} {second}"
        elif shape < 0.68:
            head = rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS)
            if rng.random() < 0.2:
                head = rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS).lower() + rng.choice(BRAND_TAILS)
        elif shape < 0.83:
            head = rng.choice(ADJECTIVES)
            if rng.random() < 0.5:
                head += " " + rng.choice(ADJECTIVES + self.surnames[:200])
        elif shape < 0.95:
            head = rng.choice(self.cities)[0]
        else:
            head = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.choice([2, 3, 3, 4])))
        words = rng.sample(TRADE_WORDS, rng.choice([1, 1, 2, 2, 2, 3]))
        return " ".join([head, *words])

    def fresh_core(self) -> str:
        """A core name whose canonical form no other base vendor has."""
        while True:
            core = self.core_name()
            canonical = self.normalise(core)
            if canonical not in self.used_names:
                self.used_names.add(canonical)
                return core

    def look_alike(self, core: str) -> str:
        """A different firm's core name that resembles `core` (unused canonical form)."""
        head, *rest = core.split()
        for _ in range(50):
            if self.rng.random() < 0.5:
                alikes = [name for name in self.surnames if name[:3] == head[:3] and name != head]
                candidate = " ".join([self.rng.choice(alikes) if alikes else self.rng.choice(self.surnames), *rest])
            else:
                words = self.rng.sample(TRADE_WORDS, max(1, len(rest)))
                candidate = " ".join([head, *words])
            canonical = self.normalise(candidate)
            if canonical not in self.used_names:
                self.used_names.add(canonical)
                return candidate
        return self.fresh_core()

    @staticmethod
    def with_suffix(core: str, suffix: str) -> str:
        """The legal name: core plus suffix, sometimes after a comma."""
        if not suffix:
            return core
        return f"{core}, {suffix}" if suffix.startswith(("Inc", "L.L")) and len(core) % 3 == 0 else f"{core} {suffix}"

    # --- the master --------------------------------------------------------------------------------------------

    def generate(self, total: int) -> list[SyntheticVendor]:
        """`total` vendors, about 5% of them duplicates of another, shuffled."""
        rng = self.rng
        duplicates = round(total * DUPLICATE_SHARE)
        bases: list[SyntheticVendor] = []
        for entity in range(total - duplicates):
            bases.append(self.base_vendor(entity, bases))
        kinds = list(DUPLICATE_KINDS)
        weights = [DUPLICATE_KINDS[kind] for kind in kinds]
        # Each base is duplicated at most once, so the truth is exactly the injected pairs.
        candidates = list(range(len(bases)))
        rng.shuffle(candidates)
        pool = iter(candidates)
        with_ampersand = [index for index in candidates if "&" in bases[index].core or " and " in bases[index].core]
        with_abbreviation = [
            index for index in candidates if any(word in ABBREVIATIONS for word in bases[index].core.split())
        ]
        with_dba = [index for index in candidates if bases[index].dba_name]
        taken: set[int] = set()

        def pick(preferred: list[int]) -> SyntheticVendor:
            """An undup'd base, from `preferred` while it lasts."""
            for index in preferred:
                if index not in taken:
                    taken.add(index)
                    return bases[index]
            for index in pool:
                if index not in taken:
                    taken.add(index)
                    return bases[index]
            raise RuntimeError("ran out of bases")

        made: list[SyntheticVendor] = []
        for kind in rng.choices(kinds, weights, k=duplicates):
            preferred = {"ampersand": with_ampersand, "abbreviation": with_abbreviation}.get(kind, [])
            if kind == "dba_vs_legal" and rng.random() < 0.5:
                preferred = with_dba
            base = pick(preferred)
            made.append(self.duplicate_of(base, kind))
        vendors = bases + made
        rng.shuffle(vendors)
        return vendors

    def base_vendor(self, entity: int, bases: Sequence[SyntheticVendor]) -> SyntheticVendor:
        """An original vendor; a few are honest look-alikes of another (same name in another state, or another
        firm in the same building)."""
        rng = self.rng
        decoy = rng.random()
        if decoy < 0.02 and bases:
            # A different firm of the same name in another state.
            model = rng.choice(bases)
            core = model.core
            city = rng.choice([city for city in self.cities[:60] if city[1] != model.address[2]])
            address = self.address(city)
            kind = "decoy_same_name_elsewhere"
        elif decoy < 0.05 and bases:
            # Another firm in the same building (a medical office tower).
            model = rng.choice(bases)
            core = self.fresh_core()
            address = model.address
            kind = "decoy_same_building"
        elif decoy < 0.08 and bases:
            # Another firm in the same city whose name looks alike: the same trade words behind another head
            # word starting with the same letters ("Mayo Lab Services" / "Maynard Lab Services"), or the
            # same head word with other trade words ("Premier Surgical Supply" / "Premier Dental Supply").
            model = rng.choice(bases)
            core = self.look_alike(model.core)
            address = self.address((model.address[1], model.address[2], model.address[3][:3]))
            kind = "decoy_look_alike"
        else:
            core = self.fresh_core()
            address = self.address()
            kind = "base"
        suffix = rng.choice(SUFFIXES)
        has_contact = rng.random() < 0.6
        vendor = SyntheticVendor(
            entity=entity,
            kind=kind,
            legal_name=self.with_suffix(core, suffix),
            core=core,
            suffix=suffix,
            tax_id=self.tax_id() if rng.random() < 0.85 else "",
            address=address,
            site_phone=self.phone() if rng.random() < 0.8 else "",
            contact_email=self.email(core) if has_contact else "",
            contact_phone=self.phone() if has_contact and rng.random() < 0.5 else "",
            bank_fingerprint=self.fingerprint() if rng.random() < 0.7 else "",
        )
        if rng.random() < 0.1:
            vendor.dba_name = self.fresh_core()
        return vendor

    def duplicate_of(self, base: SyntheticVendor, kind: str) -> SyntheticVendor:
        """A second record of `base`'s supplier, written the way `kind` describes."""
        rng = self.rng
        dup = SyntheticVendor(entity=base.entity, kind=kind, legal_name=base.legal_name, core=base.core)
        dup.address = self.nearby_address(base.address)
        dup.site_phone = self.phone() if rng.random() < 0.5 else ""
        if kind == "legal_suffix":
            dup.legal_name = self.with_suffix(base.core, rng.choice([s for s in SUFFIX_VARIANTS if s != base.suffix]))
        elif kind == "punctuation":
            dup.legal_name = self.punctuated(base.legal_name)
        elif kind == "ampersand":
            core = base.core.replace(" & ", " and ", 1) if "&" in base.core else base.core.replace(" and ", " & ", 1)
            dup.legal_name = self.with_suffix(core, rng.choice(SUFFIXES))
        elif kind == "word_order":
            dup.legal_name = self.reordered(base.core) + (f" {base.suffix}" if base.suffix else "")
        elif kind == "typo":
            dup.legal_name = self.with_suffix(self.typo(base.core), base.suffix)
        elif kind == "abbreviation":
            dup.legal_name = self.with_suffix(self.abbreviated(base.core), rng.choice(SUFFIXES))
        elif kind == "dba_vs_legal":
            if base.dba_name:
                dup.legal_name = self.with_suffix(base.dba_name, rng.choice(SUFFIX_VARIANTS))
            else:
                dup.legal_name = f"{rng.choice(self.surnames)} {rng.choice(['Holdings', 'Enterprises', 'Group'])} LLC"
                dup.dba_name = base.core
        elif kind in {"same_tax_id", "same_bank_account"}:
            # Renamed or re-registered: nothing in the name or address gives it away.
            dup.legal_name = self.with_suffix(self.core_name(), rng.choice(SUFFIXES))
            dup.address = self.address()
            if kind == "same_tax_id":
                base.tax_id = base.tax_id or self.tax_id()
                dup.tax_id = base.tax_id
            else:
                base.bank_fingerprint = base.bank_fingerprint or self.fingerprint()
                dup.bank_fingerprint = base.bank_fingerprint
        else:
            # Moved to another city, the name written another way, one contact detail carried over.
            dup.legal_name = self.with_suffix(
                rng.choice([base.core, self.abbreviated(base.core), self.punctuated(base.core)]),
                rng.choice(SUFFIX_VARIANTS),
            )
            dup.address = self.address()
            if kind == "same_phone":
                base.site_phone = base.site_phone or self.phone()
                dup.contact_phone = self.rewritten_phone(base.site_phone)
            else:
                base.contact_email = base.contact_email or self.email(base.core)
                dup.contact_email = base.contact_email.upper() if rng.random() < 0.3 else base.contact_email
        return dup

    def nearby_address(self, address: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
        """The same address written another way (60%), or another street in the same city."""
        line, city, state, postal = address
        if self.rng.random() < 0.6:
            for long, short in STREET_SHORT.items():
                line = line.replace(f" {long}", f" {short}.") if self.rng.random() < 0.5 else line
            postal = postal + f"-{self.rng.randint(1000, 9999)}" if self.rng.random() < 0.3 else postal
            return line.upper() if self.rng.random() < 0.2 else line, city, state, postal
        line = f"{self.rng.randint(1, 9999)} {self.rng.choice(self.street_names)} {self.rng.choice(STREET_KINDS)}"
        return line, city, state, postal

    def punctuated(self, name: str) -> str:
        """The name with punctuation and case changed."""
        words = name.split()
        style = self.rng.random()
        if style < 0.3 and len(words) > 1:
            index = self.rng.randrange(len(words) - 1)
            words[index] = words[index] + "-" + words.pop(index + 1)
        elif style < 0.5:
            words = [word.upper() for word in words]
        elif style < 0.7:
            words = ["The", *words]
        else:
            words = [word + "," if index == 0 and len(words) > 1 else word for index, word in enumerate(words)]
        return " ".join(words).replace("--", "-")

    def reordered(self, core: str) -> str:
        """The core's words in another order ("Smith & Jones" -> "Jones & Smith"; "X Medical" -> "Medical, X")."""
        if " & " in core or " and " in core:
            joiner = " & " if " & " in core else " and "
            left, right = core.split(joiner, 1)
            right_words = right.split()
            return f"{right_words[0]}{joiner}{left} {' '.join(right_words[1:])}".strip()
        words = core.split()
        cut = self.rng.randrange(1, len(words))
        return " ".join(words[cut:]) + ", " + " ".join(words[:cut])

    def typo(self, core: str) -> str:
        """The core with one slip of the keyboard in one word (the distinctive word, mostly)."""
        words = core.split()
        usable = [index for index, word in enumerate(words) if len(word) >= 4 and word.isalpha()]
        if not usable:
            return core + "s"
        index = usable[0] if self.rng.random() < 0.7 else self.rng.choice(usable)
        word = words[index]
        position = self.rng.randrange(1, len(word)) if self.rng.random() < 0.85 else 0
        edit = self.rng.random()
        letter = self.rng.choice(string.ascii_lowercase)
        if edit < 0.35:
            word = word[:position] + letter + word[position + 1 :]
        elif edit < 0.6:
            word = word[:position] + letter + word[position:]
        elif edit < 0.8:
            word = word[:position] + word[position + 1 :]
        else:
            position = min(position, len(word) - 2)
            word = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
        words[index] = word
        return " ".join(words)

    def abbreviated(self, core: str) -> str:
        """The core with its trade words abbreviated where people abbreviate them."""
        words = [
            self.rng.choice(ABBREVIATIONS[word]) if word in ABBREVIATIONS and self.rng.random() < 0.8 else word
            for word in core.split()
        ]
        return " ".join(words)

    def rewritten_phone(self, phone: str) -> str:
        """The same number, written differently."""
        digits = "".join(char for char in phone if char.isdigit())[-10:]
        return f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"


def truth_pairs(vendors: Sequence[SyntheticVendor], ids: Sequence[int]) -> set[tuple[int, int]]:
    """Every pair of vendor ids that belong to one entity (a < b)."""
    by_entity: dict[int, list[int]] = {}
    for vendor, vendor_id in zip(vendors, ids, strict=True):
        by_entity.setdefault(vendor.entity, []).append(vendor_id)
    pairs: set[tuple[int, int]] = set()
    for members in by_entity.values():
        members.sort()
        for index, first in enumerate(members):
            for second in members[index + 1 :]:
                pairs.add((first, second))
    return pairs


def copy_rows(model: Any, rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows (attname -> value; missing fields take the model default) straight into the model's table."""
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    defaults = {field.attname: field.get_default() for field in fields}
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row.get(field.attname, defaults[field.attname]) for field in fields])
            count += 1
    return count


def load(vendors: Sequence[SyntheticVendor]) -> list[int]:
    """Bulk-load the vendors with their sites, contacts and bank accounts (no history: benchmark data)."""
    from django.db import connection

    from vendors.models import BankAccount, Vendor, VendorContact, VendorSite

    now = datetime.now(UTC)
    ids = list(range(1, len(vendors) + 1))
    copy_rows(
        Vendor,
        (
            {
                "id": vendor_id,
                "number": f"V-{vendor_id:06d}",
                "legal_name": vendor.legal_name[:200],
                "dba_name": vendor.dba_name[:200],
                "tax_id": vendor.tax_id,
                "tax_id_kind": "ein" if vendor.tax_id else "",
                "status": "active",
                "created_at": now,
            }
            for vendor_id, vendor in zip(ids, vendors, strict=True)
        ),
    )
    site_id = contact_id = account_id = 0

    def sites() -> Iterable[dict[str, Any]]:
        nonlocal site_id
        for vendor_id, vendor in zip(ids, vendors, strict=True):
            site_id += 1
            line, city, state, postal = vendor.address
            yield {
                "id": site_id,
                "vendor_id": vendor_id,
                "kind": "remit_to",
                "address_line1": line,
                "city": city,
                "state": state,
                "postal_code": postal,
                "phone": vendor.site_phone,
            }

    def contacts() -> Iterable[dict[str, Any]]:
        nonlocal contact_id
        for vendor_id, vendor in zip(ids, vendors, strict=True):
            if vendor.contact_email or vendor.contact_phone:
                contact_id += 1
                yield {
                    "id": contact_id,
                    "vendor_id": vendor_id,
                    "name": "Accounts Receivable",
                    "email": vendor.contact_email,
                    "phone": vendor.contact_phone,
                }

    def accounts() -> Iterable[dict[str, Any]]:
        nonlocal account_id
        for vendor_id, vendor in zip(ids, vendors, strict=True):
            if vendor.bank_fingerprint:
                account_id += 1
                yield {
                    "id": account_id,
                    "vendor_id": vendor_id,
                    "holder_name": vendor.legal_name[:200],
                    "routing_number": "011000015",
                    "account_number_encrypted": "-",
                    "account_last4": vendor.bank_fingerprint[-4:],
                    "fingerprint": vendor.bank_fingerprint,
                    "status": "active",
                    "activated_at": now,
                }

    copy_rows(VendorSite, sites())
    copy_rows(VendorContact, contacts())
    copy_rows(BankAccount, accounts())
    with connection.cursor() as cursor:
        for model in (Vendor, VendorSite, VendorContact, BankAccount):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            )
            cursor.execute(f"ANALYZE {table}")
    return ids


def percentile(samples: Sequence[float], share: float) -> float:
    """The `share` quantile of the samples (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(operation: Callable[[], Any]) -> tuple[Any, float]:
    """The operation's result and its wall time in seconds."""
    start = time.perf_counter()
    result = operation()
    return result, time.perf_counter() - start


def database_setup(*, reuse: bool) -> None:
    """Start Django on a benchmark database of its own (recreated and migrated unless reused)."""
    import django
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("postgresql"):
        sys.exit("vendor_dedupe needs PostgreSQL: set DATABASE_URL=postgres://...")
    database["TEST"] = {"NAME": BENCH_DATABASE}
    django.setup()
    from django.db import connection

    if reuse:
        settings.DATABASES["default"]["NAME"] = BENCH_DATABASE
        connection.settings_dict["NAME"] = BENCH_DATABASE
        connection.close()
        return
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def main() -> None:
    """Generate, load, scan, look up, score; print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--profile", action="store_true", help="cProfile the scan; top functions go to stderr.")
    parser.add_argument("--keep-database", action="store_true", help="Keep the benchmark database afterwards.")
    parser.add_argument(
        "--reuse-database", action="store_true", help="Use the kept database (same --vendors and --seed) as loaded."
    )
    parser.add_argument("--misses", type=int, default=0, help="Print this many missed and false pairs to stderr.")
    options = parser.parse_args()

    database_setup(reuse=options.reuse_database)
    from django.db import connection

    from p2p_portal.audit.triggers import maintenance_window
    from vendors.dedupe.profile import profiles_load
    from vendors.dedupe.store import duplicate_candidates_for, vendor_duplicates_scan
    from vendors.models import DuplicateCandidate, VendorMatchKey

    generator = VendorMasterGenerator(options.seed)
    vendors, generate_seconds = timed(lambda: generator.generate(options.vendors))
    if options.reuse_database:
        ids = list(range(1, len(vendors) + 1))
        load_seconds = 0.0
        # A fresh start for the scan: no pairs, no keys (history is emptied the only way it may be).
        with maintenance_window(connection), connection.cursor() as cursor:
            tables = [DuplicateCandidate, DuplicateCandidate.history.model, VendorMatchKey]
            cursor.execute("TRUNCATE " + ", ".join(model._meta.db_table for model in tables))
    else:
        ids, load_seconds = timed(lambda: load(vendors))
    truth = truth_pairs(vendors, ids)

    with connection.cursor() as cursor:

        def full_read() -> int:
            cursor.execute("SELECT id, legal_name, dba_name, tax_id FROM vendors_vendor")
            return len(cursor.fetchall())

        full_read()
        _, baseline_read = timed(full_read)

    profiler = cProfile.Profile() if options.profile else None
    if profiler is not None:
        profiler.enable()
    summary, scan_seconds = timed(lambda: vendor_duplicates_scan(actor="bench:vendor_dedupe"))
    if profiler is not None:
        profiler.disable()
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(35)
        print(report.getvalue(), file=sys.stderr)

    # The nightly case: nothing changed since the last scan, so no key and no pair is written.
    rescan, rescan_seconds = timed(lambda: vendor_duplicates_scan(actor="bench:vendor_dedupe"))
    assert rescan.created == 0, rescan

    found = {(pair.vendor_a, pair.vendor_b) for pair in summary.pairs}
    true_positives = len(found & truth)
    precision = true_positives / len(found) if found else 1.0
    recall = true_positives / len(truth) if truth else 1.0
    recall_by_kind: dict[str, list[int]] = {}
    kind_of = {vendor_id: vendor.kind for vendor, vendor_id in zip(vendors, ids, strict=True)}
    for pair in truth:
        kind = kind_of[pair[0]] if kind_of[pair[0]] in DUPLICATE_KINDS else kind_of[pair[1]]
        hits = recall_by_kind.setdefault(kind, [0, 0])
        hits[0] += pair in found
        hits[1] += 1
    if options.misses:
        names = {
            vendor_id: (vendor.legal_name, vendor.dba_name, vendor.address)
            for vendor, vendor_id in zip(vendors, ids, strict=True)
        }
        reasons = {(pair.vendor_a, pair.vendor_b): pair.reasons for pair in summary.pairs}
        for pair in sorted(truth - found)[: options.misses]:
            print("MISSED", kind_of[pair[0]], kind_of[pair[1]], names[pair[0]], names[pair[1]], file=sys.stderr)
        for pair in sorted(found - truth)[: options.misses]:
            print("FALSE", names[pair[0]], names[pair[1]], reasons[pair], file=sys.stderr)

    # Lookups as a steward's form makes them: the profile is built, then the selector runs.
    sample = random.Random(options.seed).sample(  # noqa: S311
        ids, min(LOOKUPS, len(ids))
    )
    profiles = profiles_load(sample)
    for vendor_id in sample[:20]:
        duplicate_candidates_for(profiles[vendor_id], exclude_vendor_id=vendor_id)
    samples_ms: list[float] = []
    partners = {}
    for first, second in truth:
        partners[first] = second
        partners[second] = first
    lookup_hits = lookup_expected = 0
    for vendor_id in sample:
        if vendor_id not in profiles:
            continue
        start = time.perf_counter()
        candidates = duplicate_candidates_for(profiles[vendor_id], exclude_vendor_id=vendor_id)
        seconds = time.perf_counter() - start
        samples_ms.append(seconds * 1000)
        if vendor_id in partners:
            lookup_expected += 1
            lookup_hits += any(candidate.vendor_id == partners[vendor_id] for candidate in candidates)

    with connection.cursor() as cursor:
        key = VendorMatchKey.objects.order_by("?").values_list("key", flat=True).first()

        def key_query() -> None:
            cursor.execute("SELECT vendor_id FROM vendors_vendormatchkey WHERE key = %s", [key])
            cursor.fetchall()

        key_samples = [timed(key_query)[1] * 1000 for _ in range(200)]

    print(
        json.dumps(
            {
                "benchmark": "vendor_dedupe",
                "database": connection.vendor,
                "vendors": len(vendors),
                "injected_duplicates": len(truth),
                "generate_seconds": round(generate_seconds, 1),
                "load_seconds": round(load_seconds, 1),
                "scan_seconds": round(scan_seconds, 1),
                "rescan_seconds": round(rescan_seconds, 1),
                "keys_written": summary.keys_written,
                "blocks_skipped": summary.blocks_skipped,
                "pairs_found": len(found),
                "true_positives": true_positives,
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "recall_by_kind": {
                    kind: round(hit / total, 3) for kind, (hit, total) in sorted(recall_by_kind.items())
                },
                "lookups": len(samples_ms),
                "lookup_p50_ms": round(statistics.median(samples_ms), 2),
                "lookup_p95_ms": round(percentile(samples_ms, 0.95), 2),
                "lookup_recall": round(lookup_hits / lookup_expected, 3) if lookup_expected else None,
                "baseline_full_read_seconds": round(baseline_read, 3),
                "baseline_key_query_p50_ms": round(statistics.median(key_samples), 3),
                "scan_over_full_read": round(scan_seconds / baseline_read, 1),
            }
        )
    )
    if not options.keep_database:
        connection.creation.destroy_test_db(BENCH_DATABASE, verbosity=0)


if __name__ == "__main__":
    os.environ.setdefault("P2P_ENV", "test")
    main()
