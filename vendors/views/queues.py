"""Review queues of the supplier master: duplicate candidate pairs (merge or dismiss) and exclusion-screening hits
(confirm or clear)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from p2p_portal.errors import ApplicationError
from vendors.access import may_decide, may_see_tax_id
from vendors.forms import NoteForm, errors_onto_form
from vendors.models import DuplicateCandidate, DuplicateStatus, HitStatus, Vendor
from vendors.selectors import duplicate_candidate_list, screening_hit_list
from vendors.services.bank import phones_on_file
from vendors.services.duplicates import duplicate_candidate_dismiss, duplicate_candidate_merge
from vendors.views._common import page_of, require_governance, site_line, tax_id_for

DUPLICATE_TABS: list[tuple[str, str]] = [
    (DuplicateStatus.OPEN, "Open"),
    (DuplicateStatus.MERGED, "Merged"),
    (DuplicateStatus.DISMISSED, "Dismissed"),
]
SCREENING_TABS: list[tuple[str, str]] = [
    (HitStatus.OPEN, "Open"),
    (HitStatus.CONFIRMED, "Confirmed"),
    (HitStatus.CLEARED, "Cleared"),
]


@dataclass(frozen=True)
class VendorSide:
    """One vendor of a candidate pair, as a steward compares it."""

    vendor: Vendor
    tax_id: str
    addresses: list[str]
    phones: list[str]
    references: list[str]


def _side(vendor: Vendor, *, unmasked: bool) -> VendorSide:
    """One vendor of a pair with what a steward compares."""
    return VendorSide(
        vendor=vendor,
        tax_id=tax_id_for(vendor, unmasked=unmasked),
        addresses=[site_line(site) for site in vendor.sites.all() if site.active],
        phones=phones_on_file(vendor),
        references=[f"{ref.system}:{ref.external_id}" for ref in vendor.source_references.all()],
    )


def _tab(request: HttpRequest, tabs: list[tuple[str, str]]) -> str:
    """The status tab asked for (the first tab when unknown)."""
    wanted = request.GET.get("status", tabs[0][0])
    return wanted if wanted in {value for value, _ in tabs} else tabs[0][0]


def _duplicates_page(
    request: HttpRequest, *, status: str, failed: int | None = None, form: NoteForm | None = None, code: int = 200
) -> HttpResponse:
    """The duplicate queue of one status tab, with a failed decision's errors on its pair."""
    user = require_governance(request)
    pairs = duplicate_candidate_list(principal=user, status=status).prefetch_related(
        "vendor_a__sites",
        "vendor_a__source_references",
        "vendor_b__sites",
        "vendor_b__source_references",
    )
    page = page_of(pairs, request)
    unmasked = may_see_tax_id(user)
    rows = [
        {
            "pair": pair,
            "a": _side(pair.vendor_a, unmasked=unmasked),
            "b": _side(pair.vendor_b, unmasked=unmasked),
            "errors": form if failed == pair.pk else None,
        }
        for pair in page.object_list
    ]
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "status": status,
        "tabs": DUPLICATE_TABS,
        "may_decide": may_decide(user),
        "may_govern": True,
    }
    return render(request, "vendors/duplicates.html", context, status=code)


@require_GET
@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """Pairs of vendors that look like one supplier, strongest first; tabs for merged and dismissed pairs."""
    return _duplicates_page(request, status=_tab(request, DUPLICATE_TABS))


def _decider(request: HttpRequest) -> User:
    """The person, if they may decide queue items (stewards and procurement admins)."""
    user = require_governance(request)
    if not may_decide(user):
        raise PermissionDenied("Only vendor stewards and procurement admins decide.")
    return user


def _survivor(candidate: DuplicateCandidate, chosen: str) -> Vendor | None:
    """The vendor of the pair the steward chose to keep (None if they chose neither)."""
    return {str(candidate.vendor_a_id): candidate.vendor_a, str(candidate.vendor_b_id): candidate.vendor_b}.get(chosen)


@require_POST
@login_required
def duplicate_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Merge the pair into the chosen survivor, or dismiss it; both with a note."""
    user = _decider(request)
    candidate = get_object_or_404(duplicate_candidate_list(principal=user, status=""), pk=pk)
    form = NoteForm(request.POST)
    survivor = _survivor(candidate, request.POST.get("survivor", "")) if action == "merge" else None
    valid = form.is_valid()
    if action == "merge" and survivor is None:
        form.add_error(None, "Choose which vendor survives.")
        valid = False
    if valid:
        note = form.cleaned_data["note"]
        try:
            if survivor is not None:
                duplicate_candidate_merge(actor=user, candidate=candidate, survivor=survivor, note=note)
                other = candidate.vendor_b if survivor == candidate.vendor_a else candidate.vendor_a
                messages.success(request, f"{other.number} merged into {survivor.number}.")
            else:
                duplicate_candidate_dismiss(actor=user, candidate=candidate, note=note)
                messages.success(
                    request,
                    f"{candidate.vendor_a.number} and {candidate.vendor_b.number} marked as different suppliers.",
                )
        except ApplicationError as refusal:
            errors_onto_form(form, refusal)
        else:
            return redirect(reverse("vendors:duplicates"))
    return _duplicates_page(request, status=candidate.status, failed=candidate.pk, form=form, code=422)


def _screening_page(
    request: HttpRequest, *, status: str, failed: int | None = None, form: NoteForm | None = None, code: int = 200
) -> HttpResponse:
    """The screening queue of one status tab, with a failed decision's errors on its hit."""
    user = require_governance(request)
    page = page_of(screening_hit_list(principal=user, status=status).order_by("-found_at", "-id"), request)
    hits = list(page.object_list)
    sites: dict[int, list[str]] = {}
    for hit in hits:
        if hit.vendor_id not in sites:
            sites[hit.vendor_id] = [site_line(site) for site in hit.vendor.sites.filter(active=True)]
    rows = [
        {"hit": hit, "addresses": sites[hit.vendor_id], "errors": form if failed == hit.pk else None} for hit in hits
    ]
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "status": status,
        "tabs": SCREENING_TABS,
        "may_decide": may_decide(user),
        "may_govern": True,
    }
    return render(request, "vendors/screening.html", context, status=code)


@require_GET
@login_required
def screening(request: HttpRequest) -> HttpResponse:
    """Possible exclusion-list matches to confirm (the vendor is blocked) or clear; tabs for decided hits."""
    return _screening_page(request, status=_tab(request, SCREENING_TABS))


@require_POST
@login_required
def screening_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Confirm a hit (blocks the vendor) or clear it, with a reason."""
    from vendors.screening.services import screening_hit_clear, screening_hit_confirm

    user = _decider(request)
    hit = get_object_or_404(screening_hit_list(principal=user, status=""), pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            if action == "confirm":
                screening_hit_confirm(actor=user, hit=hit, reason=form.cleaned_data["note"])
                messages.success(request, f"Hit confirmed: {hit.vendor.number} is blocked.")
            else:
                screening_hit_clear(actor=user, hit=hit, reason=form.cleaned_data["note"])
                messages.success(request, f"Hit on {hit.vendor.number} cleared.")
        except ApplicationError as refusal:
            errors_onto_form(form, refusal)
        else:
            return redirect(reverse("vendors:screening"))
    return _screening_page(request, status=hit.status, failed=hit.pk, form=form, code=422)
