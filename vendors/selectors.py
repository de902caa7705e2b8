"""Scoped reads of the supplier master, shared by the browser and the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from rapidfuzz import fuzz, process

from p2p_portal.audit.entries import AuditEntry, record_history
from vendors.access import governance_facilities, may_view_vendors
from vendors.dedupe.keys import name_keys
from vendors.dedupe.names import name_tokens
from vendors.dedupe.profile import profile_build
from vendors.dedupe.store import duplicate_candidates_for
from vendors.identifiers import BankDetails
from vendors.models import (
    BankAccount,
    BankAccountStatus,
    ChangeRequest,
    DuplicateCandidate,
    DuplicateStatus,
    HitStatus,
    ScreeningHit,
    SourceReference,
    Vendor,
    VendorMatchKey,
    VendorSite,
    VendorStatus,
)
from vendors.services.records import ContactData, SiteData, bank_fingerprint

# The exception codes of DESIGN.md that come from the supplier master.
VENDOR_NOT_ACTIVE = "vendor_not_active"
VENDOR_EXCLUDED = "vendor_excluded"
BANK_UNVERIFIED = "bank_unverified"


def _require_view(principal: Any) -> None:
    if not may_view_vendors(principal):
        # Hide that the master exists at all from people with no business in it.
        raise Http404("No such page.")


def vendor_list(*, principal: Any, query: str = "", status: str = "") -> QuerySet[Vendor]:
    """Vendors matching a search (number, tax id, name words, or a typo-tolerant name key), best first."""
    _require_view(principal)
    vendors = Vendor.objects.all()
    if status:
        vendors = vendors.filter(status=status)
    query = query.strip()
    if not query:
        return vendors.order_by("number")
    if query.upper().startswith("V-"):
        return vendors.filter(number__istartswith=query.upper()).order_by("number")
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) >= 9 and len(digits) == len(query.replace("-", "").replace(" ", "")):
        return vendors.filter(tax_id=digits)
    words = [word for word in query.split() if word]
    by_words = Q()
    for word in words:
        spellings = {word, *_vocabulary_corrections(word)}
        either = Q()
        for spelling in spellings:
            either |= Q(legal_name__icontains=spelling) | Q(dba_name__icontains=spelling)
        by_words &= either
    # Typo tolerance: vendors sharing a name blocking key with the query (the duplicate index serves search too).
    keys = _name_search_keys(query)
    by_key = Q(pk__in=VendorMatchKey.objects.filter(key__in=keys).values("vendor_id")) if keys else Q(pk__in=[])
    return vendors.filter(by_words | by_key).order_by("number")


VOCABULARY_SECONDS = 3600


def _name_vocabulary() -> frozenset[str]:
    """Every word of every vendor name, lower-cased; cached under the latest vendor history id, so any change of
    the master (a new vendor, a new name) starts a fresh vocabulary."""
    latest = Vendor.history.aggregate(latest=Max("history_id"))["latest"] or 0
    key = f"vendors:name-vocabulary:{latest}"
    cached = cache.get(key)
    if cached is not None:
        return frozenset(cached)
    words: set[str] = set()
    for legal_name, dba_name in Vendor.objects.values_list("legal_name", "dba_name").iterator(chunk_size=5000):
        words.update(_WORD.findall(f"{legal_name} {dba_name}".lower()))
    cache.set(key, sorted(words), VOCABULARY_SECONDS)
    return frozenset(words)


_WORD = re.compile(r"[a-z0-9]{4,}")


def _vocabulary_corrections(word: str) -> list[str]:
    """Words of vendor names one or two typos away from a searched word that matches none ("surgcal" -> "surgical").

    Words shorter than five letters are left alone: one typo there makes too many other words."""
    lowered = word.lower()
    if len(lowered) < 5 or not lowered.isalnum():
        return []
    vocabulary = _name_vocabulary()
    if lowered in vocabulary:
        return []
    found = process.extract(lowered, vocabulary, scorer=fuzz.ratio, score_cutoff=80, limit=3)
    return [choice for choice, _score, _index in found]


def _name_search_keys(query: str) -> list[str]:
    """The duplicate index's name keys of `query` in every state vendors have addresses in (its keys are per state,
    so a search without a state asks all of them: a few hundred exact lookups on an indexed column)."""
    tokens = tuple(name_tokens(query))
    if not tokens:
        return []
    states = {
        state.strip().upper()
        for state in VendorSite.objects.filter(active=True).values_list("state", flat=True).distinct()
    }
    return sorted(name_keys(tokens, tuple(sorted(states | {""}))))


def vendor_get(*, principal: Any, number: str) -> Vendor:
    """One vendor by portal number, for anyone who may read the master (404 otherwise)."""
    _require_view(principal)
    try:
        return Vendor.objects.select_related("merged_into").get(number=number)
    except Vendor.DoesNotExist:
        raise Http404(f"No vendor {number}.") from None


def vendor_flags(vendor: Vendor, *, at: datetime | None = None) -> list[str]:
    """The exception codes an invoice of this vendor raises now (matching calls this for every invoice):
    `vendor_not_active`, `vendor_excluded`, `bank_unverified`."""
    at = at or timezone.now()
    flags: list[str] = []
    if vendor.status != VendorStatus.ACTIVE:
        flags.append(VENDOR_NOT_ACTIVE)
    if vendor.screening_hits.filter(status=HitStatus.CONFIRMED).exists():
        flags.append(VENDOR_EXCLUDED)
    until = cooling_off_until(vendor)
    if until is not None and at < until:
        flags.append(BANK_UNVERIFIED)
    return flags


def change_request_list(*, principal: Any, status: str = "", vendor: Vendor | None = None) -> QuerySet[ChangeRequest]:
    """Change requests raised at facilities where the principal reads vendor governance."""
    requests = ChangeRequest.objects.filter(facility__in=governance_facilities(principal)).select_related(
        "vendor", "facility", "submitted_by"
    )
    if status:
        requests = requests.filter(status=status)
    if vendor is not None:
        requests = requests.filter(vendor=vendor)
    return requests


def change_request_get(*, principal: Any, pk: int) -> ChangeRequest:
    """One change request in the principal's facilities (404 otherwise, so other facilities' stay unseen)."""
    try:
        return change_request_list(principal=principal).select_related("approval_request", "bank_account").get(pk=pk)
    except ChangeRequest.DoesNotExist:
        raise Http404("No such change request.") from None


def duplicate_candidate_list(*, principal: Any, status: str = DuplicateStatus.OPEN) -> QuerySet[DuplicateCandidate]:
    """Candidate pairs for the review queue, strongest first."""
    _require_view(principal)
    if not governance_facilities(principal).exists() and not getattr(principal, "is_superuser", False):
        return DuplicateCandidate.objects.none()
    pairs = DuplicateCandidate.objects.select_related("vendor_a", "vendor_b", "decided_by")
    return pairs.filter(status=status) if status else pairs


def screening_hit_list(*, principal: Any, status: str = HitStatus.OPEN) -> QuerySet[ScreeningHit]:
    """Screening hits for the review queue, newest first."""
    _require_view(principal)
    if not governance_facilities(principal).exists() and not getattr(principal, "is_superuser", False):
        return ScreeningHit.objects.none()
    hits = ScreeningHit.objects.select_related("vendor", "entry", "exclusion_list", "decided_by")
    return hits.filter(status=status) if status else hits


def cooling_off_until(vendor: Vendor) -> datetime | None:
    """When the cooling-off of the last bank change ends (None if there was none)."""
    if vendor.bank_changed_at is None:
        return None
    return vendor.bank_changed_at + timedelta(days=settings.BANK_CHANGE_COOLING_OFF_DAYS)


def current_sites(vendor: Vendor) -> list[SiteData]:
    """The vendor's active sites as plain data."""
    return [
        SiteData(**{name: getattr(site, name) for name in SiteData.__dataclass_fields__})
        for site in vendor.sites.filter(active=True).order_by("kind", "id")
    ]


def current_contacts(vendor: Vendor) -> list[ContactData]:
    """The vendor's active contacts as plain data."""
    return [
        ContactData(**{name: getattr(contact, name) for name in ContactData.__dataclass_fields__})
        for contact in vendor.contacts.filter(active=True).order_by("name", "id")
    ]


# How many possible duplicates a steward is shown (and a change request keeps).
DUPLICATE_LIMIT = 10


def proposal_duplicates(
    *,
    vendor: Vendor | None,
    fields: dict[str, Any],
    sites: list[SiteData] | None,
    contacts: list[ContactData] | None,
) -> list[dict[str, Any]]:
    """Existing vendors that look like the vendor as it would be after the proposed change (or creation)."""

    def value(name: str) -> str:
        if name in fields:
            return str(fields[name] or "")
        return str(getattr(vendor, name, "") or "")

    if sites is None:
        sites = current_sites(vendor) if vendor else []
    if contacts is None:
        contacts = current_contacts(vendor) if vendor else []
    fingerprints: list[str] = []
    if vendor is not None:
        fingerprints = list(
            vendor.bank_accounts.filter(status__in=[BankAccountStatus.PROPOSED, BankAccountStatus.ACTIVE]).values_list(
                "fingerprint", flat=True
            )
        )
    profile = profile_build(
        vendor_id=vendor.pk if vendor else None,
        legal_name=value("legal_name"),
        dba_name=value("dba_name"),
        tax_id=value("tax_id"),
        addresses=[(site.address_line1, site.city, site.state, site.postal_code) for site in sites],
        phones=[site.phone for site in sites] + [contact.phone for contact in contacts],
        emails=[contact.email for contact in contacts],
        bank_fingerprints=fingerprints,
        number=vendor.number if vendor else "",
    )
    found = duplicate_candidates_for(profile, exclude_vendor_id=vendor.pk if vendor else None, limit=DUPLICATE_LIMIT)
    return [
        {"vendor": c.number, "name": c.legal_name, "score": round(float(c.score), 3), "reasons": list(c.reasons)}
        for c in found
    ]


def bank_account_duplicates(*, vendor: Vendor, details: BankDetails) -> list[dict[str, Any]]:
    """Other vendors that hold (or propose) the same bank account: one account paying two suppliers is a red flag."""
    accounts = (
        BankAccount.objects.filter(
            fingerprint=bank_fingerprint(details), status__in=[BankAccountStatus.PROPOSED, BankAccountStatus.ACTIVE]
        )
        .exclude(vendor=vendor)
        .select_related("vendor")
        .order_by("vendor__number")
    )
    return [
        {
            "vendor": account.vendor.number,
            "name": account.vendor.legal_name,
            "score": 1.0,
            "reasons": [f"same bank account ({account.get_status_display().lower()} there)"],
        }
        for account in accounts[:DUPLICATE_LIMIT]
    ]


def vendor_history(*, principal: Any, vendor: Vendor, limit: int = 20) -> list[AuditEntry]:
    """The vendor record's latest history for anyone who may see the vendor (tax ids masked as in the audit trail)."""
    _require_view(principal)
    return record_history(principal=principal, model=Vendor, object_id=str(vendor.pk), limit=limit)


def vendor_resolve(*, number: str = "", system: str = "", external_id: str = "") -> Vendor | None:
    """The vendor a document names, by portal number or by a source system's id (merged vendors resolve to their
    survivor); None when nothing matches (the caller decides whether that is an error or `vendor_unknown`)."""
    vendor: Vendor | None = None
    if number:
        vendor = Vendor.objects.filter(number=number.strip().upper()).first()
    elif system and external_id:
        reference = (
            SourceReference.objects.select_related("vendor").filter(system=system, external_id=external_id).first()
        )
        vendor = reference.vendor if reference is not None else None
    seen = 0
    while vendor is not None and vendor.merged_into_id is not None and seen < 10:
        vendor = vendor.merged_into
        seen += 1
    return vendor
