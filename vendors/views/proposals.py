"""The change request form for a new vendor or a change of one: governed fields, sites and contacts, a "Check"
step that shows the field-level diff and possible duplicates without saving, then the submission."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_http_methods, require_POST

from p2p_portal.errors import ApplicationError
from vendors.forms import ContactFormSet, SiteFormSet, VendorChangeForm, errors_onto_form
from vendors.identifiers import tax_id_display, tax_id_normalise
from vendors.models import ChangeRequest, Vendor
from vendors.selectors import current_contacts, current_sites, proposal_duplicates, vendor_get
from vendors.services.changes import (
    GOVERNED_FIELDS,
    VendorProposal,
    open_requests_touching,
    vendor_change_preview,
    vendor_change_request_submit,
    vendor_create_request_submit,
)
from vendors.services.records import ContactData, SiteData
from vendors.views._common import DiffRow, diff_rows, require_steward


@dataclass
class Check:
    """What the "Check" step found: the diff as the service will record it, possible duplicates, clashes."""

    diff: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    overlaps: list[ChangeRequest] = field(default_factory=list)

    @property
    def token(self) -> str:
        """A signature of what was shown, so a submission is exactly what the steward checked."""
        shown = json.dumps({"diff": self.diff, "warnings": self.warnings}, sort_keys=True, default=str)
        return salted_hmac("vendors.proposal-check", shown).hexdigest()

    def rows(self) -> list[DiffRow]:
        """The diff as table rows."""
        return diff_rows(self.diff, unmasked=True)


def vendor_initial(vendor: Vendor) -> dict[str, Any]:
    """The form's starting values: the vendor as it is (tax id in its written form)."""
    initial = {name: getattr(vendor, name) for name in GOVERNED_FIELDS}
    initial["tax_id"] = tax_id_display(vendor.tax_id, vendor.tax_id_kind)
    return initial


def _sites_initial(vendor: Vendor | None) -> list[dict[str, str]]:
    """Address rows to start from: the vendor's, or a blank remit-to and ordering row."""
    if vendor is None:
        return [{"kind": "remit_to", "country": "US"}, {"kind": "ordering", "country": "US"}]
    return [site.as_dict() for site in current_sites(vendor)]


def _contacts_initial(vendor: Vendor | None) -> list[dict[str, str]]:
    """Contact rows to start from: the vendor's, or none."""
    return [] if vendor is None else [contact.as_dict() for contact in current_contacts(vendor)]


def _same(rows: list[SiteData] | list[ContactData], current: list[SiteData] | list[ContactData]) -> bool:
    """Whether two lists of rows hold the same rows, in any order."""
    key = lambda row: sorted(row.as_dict().items())  # noqa: E731
    return sorted(map(key, rows)) == sorted(map(key, current))


def proposal_from_forms(form: VendorChangeForm, sites: Any, contacts: Any, vendor: Vendor | None) -> VendorProposal:
    """The proposal as the services take it: for a change, only what the steward changed."""
    data = form.cleaned_data
    site_rows = [row.as_site() for row in sites.forms if not row.is_blank()]
    contact_rows = [row.as_contact() for row in contacts.forms if not row.is_blank()]
    if vendor is None:
        fields = {name: data[name] for name in GOVERNED_FIELDS if name in data and name != "status"}
        if not fields.get("tax_id"):
            fields["tax_id_kind"] = ""
        return VendorProposal(fields=fields, sites=site_rows or None, contacts=contact_rows or None)
    fields = {name: data[name] for name in form.changed_data if name in GOVERNED_FIELDS}
    if "tax_id" in fields or "tax_id_kind" in fields:
        fields["tax_id"], fields["tax_id_kind"] = data["tax_id"], data["tax_id_kind"]
    return VendorProposal(
        fields=fields,
        sites=None if _same(site_rows, current_sites(vendor)) else site_rows,
        contacts=None if _same(contact_rows, current_contacts(vendor)) else contact_rows,
    )


def proposal_check(vendor: Vendor | None, proposal: VendorProposal) -> Check:
    """The diff the service will record and the possible duplicates, without saving anything.

    Validation and the diff are the service's own (vendors.services.changes), so the check cannot drift from what
    the submission records."""
    preview = vendor_change_preview(vendor=vendor, proposal=proposal)
    overlaps = open_requests_touching(vendor, preview.touched) if vendor is not None else []
    return Check(
        diff=preview.diff,
        warnings=proposal_duplicates(
            vendor=vendor, fields=preview.fields, sites=proposal.sites, contacts=proposal.contacts
        ),
        overlaps=overlaps,
    )


def _submit(
    user: User, vendor: Vendor | None, form: VendorChangeForm, proposal: VendorProposal, check: Check
) -> ChangeRequest:
    """Submit the checked proposal through the service that fits it."""
    facility, reason = form.cleaned_data["facility"], form.cleaned_data["reason"]
    if vendor is None:
        return vendor_create_request_submit(
            actor=user, facility=facility, proposal=proposal, reason=reason, duplicate_warnings=check.warnings
        )
    return vendor_change_request_submit(
        actor=user,
        vendor=vendor,
        facility=facility,
        proposal=proposal,
        reason=reason,
        duplicate_warnings=check.warnings,
    )


def _proposal_page(request: HttpRequest, vendor: Vendor | None) -> HttpResponse:
    """GET: the form; POST action=preview: the check; POST action=submit: the submission (if it was checked)."""
    user, facilities = require_steward(request)
    data = request.POST if request.method == "POST" else None
    form = VendorChangeForm(
        data, initial=vendor_initial(vendor) if vendor else {}, facilities=facilities, vendor=vendor
    )
    # Rows start from the vendor's sites and contacts; posted rows are read as they are (a posted row that equals
    # its initial value would otherwise count as untouched and be skipped).
    sites = SiteFormSet(data, prefix="sites", initial=_sites_initial(vendor) if data is None else None)
    contacts = ContactFormSet(data, prefix="contacts", initial=_contacts_initial(vendor) if data is None else None)
    check: Check | None = None
    stale = False
    status = 200
    if data is not None:
        if form.is_valid() and sites.is_valid() and contacts.is_valid():
            proposal = proposal_from_forms(form, sites, contacts, vendor)
            try:
                check = proposal_check(vendor, proposal)
            except ApplicationError as refusal:
                errors_onto_form(form, refusal)
            else:
                if data.get("action") == "submit":
                    if constant_time_compare(data.get("checked", ""), check.token):
                        try:
                            change = _submit(user, vendor, form, proposal, check)
                        except ApplicationError as refusal:
                            errors_onto_form(form, refusal)
                        else:
                            messages.success(request, f"CR-{change.pk} submitted for approval: {change.vendor.number}.")
                            return redirect("vendors:change_request", pk=change.pk)
                    else:
                        stale = True
        if form.errors or not sites.is_valid() or not contacts.is_valid():
            status = 422
    context = {
        "vendor": vendor,
        "form": form,
        "sites": sites,
        "contacts": contacts,
        "check": check if not form.errors else None,
        "stale": stale,
    }
    return render(request, "vendors/change_form.html", context, status=status)


def _typed_so_far(data: Any, vendor: Vendor | None, facilities: Any) -> tuple[VendorProposal, dict[str, Any]]:
    """The proposal as far as it parses (invalid or missing inputs are left out), for the live duplicate panel."""
    form = VendorChangeForm(
        data, initial=vendor_initial(vendor) if vendor else {}, facilities=facilities, vendor=vendor
    )
    sites, contacts = SiteFormSet(data, prefix="sites"), ContactFormSet(data, prefix="contacts")
    form.is_valid()
    sites.is_valid()
    contacts.is_valid()
    typed = form.cleaned_data
    fields = {name: typed[name] for name in ("legal_name", "dba_name") if typed.get(name)}
    if typed.get("tax_id") and typed.get("tax_id_kind"):
        with contextlib.suppress(ValidationError):
            fields["tax_id"] = tax_id_normalise(typed["tax_id"], typed["tax_id_kind"])
    site_rows = [row.as_site() for row in sites.forms if not row.errors and not row.is_blank()]
    contact_rows = [row.as_contact() for row in contacts.forms if not row.errors and not row.is_blank()]
    return VendorProposal(fields=fields, sites=site_rows, contacts=contact_rows), fields


def _live_duplicates(request: HttpRequest, vendor: Vendor | None) -> HttpResponse:
    """htmx: look-alike vendors of the proposal as typed so far (nothing is validated for good, nothing saved)."""
    _, facilities = require_steward(request)
    proposal, fields = _typed_so_far(request.POST, vendor, facilities)
    context = {
        "warnings": proposal_duplicates(vendor=vendor, fields=fields, sites=proposal.sites, contacts=proposal.contacts),
        "panel_id": "live",
    }
    return render(request, "vendors/_duplicate_warnings.html", context)


@require_POST
@login_required
def new_vendor_duplicates(request: HttpRequest) -> HttpResponse:
    """htmx: the live duplicate panel of the new-vendor form."""
    return _live_duplicates(request, None)


@require_POST
@login_required
def vendor_change_duplicates(request: HttpRequest, number: str) -> HttpResponse:
    """htmx: the live duplicate panel of a vendor's change form."""
    user, _ = require_steward(request)
    return _live_duplicates(request, vendor_get(principal=user, number=number))


@require_http_methods(["GET", "POST"])
@login_required
def vendor_new(request: HttpRequest) -> HttpResponse:
    """Propose a new vendor (stewards)."""
    return _proposal_page(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def vendor_change(request: HttpRequest, number: str) -> HttpResponse:
    """Propose a change of a vendor's governed fields, sites or contacts (stewards)."""
    user, _ = require_steward(request)
    return _proposal_page(request, vendor_get(principal=user, number=number))
