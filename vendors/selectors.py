"""Scoped reads of the supplier master, shared by the browser and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from vendors.access import governance_facilities, may_view_vendors
from vendors.dedupe.keys import name_keys
from vendors.dedupe.names import name_tokens
from vendors.models import (
    ChangeRequest,
    DuplicateCandidate,
    DuplicateStatus,
    HitStatus,
    ScreeningHit,
    Vendor,
    VendorMatchKey,
    VendorSite,
    VendorStatus,
)
from vendors.services.bank import cooling_off_until

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
        by_words &= Q(legal_name__icontains=word) | Q(dba_name__icontains=word)
    # Typo tolerance: vendors sharing a name blocking key with the query (the duplicate index serves search too).
    keys = _name_search_keys(query)
    by_key = Q(pk__in=VendorMatchKey.objects.filter(key__in=keys).values("vendor_id")) if keys else Q(pk__in=[])
    return vendors.filter(by_words | by_key).order_by("number")


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
