"""Name normalisation and scoring of duplicate detection: spellings of one supplier meet, other suppliers don't."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vendors.dedupe.keys import match_keys
from vendors.dedupe.names import name_tokens, normalise_name
from vendors.dedupe.profile import profile_build
from vendors.dedupe.score import DUPLICATE_THRESHOLD, compare, name_similarity

SPRINGFIELD = ("100 Main Street", "Springfield", "IL", "62701")


def similarity(a: str, b: str) -> float:
    return name_similarity(tuple(name_tokens(a)), tuple(name_tokens(b)))


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Acme Medical Supply Inc", "acme medical supply"),
        ("ACME MEDICAL SUPPLY, INC.", "acme medical supply"),
        ("Acme Medical Supply Incorporated", "acme medical supply"),
        ("Acme Medical Supply Corp.", "acme medical supply"),
        ("Acme Medical Supply Corporation", "acme medical supply"),
        ("Acme Medical Supply LLC", "acme medical supply"),
        ("Acme Medical Supply L.L.C.", "acme medical supply"),
        ("Acme Medical Supply Co", "acme medical supply"),
        ("The Acme Medical Supply Company", "acme medical supply"),
        ("Acme Medical Supply Ltd", "acme medical supply"),
        ("Acme Medical Supplies", "acme medical supply"),
        ("Acme Med. Supply", "acme medical supply"),
        ("Supply, Acme Medical", "acme medical supply"),
        ("Smith & Jones", "jones smith"),
        ("Smith and Jones", "jones smith"),
        ("Jones and Smith, P.C.", "jones smith"),
        ("Int'l Med Svcs", "international medical services"),
        ("Intl. Medical Services Inc", "international medical services"),
        ("International Medical Service", "international medical services"),
        ("Natl Hosp Labs", "hospital laboratories national"),
        ("Acme Mfg", "acme manufacturing"),
        ("Smith Bros", "brothers smith"),
        ("Café Crème GmbH", "cafe creme"),
        ("A.B.C. Surgical", "abc surgical"),
        ("A B C Surgical", "abc surgical"),
        ("J&J Health", "health jj"),
        ("  Acme   Medical  ", "acme medical"),
        ("The Company", "company"),
        ("", ""),
    ],
)
def test_spellings_normalise_to_one_canonical_name(written: str, canonical: str) -> None:
    assert normalise_name(written) == canonical


def test_name_tokens_are_the_sorted_words() -> None:
    assert name_tokens("Zenith & Acme Medical, Inc.") == ["acme", "medical", "zenith"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Medical Supply Inc", "ACME MEDICAL SUPPLY, L.L.C."),  # legal suffix
        ("Acme Medical-Supply", "Acme Medical Supply"),  # punctuation
        ("Smith & Jones Surgical", "Smith and Jones Surgical"),  # & / and
        ("Jones Smith Surgical", "Smith Jones Surgical"),  # word order
        ("Acme Medical Supply", "Acne Medical Supply"),  # one-letter typo
        ("Johnson Surgical", "Jonhson Surgical"),  # swapped letters
        ("Meridian Orthopedics", "Meridan Orthopedics"),  # dropped letter
        ("Acme Medical", "Acme Medcal"),  # typo in a trade word
        ("Fry Supplies Imaging", "Fry Supplles Imaging"),  # typo in a word normalisation rewrites
        ("Intl Med Svcs of Ohio", "International Medical Services of Ohio"),  # abbreviations
        ("Acme Medical", "Acme Medical Supply Co"),  # extra trade word
        ("Smith Jones Healthcare", "Smith Jones Health Care"),  # one word written as two
    ],
)
def test_variants_of_one_supplier_are_similar(a: str, b: str) -> None:
    assert similarity(a, b) >= 0.85


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Medical", "Apex Medical"),
        ("Acme Medical Supply", "Apex Medical Supply"),
        ("Acme Medical Supply", "Acme Zenith Medical Supply"),
        ("Premier Medical", "United Medical"),
        ("National Medical Supply", "National Surgical Supply"),
        ("Northwind Surgical", "Southwind Surgical"),
        ("National Medical Supply", "National Medical"),  # trade words only: nothing identifies either
    ],
)
def test_different_suppliers_stay_apart(a: str, b: str) -> None:
    assert similarity(a, b) == 0.0


def test_dba_name_matches_the_legal_name_of_another() -> None:
    holding = profile_build(
        vendor_id=1, legal_name="Meridian Holdings LLC", dba_name="Bluebird Surgical", addresses=[SPRINGFIELD]
    )
    trading = profile_build(vendor_id=2, legal_name="Bluebird Surgical Inc", addresses=[SPRINGFIELD])
    match = compare(holding, trading)
    assert match is not None
    assert match.reasons[0].startswith("dba name matches legal name (1.00): 'Bluebird Surgical'")
    assert "same address" in match.reasons


def test_a_similar_name_needs_a_nearby_address() -> None:
    here = profile_build(vendor_id=1, legal_name="Acme Medical Supply Inc", addresses=[SPRINGFIELD])
    same_city = profile_build(
        vendor_id=2, legal_name="Acme Medical Supplies LLC", addresses=[("9 Elm St", "Springfield", "IL", "62704")]
    )
    elsewhere = profile_build(
        vendor_id=3, legal_name="Acme Medical Supplies LLC", addresses=[("9 Elm St", "Dallas", "TX", "75201")]
    )
    match = compare(here, same_city)
    assert match is not None
    assert match.score >= DUPLICATE_THRESHOLD
    assert match.reasons == [
        "same name (1.00): 'Acme Medical Supply Inc' ~ 'Acme Medical Supplies LLC'",
        "same city Springfield IL",
    ]
    assert compare(here, elsewhere) is None


def test_strong_identifiers_alone_make_a_candidate() -> None:
    first = profile_build(vendor_id=1, legal_name="Acme Medical", tax_id="123456789", bank_fingerprints=["f1"])
    renamed = profile_build(vendor_id=2, legal_name="Totally Different Name", tax_id="123456789")
    same_bank = profile_build(vendor_id=3, legal_name="Another Name", bank_fingerprints=["f1"])
    by_tax = compare(first, renamed)
    by_bank = compare(first, same_bank)
    assert by_tax is not None
    assert by_tax.score >= 0.9
    assert by_tax.reasons == ["same tax id"]
    assert by_bank is not None
    assert by_bank.score >= 0.9
    assert by_bank.reasons == ["same bank account"]


def test_phone_and_email_are_normalised_and_named() -> None:
    first = profile_build(vendor_id=1, legal_name="Acme Medical", phones=["(555) 123-4567"], emails=["AR@Acme.example"])
    second = profile_build(
        vendor_id=2, legal_name="Acme Med Inc", phones=["+1 555 123 4567"], emails=["ar@acme.example"]
    )
    match = compare(first, second)
    assert match is not None
    assert match.reasons[:2] == ["same phone 5551234567", "same email ar@acme.example"]


def test_keys_are_prefixed_by_kind_and_short() -> None:
    profile = profile_build(
        vendor_id=1,
        legal_name="Acme Medical Supply " + "Verylongword " * 10,
        tax_id="123456789",
        phones=["555-123-4567"],
        emails=["ar@acme.example"],
        bank_fingerprints=["a" * 64],
        addresses=[SPRINGFIELD],
    )
    keys = match_keys(profile)
    assert {"tax:123456789", "tel:5551234567", "mail:ar@acme.example", "bank:" + "a" * 64} <= keys
    assert all(len(key) <= 80 for key in keys)
    assert all(key.split(":", 1)[0] in {"tax", "bank", "tel", "mail", "nm"} for key in keys)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Medical Supply Inc", "Acme Medical Supplies, L.L.C."),
        ("Acme Medical Supply", "Acne Medical Supply"),
        ("Acme Medical Supply", "Cacme Medical Supply"),
        ("Johnson Surgical", "Jonhson Surgical"),
        ("Supply Acme Medical", "Acme Medical Supply"),
        ("Bluebird", "Bleubird"),
        ("Wolf Systems Supply", "Wlof Systems Supply"),  # swapped middle letters of a short word
    ],
)
def test_variants_share_a_blocking_key(a: str, b: str) -> None:
    first = profile_build(vendor_id=1, legal_name=a, addresses=[SPRINGFIELD])
    second = profile_build(vendor_id=2, legal_name=b, addresses=[SPRINGFIELD])
    assert match_keys(first) & match_keys(second)


WORDS = st.lists(
    st.sampled_from(
        ["acme", "medical", "supply", "inc", "llc", "the", "and", "&", "Intl", "svcs", "zenith", "co.", "o'brien"]
    ),
    min_size=1,
    max_size=6,
)


@given(WORDS)
def test_normalise_name_is_idempotent(words: list[str]) -> None:
    once = normalise_name(" ".join(words))
    assert normalise_name(once) == once


@given(WORDS, st.randoms(use_true_random=False))
def test_normalise_name_ignores_word_order(words: list[str], random: Random) -> None:
    shuffled = list(words)
    random.shuffle(shuffled)
    # Single letters join into initialisms only when adjacent; the word list has none.
    assert normalise_name(" ".join(shuffled)) == normalise_name(" ".join(words))


@given(st.text(max_size=60))
def test_normalise_name_never_fails(text: str) -> None:
    canonical = normalise_name(text)
    assert canonical == canonical.strip()
    assert canonical == " ".join(sorted(canonical.split()))
