"""Bank-account changes, the classic payment-fraud vector: validated, proved by a call-back to a number already on
file, approved by two procurement admins who neither proposed it nor made the call, then a cooling-off period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from approvals.models import ApprovalRequest
from approvals.services import ledger_entry_record
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from p2p_portal.selectors import has_role_at
from p2p_portal.services import outbox_event_record
from vendors import crypto
from vendors.identifiers import bank_details_validate, phone_normalise
from vendors.models import (
    BankAccount,
    BankAccountReveal,
    BankAccountStatus,
    CallbackEvidence,
    CallbackOutcome,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Vendor,
    VendorStatus,
)
from vendors.selectors import bank_account_duplicates
from vendors.services._common import _save
from vendors.services.changes import _refuse_overlap, _require_steward, _route
from vendors.services.records import bank_account_record_create

VENDOR_BANK_CHANGE = "vendor_bank_change"
# The action the approvals ledger records for whoever proposed a bank change; conflict rules read it.
LEDGER_BANK_CHANGED = "vendor.bank_changed"


def phones_on_file(vendor: Vendor) -> list[str]:
    """Normalised phone numbers of the vendor's active contacts and sites: the only numbers a call-back may use."""
    numbers = [*vendor.contacts.filter(active=True).values_list("phone", flat=True)]
    numbers += [*vendor.sites.filter(active=True).values_list("phone", flat=True)]
    return sorted({phone_normalise(number) for number in numbers if phone_normalise(number)})


def bank_account_masked(holder: str, bank: str, last4: str) -> str:
    """A bank account as diffs and checks show it: holder, bank, last four digits, never the number."""
    return f"{holder} · {bank} · ••••{last4}"


def _masked(account: BankAccount | None) -> str:
    if account is None:
        return "(none)"
    return bank_account_masked(
        account.holder_name, account.routing_number or account.bic or account.country, account.account_last4
    )


@transaction.atomic
def bank_change_request_submit(
    *,
    actor: User,
    vendor: Vendor,
    facility: Facility,
    holder_name: str,
    reason: str,
    routing_number: str = "",
    account_number: str = "",
    iban: str = "",
    bic: str = "",
    duplicate_warnings: list[dict[str, Any]] | None = None,
) -> ChangeRequest:
    """Propose a new remit-to bank account (the browser and API ask for a fresh password proof before this)."""
    _require_steward(actor, facility)
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    if vendor.status in (VendorStatus.INACTIVE, VendorStatus.DRAFT) or vendor.merged_into_id is not None:
        raise ApplicationError(f"{vendor.number} is {vendor.get_status_display().lower()}.", code="vendor_not_active")
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Say why the account changes and how the vendor told you."]
    if not holder_name.strip():
        errors["holder_name"] = ["Give the account holder's name."]
    try:
        details = bank_details_validate(
            routing_number=routing_number, account_number=account_number, iban=iban, bic=bic
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise InvalidInputError("The bank account is not valid.", code="invalid_bank_account", errors=errors)
    _refuse_overlap(vendor, ["bank_account"])
    if duplicate_warnings is None:
        duplicate_warnings = bank_account_duplicates(vendor=vendor, details=details)
    on_file = phones_on_file(vendor)
    if not on_file:
        raise ApplicationError(
            f"{vendor.number} has no phone number on file to call back; add a contact through a change request first.",
            code="no_callback_number",
        )
    current = vendor.bank_accounts.filter(status=BankAccountStatus.ACTIVE).first()
    proposed = bank_account_record_create(
        actor=actor,
        vendor=vendor,
        holder_name=holder_name.strip(),
        details=details,
        status=BankAccountStatus.PROPOSED,
        reason="proposed by a bank-account change request",
    )
    if current is not None and current.fingerprint == proposed.fingerprint:
        raise InvalidInputError("This is already the vendor's bank account.", code="no_change")
    change = ChangeRequest(
        kind=ChangeKind.BANK_ACCOUNT,
        vendor=vendor,
        facility=facility,
        diff=[
            {
                "field": "bank_account",
                "label": "Remit-to bank account",
                "old": _masked(current),
                "new": _masked(proposed),
            }
        ],
        fields=["bank_account"],
        proposed={"bank_account": proposed.pk},
        reason=reason,
        bank_account=proposed,
        phones_on_file=on_file,
        duplicate_warnings=duplicate_warnings or [],
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    _save(change, actor, "bank-account change proposed")
    _route(actor, change, VENDOR_BANK_CHANGE)
    return change


@transaction.atomic
def bank_change_callback_record(
    *,
    actor: User,
    change: ChangeRequest,
    phone_number: str,
    contact_name: str,
    called_at: datetime,
    outcome: str,
    notes: str = "",
) -> CallbackEvidence:
    """Record the call-back: to a number on file before the request, by a steward or admin who did not propose it."""
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.kind != ChangeKind.BANK_ACCOUNT or change.status != ChangeStatus.PENDING:
        raise ApplicationError("Call-backs are recorded on open bank-account changes.", code="change_not_pending")
    if not (
        has_role_at(actor, Role.VENDOR_STEWARD, change.facility)
        or has_role_at(actor, Role.PROCUREMENT_ADMIN, change.facility)
    ):
        raise NotAllowedError(
            f"Only a vendor steward or procurement admin at {change.facility.code} records call-backs.",
            code="not_allowed_to_call_back",
        )
    if actor.pk == change.submitted_by_id:
        raise NotAllowedError(
            "Whoever proposed a bank change may not verify it; someone else makes the call-back.",
            code="callback_by_submitter",
        )
    errors: dict[str, list[str]] = {}
    if phone_normalise(phone_number) not in change.phones_on_file:
        errors["phone_number"] = [
            "Call a number that was on file before the request (a number given in the request or by the caller "
            "cannot prove anything): " + ", ".join(change.phones_on_file)
        ]
    if outcome not in CallbackOutcome.values:
        errors["outcome"] = [f"One of {', '.join(CallbackOutcome.values)}."]
    if called_at > timezone.now() + timedelta(minutes=1):
        errors["called_at"] = ["The call cannot be in the future."]
    elif called_at < change.submitted_at.replace(microsecond=0):  # forms give whole seconds
        errors["called_at"] = ["The call must follow the request it verifies."]
    if not contact_name.strip():
        errors["contact_name"] = ["Whom did you speak to?"]
    if errors:
        code = "callback_number_not_on_file" if "phone_number" in errors else "invalid_callback"
        raise InvalidInputError("The call-back cannot be accepted.", code=code, errors=errors)
    evidence = CallbackEvidence(
        change_request=change,
        phone_number=phone_normalise(phone_number),
        contact_name=contact_name.strip(),
        called_by=actor,
        called_at=called_at,
        outcome=outcome,
        notes=notes,
        recorded_at=timezone.now(),
    )
    _save(evidence, actor, f"call-back on CR-{change.pk}: {outcome}")
    return evidence


def callers(change: ChangeRequest) -> list[int]:
    """Ids of the people who made call-backs on the request (they may not approve it)."""
    return list(change.callbacks.values_list("called_by_id", flat=True).distinct())


def bank_change_check_callback(*, approval: ApprovalRequest) -> None:
    """Approval guard: the latest call-back must have confirmed the change."""
    change = ChangeRequest.objects.get(pk=int(approval.document_id))
    latest = change.callbacks.order_by("-called_at", "-id").first()
    if latest is None:
        raise ApplicationError(
            "Call the vendor back on a number on file and record the outcome before approving.",
            code="callback_required",
        )
    if latest.outcome != CallbackOutcome.CONFIRMED:
        raise ApplicationError(
            f"The latest call-back ({latest.called_at:%Y-%m-%d %H:%M}) did not confirm the change: "
            f"{latest.get_outcome_display().lower()}.",
            code="callback_not_confirmed",
        )


def bank_change_apply(*, approval: ApprovalRequest) -> None:
    """Approval callback: activate the proposed account, retire the old one, start the cooling-off, tell the vendor."""
    from vendors.services.changes import _last_comment, _last_decider

    change = ChangeRequest.objects.select_for_update().get(pk=int(approval.document_id))
    actor = _last_decider(approval)
    vendor = Vendor.objects.select_for_update().get(pk=change.vendor_id)
    now = timezone.now()
    note = f"CR-{change.pk} approved (request {approval.pk}; proposed by {change.submitted_by}): {change.reason}"
    for old in vendor.bank_accounts.filter(status=BankAccountStatus.ACTIVE):
        old.status = BankAccountStatus.RETIRED
        old.retired_at = now
        _save(old, actor, note)
    proposed = change.bank_account
    assert proposed is not None  # a bank change always carries its account  # noqa: S101
    proposed.status = BankAccountStatus.ACTIVE
    proposed.activated_at = now
    _save(proposed, actor, note)
    vendor.bank_changed_at = now
    _save(vendor, actor, note)
    change.status = ChangeStatus.APPLIED
    change.decided_at = now
    change.decision_note = _last_comment(approval)
    _save(change, actor, note)
    ledger_entry_record(
        actor=actor,
        user=change.submitted_by,
        action=LEDGER_BANK_CHANGED,
        subject=f"vendor:{vendor.pk}",
        facility=change.facility,
        occurred_at=now,
    )
    outbox_event_record(
        actor=actor,
        topic="vendor.bank_changed",
        subject=f"vendor:{vendor.pk}",
        payload={"vendor": vendor.number, "change_request": change.pk, "account_last4": proposed.account_last4},
    )
    from vendors.dedupe.store import match_keys_rebuild

    match_keys_rebuild([vendor.pk])
    recipients = sorted(
        {email for email in vendor.contacts.filter(active=True).values_list("email", flat=True) if email}
    )
    if recipients:
        subject = f"Your bank account on file with us changed ({vendor.number})"
        body = (
            f"The remit-to bank account we hold for {vendor.legal_name} ({vendor.number}) was changed on "
            f"{now:%Y-%m-%d} to an account ending {proposed.account_last4}.\n\n"
            "If you did not ask for this change, call your contact in our accounts payable team at once, on a "
            "number you already know (not one given in this message)."
        )
        transaction.on_commit(lambda: send_mail(subject, body, None, recipients, fail_silently=False))


def proposed_bank_account_reject(*, actor: Any, change: ChangeRequest) -> None:
    """A rejected or withdrawn bank change leaves its proposed account rejected (never usable)."""
    account = change.bank_account
    if account is not None and account.status == BankAccountStatus.PROPOSED:
        account.status = BankAccountStatus.REJECTED
        _save(account, actor, f"CR-{change.pk} {change.status}")


@transaction.atomic
def bank_account_reveal(*, actor: User, account: BankAccount, reason: str) -> str:
    """The full account number (or IBAN) for someone allowed to see it; every reveal is recorded with its reason."""
    if not actor.has_perm("vendors.reveal_bankaccount"):
        raise NotAllowedError("Only procurement admins may reveal bank account numbers.", code="reveal_not_allowed")
    if not reason.strip():
        raise InvalidInputError(
            "Say why you need the full number.", code="reason_required", errors={"reason": ["Required."]}
        )
    _save(
        BankAccountReveal(bank_account=account, user=actor, reason=reason.strip(), revealed_at=timezone.now()),
        actor,
        f"bank account {account.pk} revealed: {reason.strip()}",
    )
    if account.iban_encrypted:
        return crypto.decrypt(account.iban_encrypted)
    return crypto.decrypt(account.account_number_encrypted)
