"""Canonical company names: the form two spellings of one supplier share ("Acme Med. Supplies, L.L.C." and
"ACME MEDICAL SUPPLY INC" both become "acme medical supply")."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Words that carry no identity: legal forms and joiners. Dropped wherever they occur, because vendors write
# them in any position ("The Acme Co", "Acme Company, The").
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "inc",
        "incorporated",
        "incorporation",
        "corp",
        "corporation",
        "corporations",
        "llc",
        "lc",
        "co",
        "cos",
        "company",
        "companies",
        "ltd",
        "limited",
        "lp",
        "llp",
        "lllp",
        "plc",
        "pc",
        "pllc",
        "pa",
        "gmbh",
        "ag",
        "kg",
        "kgaa",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "pty",
        "pte",
        "pvt",
        "ulc",
    }
)
STOP_WORDS: frozenset[str] = frozenset({"and", "the", "of"})

# Abbreviations and inflections mapped to one spelling, so "Intl Med Svcs" and "International Medical Services"
# agree token for token. Singular and plural forms of the common trade words meet too ("Supplies" = "Supply").
ABBREVIATIONS: dict[str, str] = {
    "intl": "international",
    "internat": "international",
    "internatl": "international",
    "med": "medical",
    "medicals": "medical",
    "svc": "services",
    "svcs": "services",
    "srvc": "services",
    "srvcs": "services",
    "serv": "services",
    "servs": "services",
    "service": "services",
    "mfg": "manufacturing",
    "mfrg": "manufacturing",
    "manuf": "manufacturing",
    "assoc": "associates",
    "assocs": "associates",
    "associate": "associates",
    "assn": "association",
    "natl": "national",
    "hosp": "hospital",
    "hospitals": "hospital",
    "lab": "laboratories",
    "labs": "laboratories",
    "laboratory": "laboratories",
    "tech": "technologies",
    "techs": "technologies",
    "technology": "technologies",
    "sys": "systems",
    "syst": "systems",
    "system": "systems",
    "dist": "distribution",
    "distr": "distribution",
    "distrib": "distribution",
    "bros": "brothers",
    "ctr": "center",
    "cntr": "center",
    "centre": "center",
    "centers": "center",
    "centres": "center",
    "supplies": "supply",
    "suppl": "supply",
    "sply": "supply",
    "prod": "products",
    "prods": "products",
    "product": "products",
    "pharm": "pharmaceuticals",
    "pharma": "pharmaceuticals",
    "pharmaceutical": "pharmaceuticals",
    "solution": "solutions",
    "soln": "solutions",
    "solns": "solutions",
    "ent": "enterprises",
    "enterprise": "enterprises",
    "ind": "industries",
    "inds": "industries",
    "industry": "industries",
    "grp": "group",
    "ptnrs": "partners",
    "partner": "partners",
    "hldgs": "holdings",
    "holding": "holdings",
    "mgmt": "management",
    "mgt": "management",
    "equip": "equipment",
    "hlth": "health",
    "hlthcare": "healthcare",
    "univ": "university",
    "inst": "institute",
    "dept": "department",
    "amer": "america",
    "mt": "mount",
    "ft": "fort",
}

# Trade words many unrelated suppliers share: a name difference made only of these does not tell two vendors
# apart, and a match made only of these does not tie them together ("Acme Medical" vs "Apex Medical").
GENERIC_WORDS: frozenset[str] = frozenset(
    [
        "medical",
        "health",
        "healthcare",
        "care",
        "supply",
        "services",
        "systems",
        "solutions",
        "products",
        "group",
        "international",
        "national",
        "global",
        "american",
        "america",
        "usa",
        "us",
        "united",
        "first",
        "general",
        "home",
        "clinical",
        "diagnostics",
        "diagnostic",
        "dental",
        "imaging",
        "scientific",
        "biomedical",
        "specialty",
        "specialties",
        "surgical",
        "pharmaceuticals",
        "pharmacy",
        "laboratories",
        "hospital",
        "center",
        "associates",
        "partners",
        "management",
        "consulting",
        "consultants",
        "enterprises",
        "industries",
        "holdings",
        "distribution",
        "distributors",
        "manufacturing",
        "technologies",
        "equipment",
        "devices",
        "device",
        "instruments",
        "electric",
        "electronics",
        "engineering",
        "construction",
        "maintenance",
        "mechanical",
        "staffing",
        "resources",
        "network",
        "networks",
        "physicians",
        "physician",
        "therapy",
        "rehab",
        "rehabilitation",
        "orthopedic",
        "orthopedics",
        "respiratory",
        "mobility",
        "wellness",
        "life",
        "sciences",
        "bio",
        "tech",
        "north",
        "south",
        "east",
        "west",
        "central",
        "northern",
        "southern",
        "eastern",
        "western",
        "midwest",
        "pacific",
        "atlantic",
        "coast",
        "regional",
        "new",
        "city",
        "county",
        "valley",
        "mountain",
        "river",
        "lake",
        "bay",
        "metro",
        "greater",
        "professional",
        "integrated",
    ]
)

# Every written form of a canonical word ("supply": "supplies", "suppl", "sply"), so that a typo in a form
# that normalisation rewrote ("Supplles") is still measured against what was meant.
WORD_FORMS: dict[str, tuple[str, ...]] = {}
for _form, _canonical in ABBREVIATIONS.items():
    WORD_FORMS[_canonical] = (*WORD_FORMS.get(_canonical, (_canonical,)), _form)

# Apostrophes and dots vanish without a gap ("L.L.C." -> "llc", "Int'l" -> "intl"); every other
# non-alphanumeric character separates words.
_JOINERS = re.compile(r"['\u2019`.]")
_SEPARATORS = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65536)
def _tokens(name: str) -> tuple[str, ...]:
    """The canonical tokens of a name, sorted (cached: a scan normalises every legal and DBA name)."""
    if name.isascii():
        # Most names are plain ASCII: lower() is casefold() there, and there are no accents to strip.
        text = name.lower()
    else:
        text = unicodedata.normalize("NFKD", name)
        text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = text.replace("&", " and ").replace("+", " and ")
    text = _SEPARATORS.sub(" ", _JOINERS.sub("", text))
    raw = [word for word in text.split() if word not in STOP_WORDS]
    # Runs of single letters are one initialism: "A B C Supply", "A.B.C. Supply" and "ABC Supply" agree,
    # and "J & J" (after "and" is gone) becomes "jj".
    joined: list[str] = []
    run = ""
    for word in raw:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    if run:
        joined.append(run)
    expanded = [ABBREVIATIONS.get(word, word) for word in joined]
    kept = [word for word in expanded if word not in LEGAL_SUFFIXES]
    # A name made only of legal words ("The Company") keeps them rather than vanishing to nothing.
    return tuple(sorted(kept or expanded))


def name_tokens(name: str) -> list[str]:
    """The canonical words of a company name, sorted so that word order does not matter."""
    return list(_tokens(name))


def normalise_name(name: str) -> str:
    """The canonical form of a company name: case, accents, punctuation, legal suffixes, joiners,
    abbreviations and word order all made irrelevant."""
    return " ".join(_tokens(name))
