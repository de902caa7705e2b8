"""Whether two vendor profiles are one supplier: a score from 0 to 1 and the reasons a steward reads."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import permutations

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from vendors.dedupe.names import GENERIC_WORDS, WORD_FORMS, name_tokens
from vendors.dedupe.profile import VendorProfile

# At or above this a pair is a duplicate candidate for a steward to review.
DUPLICATE_THRESHOLD = 0.8

# How much each piece of evidence alone says "same supplier"; independent pieces combine as a noisy OR
# (1 - product of (1 - p)), so a tax id alone gives 0.95 and a phone plus an email give 0.86.
WEIGHT_TAX_ID = 0.95
WEIGHT_BANK_ACCOUNT = 0.92
WEIGHT_EMAIL = 0.65
WEIGHT_PHONE = 0.6
# An address two unrelated names share is a building, not a supplier: it supports, it does not decide.
WEIGHT_ADDRESS_ONLY = 0.3

# Name similarity is multiplied by how close the two vendors are: a name alone does not make a duplicate
# ("Acme Medical Supply" in Chicago and in Dallas are often two firms), a name at one address does.
LOCALITY_WEIGHT: dict[str, float] = {"address": 1.0, "city": 0.95, "state": 0.78, "none": 0.65}

# Name similarity for the ways a real spelling of one supplier drifts from another.
SIMILARITY_TYPO = 0.9
SIMILARITY_EXTRA_WORDS = 0.88
SIMILARITY_TYPO_AND_EXTRA_WORDS = 0.85


@dataclass(frozen=True)
class Match:
    """Two vendors look like one supplier: how sure (0..1) and why, in words a steward reads."""

    score: float
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class PreparedName:
    """One name of a vendor, with its canonical tokens worked out once."""

    label: str  # "legal" or "dba"
    raw: str
    tokens: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A profile with its names normalised, so a scan normalises each vendor once, not once per comparison."""

    profile: VendorProfile
    names: tuple[PreparedName, ...]


def prepare(profile: VendorProfile) -> Prepared:
    """The profile with its legal name and (when it says something else) its DBA name tokenised."""
    legal = PreparedName("legal", profile.legal_name, tuple(name_tokens(profile.legal_name)))
    names = [legal] if legal.tokens else []
    if profile.dba_name:
        dba = PreparedName("dba", profile.dba_name, tuple(name_tokens(profile.dba_name)))
        if dba.tokens and dba.tokens != legal.tokens:
            names.append(dba)
    return Prepared(profile, tuple(names))


def compare(a: VendorProfile, b: VendorProfile, *, threshold: float = DUPLICATE_THRESHOLD) -> Match | None:
    """The match between two profiles when it reaches `threshold`, else None."""
    return compare_prepared(prepare(a), prepare(b), threshold=threshold)


def compare_prepared(a: Prepared, b: Prepared, *, threshold: float = DUPLICATE_THRESHOLD) -> Match | None:
    """compare() on prepared profiles (what the scan calls for every pair sharing a blocking key)."""
    pa, pb = a.profile, b.profile
    evidence: list[float] = []
    reasons: list[str] = []
    if pa.tax_id and pa.tax_id == pb.tax_id:
        evidence.append(WEIGHT_TAX_ID)
        reasons.append("same tax id")
    if pa.bank_fingerprints and not set(pa.bank_fingerprints).isdisjoint(pb.bank_fingerprints):
        evidence.append(WEIGHT_BANK_ACCOUNT)
        reasons.append("same bank account")
    shared_phones = [phone for phone in pa.phones if phone in pb.phones]
    if shared_phones:
        evidence.append(WEIGHT_PHONE)
        reasons.append(f"same phone {shared_phones[0]}")
    shared_emails = [email for email in pa.emails if email in pb.emails]
    if shared_emails:
        evidence.append(WEIGHT_EMAIL)
        reasons.append(f"same email {shared_emails[0]}")

    locality, locality_reason = _locality(pa, pb)
    similarity, name_a, name_b = _best_name_pair(a, b)
    if similarity > 0:
        evidence.append(similarity * LOCALITY_WEIGHT[locality])
        if name_a.label != name_b.label:
            lead = "dba name matches legal name"
        elif name_a.tokens == name_b.tokens:
            lead = "same name"
        else:
            lead = "similar name"
        if name_a.label == name_b.label == "dba":
            lead = "same dba name" if name_a.tokens == name_b.tokens else "similar dba name"
        reasons.append(f"{lead} ({similarity:.2f}): {name_a.raw!r} ~ {name_b.raw!r}")
    elif locality == "address":
        evidence.append(WEIGHT_ADDRESS_ONLY)
    # A shared address or city is worth reading beside any evidence; a shared state only beside a name.
    if locality in {"address", "city"} or (locality == "state" and similarity > 0):
        reasons.append(locality_reason)

    if not evidence:
        return None
    doubt = 1.0
    for weight in evidence:
        doubt *= 1.0 - weight
    score = round(1.0 - doubt, 3)
    if score < threshold:
        return None
    return Match(score=score, reasons=reasons)


def _locality(a: VendorProfile, b: VendorProfile) -> tuple[str, str]:
    """How close the two vendors' addresses are (address, city, state or none) and the reason to show."""
    best, reason = "none", ""
    for line_a, city_a, state_a, postal_a in a.addresses:
        for line_b, city_b, state_b, postal_b in b.addresses:
            same_city = bool(city_a) and city_a == city_b and state_a == state_b
            same_zip = bool(postal_a) and postal_a == postal_b
            if line_a and line_a == line_b and (same_city or same_zip):
                return "address", "same address"
            if best != "city" and same_zip:
                best, reason = "city", f"same zip {postal_a}"
            elif best != "city" and same_city:
                best, reason = "city", f"same city {city_a.title()} {state_a}".rstrip()
            elif best == "none" and state_a and state_a == state_b:
                best, reason = "state", f"same state {state_a}"
    return best, reason


def _best_name_pair(a: Prepared, b: Prepared) -> tuple[float, PreparedName, PreparedName]:
    """The most similar of legal/legal, legal/dba, dba/legal and dba/dba (similarity 0 when none is close)."""
    best = 0.0
    best_a = best_b = a.names[0] if a.names else PreparedName("legal", "", ())
    best_b = b.names[0] if b.names else best_b
    for name_a in a.names:
        for name_b in b.names:
            similarity = name_similarity(name_a.tokens, name_b.tokens)
            # Ties go to legal/legal (listed first): it is the comparison a steward expects to read.
            if similarity > best:
                best, best_a, best_b = similarity, name_a, name_b
    return best, best_a, best_b


def name_similarity(tokens_a: tuple[str, ...], tokens_b: tuple[str, ...]) -> float:
    """How alike two canonical names are, 0 when they name different firms.

    Names match when they are equal, differ by a typo in one word (or one word split in two), or one has
    extra trade words the other lacks ("Acme Medical" ~ "Acme Medical Supply"). Any other differing word
    means another firm, however much the rest overlaps: "Acme Medical Supply" is not "Apex Medical Supply".
    """
    if tokens_a == tokens_b:
        return 1.0 if tokens_a else 0.0
    counts_a, counts_b = Counter(tokens_a), Counter(tokens_b)
    only_a = sorted((counts_a - counts_b).elements())
    only_b = sorted((counts_b - counts_a).elements())
    # Names made only of trade words ("National Medical Supply") are told apart by nothing else.
    if not any(token not in GENERIC_WORDS for token in tokens_a + tokens_b):
        return 0.0
    typo = False
    if only_a and only_b:
        pairing = _typo_pair(only_a, only_b)
        if pairing is None:
            return 0.0
        used_a, used_b = pairing
        for token in used_a:
            only_a.remove(token)
        for token in used_b:
            only_b.remove(token)
        typo = True
    if only_a and only_b:
        return 0.0
    extra = only_a or only_b
    if any(token not in GENERIC_WORDS for token in extra):
        return 0.0
    # At least one identifying word must be shared, or the match is made of trade words alone.
    if not any(token not in GENERIC_WORDS for token in counts_a & counts_b) and not typo:
        return 0.0
    ratio = fuzz.ratio(" ".join(tokens_a), " ".join(tokens_b)) / 100.0
    if typo and extra:
        return max(SIMILARITY_TYPO_AND_EXTRA_WORDS, min(ratio, 0.99))
    if typo:
        return max(SIMILARITY_TYPO, min(ratio, 0.99))
    return max(SIMILARITY_EXTRA_WORDS, min(ratio, 0.99))


def _typo_pair(only_a: list[str], only_b: list[str]) -> tuple[list[str], list[str]] | None:
    """The words that differ by one typo (one word against one, or two written as one), if any."""
    for word_a in only_a:
        for word_b in only_b:
            if _one_typo_apart(word_a, word_b):
                return [word_a], [word_b]
    for many, one, flipped in ((only_a, only_b, False), (only_b, only_a, True)):
        if len(many) < 2:
            continue
        for first, second in permutations(many, 2):
            for word in one:
                if OSA.distance(first + second, word, score_cutoff=1) <= 1:
                    return ([word], [first, second]) if flipped else ([first, second], [word])
    return None


def _one_typo_apart(word_a: str, word_b: str) -> bool:
    """Whether two words differ by one typo, also when one of them was rewritten from another written form
    ("supplles" is a typo of "supplies", which normalises to "supply")."""
    for form_a in WORD_FORMS.get(word_a, (word_a,)):
        for form_b in WORD_FORMS.get(word_b, (word_b,)):
            allowed = _allowed(form_a, form_b)
            if OSA.distance(form_a, form_b, score_cutoff=allowed) <= allowed:
                return True
    return False


def _allowed(word_a: str, word_b: str) -> int:
    """Edits that still count as one typo: one (a swap of neighbours is one), or two in long words."""
    if min(len(word_a), len(word_b)) >= 10:
        return 2
    return 1
