"""The bank-account change form: re-authentication first, a check that shows the masked diff and any other vendor
paid into the same account, then the submission (which waits for a call-back and two approvals)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from p2p_portal.accounts.reauth import reauthentication_required
from p2p_portal.errors import ApplicationError
from vendors.forms import BankChangeForm, errors_onto_form
from vendors.identifiers import BankDetails, bank_details_validate
from vendors.models import BankAccountStatus, Vendor
from vendors.selectors import bank_account_duplicates, vendor_get
from vendors.services.bank import bank_account_masked, bank_change_request_submit, phones_on_file
from vendors.services.records import bank_fingerprint
from vendors.views._common import DiffRow, checked_first, diff_rows, require_steward


@dataclass
class BankCheck:
    """What the check found: the masked change, vendors paid into the same account, and blocking problems."""

    diff: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    problems: list[str]

    @property
    def token(self) -> str:
        """A signature of what was shown, so the submission is what the steward checked."""
        shown = json.dumps({"diff": self.diff, "warnings": self.warnings}, sort_keys=True)
        return salted_hmac("vendors.bank-check", shown).hexdigest()

    def rows(self) -> list[DiffRow]:
        """The check as diff table rows (already masked)."""
        return diff_rows(self.diff, unmasked=False)


def bank_check(vendor: Vendor, holder_name: str, details: BankDetails) -> BankCheck:
    """Compare the proposed account with the current one, and find other vendors paid into it (by fingerprint)."""
    current = vendor.bank_accounts.filter(status=BankAccountStatus.ACTIVE).first()
    old = (
        bank_account_masked(
            current.holder_name, current.routing_number or current.bic or current.country, current.account_last4
        )
        if current
        else "(none)"
    )
    new = bank_account_masked(
        holder_name.strip(), details.routing_number or details.bic or details.country, details.last4
    )
    fingerprint = bank_fingerprint(details)
    problems = []
    if current is not None and current.fingerprint == fingerprint:
        problems.append("This is already the vendor's bank account.")
    if not phones_on_file(vendor):
        problems.append(
            f"{vendor.number} has no phone number on file to call back; add a contact through a change request first."
        )
    warnings = bank_account_duplicates(vendor=vendor, details=details)
    diff = [{"field": "bank_account", "label": "Remit-to bank account", "old": old, "new": new}]
    return BankCheck(diff=diff, warnings=warnings, problems=problems)


def _allowed(request: HttpRequest) -> None:
    """Only stewards reach the bank form (checked before re-authentication)."""
    require_steward(request)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
@checked_first(_allowed)
@reauthentication_required
def bank_change(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the form; POST action=preview: the masked check; POST action=submit: the bank change request."""
    user, facilities = require_steward(request)
    vendor = vendor_get(principal=user, number=number)
    data = request.POST if request.method == "POST" else None
    form = BankChangeForm(data, facilities=facilities, initial={"holder_name": vendor.legal_name})
    check: BankCheck | None = None
    stale = False
    if data is not None and form.is_valid():
        values = form.cleaned_data
        try:
            details = bank_details_validate(
                routing_number=values["routing_number"],
                account_number=values["account_number"],
                iban=values["iban"],
                bic=values["bic"],
            )
        except ValidationError as invalid:
            for name, problems in invalid.message_dict.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        else:
            check = bank_check(vendor, values["holder_name"], details)
            if data.get("action") == "submit":
                if constant_time_compare(data.get("checked", ""), check.token):
                    try:
                        change = bank_change_request_submit(
                            actor=user,
                            vendor=vendor,
                            facility=values["facility"],
                            holder_name=values["holder_name"],
                            reason=values["reason"],
                            routing_number=values["routing_number"],
                            account_number=values["account_number"],
                            iban=values["iban"],
                            bic=values["bic"],
                            duplicate_warnings=check.warnings,
                        )
                    except ApplicationError as refusal:
                        errors_onto_form(form, refusal)
                    else:
                        messages.success(
                            request,
                            f"CR-{change.pk} submitted: someone else now calls {vendor.number} back on a number on "
                            "file, then two procurement admins approve.",
                        )
                        return redirect("vendors:change_request", pk=change.pk)
                else:
                    stale = True
    context = {
        "vendor": vendor,
        "form": form,
        "check": check if not form.errors else None,
        "stale": stale,
        "phones": phones_on_file(vendor),
    }
    return render(request, "vendors/bank_form.html", context, status=422 if form.errors else 200)
