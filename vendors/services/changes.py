"""Governed changes of the golden record: new vendors and changes of governed fields are change requests with a
field-level diff, approved through the approvals engine by someone other than the steward who proposed them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from approvals.models import ApprovalRequest
from approvals.services import approval_request_submit, approval_request_withdraw
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from p2p_portal.selectors import has_role_at
from p2p_portal.services import outbox_event_record
from vendors.identifiers import npi_normalise, tax_id_display, tax_id_normalise
from vendors.models import ChangeKind, ChangeRequest, ChangeStatus, SiteKind, Vendor, VendorStatus
from vendors.selectors import current_contacts, current_sites, proposal_duplicates
from vendors.services._common import _save
from vendors.services.records import (
    ContactData,
    SiteData,
    vendor_contacts_replace,
    vendor_record_create,
    vendor_sites_replace,
)

VENDOR_CHANGE = "vendor_change"

# The scalar fields a change request governs, with the labels people read in the diff.
GOVERNED_FIELDS: dict[str, str] = {
    "legal_name": "Legal name",
    "dba_name": "DBA name",
    "tax_id": "Tax id",
    "tax_id_kind": "Tax id kind",
    "duns": "DUNS",
    "gln": "GLN",
    "npi": "NPI",
    "uei": "SAM UEI",
    "status": "Status",
    "payment_terms": "Payment terms",
    "currency": "Currency",
    "is_1099": "1099 reportable",
    "w9_received_on": "W-9 received",
}
# Contacts are governed too: their phone numbers are the ones bank-change call-backs may use.
GOVERNED_GROUPS = {"sites": "Addresses", "contacts": "Contacts"}
# Statuses a change request may set; draft and pending_approval belong to the creation workflow.
PROPOSABLE_STATUSES = (VendorStatus.ACTIVE, VendorStatus.ON_HOLD, VendorStatus.BLOCKED, VendorStatus.INACTIVE)
# Changes of these fields re-screen the vendor against the exclusion lists.
SCREENED_FIELDS = {"legal_name", "dba_name", "tax_id", "npi", "uei", "sites"}


@dataclass(frozen=True)
class VendorProposal:
    """What a steward proposes: the governed fields they set (others stay), and optionally all sites/contacts."""

    fields: dict[str, Any] = field(default_factory=dict)
    sites: list[SiteData] | None = None
    contacts: list[ContactData] | None = None


def _display(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _site_line(site: SiteData) -> str:
    parts = [site.address_line1, site.address_line2, site.city, site.state, site.postal_code, site.country]
    text = ", ".join(part for part in parts if part)
    kind = SiteKind(site.kind).label if site.kind in SiteKind.values else site.kind
    return f"{kind}: {text}" + (f" · tel {site.phone}" if site.phone else "")


def _contact_line(contact: ContactData) -> str:
    extras = " · ".join(part for part in (contact.role, contact.email, contact.phone) if part)
    return f"{contact.name}" + (f" ({extras})" if extras else "")


def _clean_fields(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate and normalise proposed scalar fields; errors are keyed by field."""
    unknown = sorted(set(values) - set(GOVERNED_FIELDS))
    if unknown:
        raise InvalidInputError(
            f"Not governed fields: {', '.join(unknown)}.",
            code="unknown_field",
            errors={k: ["Unknown field."] for k in unknown},
        )
    cleaned = dict(values)
    errors: dict[str, list[str]] = {}
    if cleaned.get("tax_id"):
        kind = cleaned.get("tax_id_kind") or ""
        if not kind:
            errors["tax_id_kind"] = ["Say which kind of tax id this is (EIN, SSN or VAT)."]
        else:
            try:
                cleaned["tax_id"] = tax_id_normalise(str(cleaned["tax_id"]), kind)
            except ValidationError as error:
                errors["tax_id"] = error.messages
    if cleaned.get("npi"):
        try:
            cleaned["npi"] = npi_normalise(str(cleaned["npi"]))
        except ValidationError as error:
            errors["npi"] = error.messages
    if cleaned.get("uei"):
        cleaned["uei"] = str(cleaned["uei"]).strip().upper()
        if not re.fullmatch(r"[A-Z0-9]{12}", cleaned["uei"]):
            errors["uei"] = ["A SAM Unique Entity ID is 12 letters and digits."]
    if "status" in cleaned and not creating and cleaned["status"] not in PROPOSABLE_STATUSES:
        errors["status"] = [f"A change may set the status to {', '.join(PROPOSABLE_STATUSES)}."]
    if "legal_name" in cleaned and not str(cleaned["legal_name"]).strip():
        errors["legal_name"] = ["A vendor needs a legal name."]
    if errors:
        raise InvalidInputError("Some proposed values are not valid.", code="invalid_change", errors=errors)
    return cleaned


def _diff(
    vendor: Vendor | None, proposal: VendorProposal, fields: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Field-level differences (old -> new) and the governed groups they touch."""
    diff: list[dict[str, Any]] = []
    touched: list[str] = []
    for name, label in GOVERNED_FIELDS.items():
        if name not in fields:
            continue
        old = getattr(vendor, name) if vendor is not None else None
        new = fields[name]
        if _display(name, old) == _display(name, new):
            continue
        old_text, new_text = _display(name, old), _display(name, new)
        if name == "tax_id":
            kind = fields.get("tax_id_kind") or (vendor.tax_id_kind if vendor else "")
            old_text = tax_id_display(old_text, vendor.tax_id_kind if vendor else "")
            new_text = tax_id_display(new_text, kind)
        diff.append({"field": name, "label": label, "old": old_text, "new": new_text})
        touched.append(name)
    for group, proposed, current, line in (
        ("sites", proposal.sites, current_sites(vendor) if vendor else [], _site_line),
        ("contacts", proposal.contacts, current_contacts(vendor) if vendor else [], _contact_line),
    ):
        if proposed is None or sorted(map(line, proposed)) == sorted(map(line, current)):  # type: ignore[arg-type]
            continue
        old_lines, new_lines = [line(x) for x in current], [line(x) for x in proposed]  # type: ignore[arg-type]
        diff.append(
            {
                "field": group,
                "label": GOVERNED_GROUPS[group],
                "old": "\n".join(old_lines),
                "new": "\n".join(new_lines),
                "removed": [x for x in old_lines if x not in new_lines],
                "added": [x for x in new_lines if x not in old_lines],
            }
        )
        touched.append(group)
    return diff, touched


@dataclass(frozen=True)
class ChangePreview:
    """What a proposal would record, worked out without saving: cleaned values, the diff, the fields it touches."""

    fields: dict[str, Any]
    diff: list[dict[str, Any]]
    touched: list[str]


def vendor_change_preview(*, vendor: Vendor | None, proposal: VendorProposal) -> ChangePreview:
    """Validate a proposal and compute its diff exactly as submitting it would (None: a new vendor); the form's
    Check step shows this, so what the steward sees is what the request records."""
    if vendor is not None and vendor.merged_into_id is not None:
        raise ApplicationError(
            f"{vendor.number} was merged into another vendor; change that one.", code="vendor_merged"
        )
    fields = _clean_fields(proposal.fields, creating=vendor is None)
    if vendor is None:
        fields.pop("status", None)
    diff, touched = _diff(vendor, proposal, fields)
    if vendor is not None and not diff:
        raise InvalidInputError("The proposal changes nothing.", code="no_change")
    return ChangePreview(fields=fields, diff=diff, touched=touched)


def _require_steward(actor: User, facility: Facility) -> None:
    if not has_role_at(actor, Role.VENDOR_STEWARD, facility):
        raise NotAllowedError(
            f"Only a vendor steward at {facility.code} may propose vendor changes there.", code="not_a_steward"
        )


def open_requests_touching(vendor: Vendor, fields: list[str]) -> list[ChangeRequest]:
    """Open change requests of the vendor that share at least one governed field with `fields`."""
    wanted = set(fields)
    return [cr for cr in vendor.change_requests.filter(status=ChangeStatus.PENDING) if wanted & set(cr.fields)]


def _refuse_overlap(vendor: Vendor, fields: list[str]) -> None:
    clashes = open_requests_touching(vendor, fields)
    if clashes:
        clash = clashes[0]
        shared = sorted(set(fields) & set(clash.fields))
        raise ApplicationError(
            f"CR-{clash.pk} already proposes changes to {', '.join(shared)} of {vendor.number}; wait for its decision"
            " or withdraw it first.",
            code="change_request_overlaps",
            extra={"open_change_request": clash.pk, "fields": shared},
        )


def _serialise(proposal: VendorProposal, fields: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"fields": {k: _display(k, v) if isinstance(v, date) else v for k, v in fields.items()}}
    if proposal.sites is not None:
        payload["sites"] = [site.as_dict() for site in proposal.sites]
    if proposal.contacts is not None:
        payload["contacts"] = [contact.as_dict() for contact in proposal.contacts]
    return payload


@transaction.atomic
def vendor_create_request_submit(
    *,
    actor: User,
    facility: Facility,
    proposal: VendorProposal,
    reason: str,
    duplicate_warnings: list[dict[str, Any]] | None = None,
) -> ChangeRequest:
    """Propose a new vendor: it is recorded as pending approval (so it has a number and is screened) and becomes
    active only when a procurement admin approves."""
    _require_steward(actor, facility)
    if not reason.strip():
        raise InvalidInputError(
            "Say why the vendor is needed.", code="reason_required", errors={"reason": ["Required."]}
        )
    preview = vendor_change_preview(vendor=None, proposal=proposal)
    fields, diff, touched = preview.fields, preview.diff, preview.touched
    if not fields.get("legal_name"):
        raise InvalidInputError(
            "A vendor needs a legal name.", code="invalid_change", errors={"legal_name": ["Required."]}
        )
    if duplicate_warnings is None:  # callers that showed none to the steward (the API) still record them
        duplicate_warnings = proposal_duplicates(
            vendor=None, fields=fields, sites=proposal.sites, contacts=proposal.contacts
        )
    try:
        vendor = vendor_record_create(
            actor=actor, reason=f"proposed by {actor}", status=VendorStatus.PENDING_APPROVAL, **fields
        )
    except ValidationError as error:
        raise InvalidInputError(
            "Some proposed values are not valid.", code="invalid_change", errors=error.message_dict
        ) from error
    if proposal.sites:
        vendor_sites_replace(actor=actor, vendor=vendor, sites=proposal.sites, reason="proposed")
    if proposal.contacts:
        vendor_contacts_replace(actor=actor, vendor=vendor, contacts=proposal.contacts, reason="proposed")
    change = ChangeRequest(
        kind=ChangeKind.CREATE,
        vendor=vendor,
        facility=facility,
        diff=diff,
        fields=[*GOVERNED_FIELDS, *GOVERNED_GROUPS],
        proposed=_serialise(proposal, fields),
        reason=reason,
        duplicate_warnings=duplicate_warnings or [],
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    _save(change, actor, "new vendor proposed")
    _after_record_change(actor=actor, vendor=vendor, touched=set(touched), trigger="create")
    _route(actor, change, VENDOR_CHANGE)
    return change


@transaction.atomic
def vendor_change_request_submit(
    *,
    actor: User,
    vendor: Vendor,
    facility: Facility,
    proposal: VendorProposal,
    reason: str,
    duplicate_warnings: list[dict[str, Any]] | None = None,
) -> ChangeRequest:
    """Propose changes of governed fields; refused when nothing changes or an open request touches the same fields."""
    _require_steward(actor, facility)
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)  # serialises the overlap check per vendor
    if not reason.strip():
        raise InvalidInputError(
            "Say why the change is needed.", code="reason_required", errors={"reason": ["Required."]}
        )
    preview = vendor_change_preview(vendor=vendor, proposal=proposal)
    fields, diff, touched = preview.fields, preview.diff, preview.touched
    _refuse_overlap(vendor, touched)
    if duplicate_warnings is None:
        duplicate_warnings = proposal_duplicates(
            vendor=vendor, fields=fields, sites=proposal.sites, contacts=proposal.contacts
        )
    if fields.get("status") == VendorStatus.ACTIVE and _confirmed_exclusion(vendor):
        raise ApplicationError(
            f"{vendor.number} has a confirmed exclusion-list match; it cannot be made active.", code="vendor_excluded"
        )
    change = ChangeRequest(
        kind=ChangeKind.UPDATE,
        vendor=vendor,
        facility=facility,
        diff=diff,
        fields=touched,
        proposed=_serialise(proposal, {k: v for k, v in fields.items() if k in touched or k == "tax_id_kind"}),
        reason=reason,
        duplicate_warnings=duplicate_warnings or [],
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    _save(change, actor, f"change of {', '.join(touched)} proposed")
    _route(actor, change, VENDOR_CHANGE)
    return change


def _confirmed_exclusion(vendor: Vendor) -> bool:
    from vendors.models import HitStatus

    return vendor.screening_hits.filter(status=HitStatus.CONFIRMED).exists()


def _route(actor: User, change: ChangeRequest, document_type: str) -> None:
    from vendors.services.defaults import vendor_approval_defaults_ensure

    # The default policies are created on first use, so a network that set up its own before keeps only those.
    vendor_approval_defaults_ensure()
    approval = approval_request_submit(actor=actor, document_type=document_type, document=change)
    change.approval_request = approval
    _save(change, actor, f"routed for approval (request {approval.pk})")


def _after_record_change(*, actor: Any, vendor: Vendor, touched: set[str], trigger: str) -> None:
    """Keep derived state in step with the record: duplicate keys always, screening when names or ids moved."""
    from vendors.dedupe.store import match_keys_rebuild
    from vendors.screening.services import vendor_screen

    match_keys_rebuild([vendor.pk])
    if touched & SCREENED_FIELDS:
        vendor_screen(actor=actor, vendor=vendor, trigger=trigger)


def _proposal_from(change: ChangeRequest) -> VendorProposal:
    payload = change.proposed
    fields = dict(payload.get("fields", {}))
    if fields.get("w9_received_on"):
        fields["w9_received_on"] = date.fromisoformat(fields["w9_received_on"])
    sites = [SiteData(**site) for site in payload["sites"]] if "sites" in payload else None
    contacts = [ContactData(**contact) for contact in payload["contacts"]] if "contacts" in payload else None
    return VendorProposal(fields=fields, sites=sites, contacts=contacts)


def change_request_apply(*, approval: ApprovalRequest) -> None:
    """Approval callback (inside the deciding transaction): apply the whole change atomically."""
    change = ChangeRequest.objects.select_for_update().get(pk=int(approval.document_id))
    if change.status != ChangeStatus.PENDING:
        raise ApplicationError(f"CR-{change.pk} is {change.get_status_display().lower()}.", code="change_not_pending")
    actor = _last_decider(approval)
    vendor = Vendor.objects.select_for_update().get(pk=change.vendor_id)
    note = f"CR-{change.pk} approved (request {approval.pk}; proposed by {change.submitted_by}): {change.reason}"
    if change.kind == ChangeKind.CREATE:
        vendor.status = VendorStatus.ACTIVE
        _save(vendor, actor, note)
        topic = "vendor.created"
    else:
        proposal = _proposal_from(change)
        for name, value in proposal.fields.items():
            setattr(vendor, name, value)
        if proposal.fields.get("status") == VendorStatus.ACTIVE and _confirmed_exclusion(vendor):
            raise ApplicationError(
                f"{vendor.number} has a confirmed exclusion-list match; it cannot be made active.",
                code="vendor_excluded",
            )
        try:
            _save(vendor, actor, note)
        except ValidationError as error:
            raise InvalidInputError(
                "The change no longer fits the record.", code="invalid_change", errors=error.message_dict
            ) from error
        if proposal.sites is not None:
            vendor_sites_replace(actor=actor, vendor=vendor, sites=proposal.sites, reason=note)
        if proposal.contacts is not None:
            vendor_contacts_replace(actor=actor, vendor=vendor, contacts=proposal.contacts, reason=note)
        _after_record_change(actor=actor, vendor=vendor, touched=set(change.fields), trigger="change")
        topic = "vendor.changed"
    change.status = ChangeStatus.APPLIED
    change.decided_at = timezone.now()
    change.decision_note = _last_comment(approval)
    _save(change, actor, note)
    outbox_event_record(
        actor=actor,
        topic=topic,
        subject=f"vendor:{vendor.pk}",
        payload={"vendor": vendor.number, "change_request": change.pk, "fields": change.fields},
    )


def change_request_close(*, approval: ApprovalRequest, status: str) -> None:
    """Rejection / withdrawal callback: the vendor is untouched (a proposed new vendor stays draft)."""
    change = ChangeRequest.objects.select_for_update().get(pk=int(approval.document_id))
    if change.status != ChangeStatus.PENDING:
        return
    actor = _last_decider(approval)
    change.status = status
    change.decided_at = timezone.now()
    change.decision_note = _last_comment(approval)
    _save(change, actor, f"CR-{change.pk} {status}: {change.decision_note}")
    if change.kind == ChangeKind.CREATE:
        vendor = change.vendor
        vendor.status = VendorStatus.DRAFT
        _save(vendor, actor, f"CR-{change.pk} {status}; the proposed vendor stays a draft")
    if change.bank_account_id is not None:
        from vendors.services.bank import proposed_bank_account_reject

        proposed_bank_account_reject(actor=actor, change=change)


def _last_decider(approval: ApprovalRequest) -> User:
    decision = approval.decisions.order_by("-decided_at", "-id").first()
    return decision.actor if decision is not None else approval.submitted_by


def _last_comment(approval: ApprovalRequest) -> str:
    decision = approval.decisions.order_by("-decided_at", "-id").first()
    return decision.comment if decision is not None else ""


@transaction.atomic
def change_request_withdraw(*, actor: User, change: ChangeRequest, reason: str = "") -> ChangeRequest:
    """The submitter withdraws an open request (through the approvals engine, which calls back to close it)."""
    if change.approval_request is None or change.status != ChangeStatus.PENDING:
        raise ApplicationError("Only an open change request can be withdrawn.", code="change_not_pending")
    approval_request_withdraw(actor=actor, request=change.approval_request, reason=reason)
    change.refresh_from_db()
    return change
