"""One vendor's page (profile, sites, contacts, bank accounts, flags, sources, screening, changes, history) and
the audited reveal of a full bank account number."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from p2p_portal.accounts.reauth import reauthentication_required
from p2p_portal.audit.entries import may_read_audit_trail
from p2p_portal.errors import ApplicationError
from vendors.access import may_reveal_bank_account, may_see_tax_id, steward_facilities
from vendors.forms import RevealForm, errors_onto_form
from vendors.models import BankAccount, ChangeStatus, HitStatus
from vendors.selectors import (
    BANK_UNVERIFIED,
    change_request_list,
    cooling_off_until,
    vendor_flags,
    vendor_get,
    vendor_history,
)
from vendors.services.bank import bank_account_reveal
from vendors.views._common import (
    FLAG_LABELS,
    checked_first,
    may_govern,
    require_vendors,
    site_line,
    tax_id_for,
)

HISTORY_ROWS = 15
PAST_CHANGES = 20


@require_GET
@login_required
def vendor_detail(request: HttpRequest, number: str) -> HttpResponse:
    """Everything the network knows about one supplier, masked as the reader's role requires."""
    user = require_vendors(request)
    vendor = vendor_get(principal=user, number=number)
    unmasked = may_see_tax_id(user)
    flags = vendor_flags(vendor)
    governs = may_govern(user)
    changes = list(change_request_list(principal=user, vendor=vendor)) if governs else []
    sites = list(vendor.sites.filter(active=True).order_by("kind", "id"))
    context = {
        "vendor": vendor,
        "tax_id": tax_id_for(vendor, unmasked=unmasked),
        "flags": [(code, FLAG_LABELS.get(code, code)) for code in flags],
        "cooling_off_until": cooling_off_until(vendor) if BANK_UNVERIFIED in flags else None,
        "sites": [(site, site_line(site)) for site in sites],
        "contacts": vendor.contacts.filter(active=True).order_by("name", "id"),
        "accounts": vendor.bank_accounts.order_by("-activated_at", "-id"),
        "references": vendor.source_references.order_by("system", "external_id"),
        "screenings": vendor.screening_results.order_by("-screened_at", "-id")[:5],
        "hits": vendor.screening_hits.select_related("entry", "exclusion_list", "decided_by").order_by("-found_at"),
        "open_hits": vendor.screening_hits.filter(status=HitStatus.OPEN).count(),
        "open_changes": [change for change in changes if change.status == ChangeStatus.PENDING],
        "past_changes": [change for change in changes if change.status != ChangeStatus.PENDING][:PAST_CHANGES],
        "history": vendor_history(principal=user, vendor=vendor, limit=HISTORY_ROWS),
        "reads_audit_trail": may_read_audit_trail(user),
        "may_propose": steward_facilities(user).exists() and vendor.merged_into_id is None,
        "may_reveal": may_reveal_bank_account(user),
        "may_govern": governs,
        "reveal_form": RevealForm(),
    }
    return render(request, "vendors/vendor.html", context)


def _reveal_allowed(request: HttpRequest) -> None:
    """Only procurement admins reach the reveal page (checked before re-authentication)."""
    if not may_reveal_bank_account(require_vendors(request)):
        raise PermissionDenied("Only procurement admins may reveal bank account numbers.")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@checked_first(_reveal_allowed)
@reauthentication_required
def bank_account_reveal_page(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """Ask why, then show a full bank account number once (re-authentication first; every reveal is recorded)."""
    user = require_vendors(request)
    vendor = vendor_get(principal=user, number=number)
    account = get_object_or_404(BankAccount, vendor=vendor, pk=pk)
    form = RevealForm(request.POST or None)
    revealed = ""
    if request.method == "POST" and form.is_valid():
        try:
            revealed = bank_account_reveal(actor=user, account=account, reason=form.cleaned_data["reason"])
        except ApplicationError as refusal:
            errors_onto_form(form, refusal)
    status = 422 if request.method == "POST" and not revealed else 200
    context = {"vendor": vendor, "account": account, "form": form, "revealed": revealed}
    return render(request, "vendors/reveal.html", context, status=status)
