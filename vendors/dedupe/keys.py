"""Blocking keys: vendors that share a key are compared, vendors that share none never are.

Identifier keys (tax id, bank account, phone, email) are exact. Name keys are built so that two spellings of one
name share at least one key even with one typo: for every word of the canonical name, the other words plus the
first two (or the last two) letters of that word, within the vendor's state. A typo sits in one word, and in that
word it spares either the beginning or the end, so the key built on that word from the spared side is the same
for both spellings (short words also get a first-and-last-letter key, for swapped middle letters); suffix,
punctuation, word order and abbreviation variants share every key.
"""

from __future__ import annotations

import hashlib

from vendors.dedupe.profile import VendorProfile
from vendors.dedupe.score import Prepared, prepare

KEY_MAX_LENGTH = 80  # VendorMatchKey.key
# A block larger than this (a name key shared by hundreds) is skipped: its pairs would dominate the scan
# and its members are told apart by other keys.
MAX_BLOCK_SIZE = 200
KIND_TAX_ID = "tax:"
KIND_BANK = "bank:"
KIND_PHONE = "tel:"
KIND_EMAIL = "mail:"
KIND_NAME = "nm:"
# Letters of a word kept in its name key: two keep blocks small and still survive a typo at the other end.
FRAGMENT = 2
SHORT_WORD = 4


def match_keys(profile: VendorProfile) -> set[str]:
    """The blocking keys of a vendor, each prefixed by its kind and at most 80 characters."""
    return match_keys_prepared(prepare(profile))


def match_keys_prepared(prepared: Prepared) -> set[str]:
    """match_keys() of a profile whose names are already tokenised (the scan's path)."""
    profile = prepared.profile
    keys: set[str] = set()
    if profile.tax_id:
        keys.add(_bounded(KIND_TAX_ID, profile.tax_id))
    keys.update(_bounded(KIND_BANK, fingerprint) for fingerprint in profile.bank_fingerprints)
    keys.update(_bounded(KIND_PHONE, phone) for phone in profile.phones)
    keys.update(_bounded(KIND_EMAIL, email) for email in profile.emails)
    states = profile.states
    for name in prepared.names:
        keys.update(name_keys(name.tokens, states))
    return keys


def name_keys(tokens: tuple[str, ...], states: tuple[str, ...]) -> set[str]:
    """The typo-tolerant name keys of one canonical name (sorted tokens) in each of the given states."""
    keys: set[str] = set()
    for position, word in enumerate(tokens):
        rest = " ".join(tokens[:position] + tokens[position + 1 :])
        fragments = [f"^{word[:FRAGMENT]}", f"{word[-FRAGMENT:]}$"]
        if len(word) <= SHORT_WORD:
            # In a short word a swap of the middle letters ("Wolf"/"Wlof") spoils both ends; the first and
            # last letters survive it.
            fragments.append(f"^{word[0]}.{word[-1]}$")
        for fragment in fragments:
            for state in states:
                keys.add(_bounded(KIND_NAME, f"{rest}|{fragment}|{state}"))
    return keys


def is_name_key(key: str) -> bool:
    """Whether a key is a (cappable) name key rather than an exact identifier."""
    return key.startswith(KIND_NAME)


def _bounded(kind: str, value: str) -> str:
    """`kind` + `value`, or `kind` + a digest of it when that would pass the column's 80 characters."""
    key = kind + value
    if len(key) <= KEY_MAX_LENGTH:
        return key
    return kind + "#" + hashlib.blake2b(value.encode(), digest_size=20).hexdigest()
