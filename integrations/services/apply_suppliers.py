"""Suppliers from a system to the supplier master, by cross-reference (system code, external id).

A supplier new here becomes a vendor the way vendors/services/imports.py onboards a source system's suppliers (an
active golden record with its address, receivables contact and cross-reference, then duplicate keys and a first
exclusion screen). A known supplier whose governed values differ becomes a change request routed for approval,
never a silent overwrite; only the cross-reference's bookkeeping (last payload, last seen) is written directly.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations.canonical import SupplierRecord
from integrations.models import ExternalSystem
from integrations.services.apply import Outcome, RecordRejectedError, Resolver
from integrations.services.payloads import canonical_payload
from p2p_portal.errors import InvalidInputError
from p2p_portal.models import Facility
from p2p_portal.services import system_user
from vendors.identifiers import tax_id_guess_kind, tax_id_normalise
from vendors.models import ChangeKind, ChangeRequest, SiteKind, SourceReference, Vendor, VendorStatus
from vendors.selectors import current_contacts, current_sites, proposal_duplicates
from vendors.services._common import _save
from vendors.services.changes import (
    VENDOR_CHANGE,
    VendorProposal,
    _route,
    open_requests_touching,
    vendor_change_preview,
)
from vendors.services.imports import RECEIVABLES_CONTACT, source_reference_record
from vendors.services.records import (
    ContactData,
    SiteData,
    vendor_contacts_replace,
    vendor_record_create,
    vendor_sites_replace,
)


def _tax_id(record: SupplierRecord) -> tuple[str, str]:
    if not record.tax_id:
        return "", ""
    kind = tax_id_guess_kind(record.tax_id)
    try:
        return tax_id_normalise(record.tax_id, kind), kind
    except ValidationError as error:
        raise ValidationError({"tax_id": error.messages}) from error


def _site(record: SupplierRecord) -> SiteData | None:
    address = record.remit_to
    if address is None:
        return None
    return SiteData(
        kind=SiteKind.REMIT_TO,
        address_line1=address.line1,
        address_line2=address.line2,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country or "US",
    )


def _contact(record: SupplierRecord) -> ContactData | None:
    if not record.contacts:
        return None
    first = record.contacts[0]
    if not (first.email or first.phone):
        return None
    return ContactData(
        name=first.name or RECEIVABLES_CONTACT, email=first.email, phone=first.phone, role=RECEIVABLES_CONTACT
    )


def supplier_apply(*, actor: Any, system: ExternalSystem, record: SupplierRecord, resolver: Resolver) -> Outcome:
    """Create the vendor of a new supplier, or propose the governed changes of a known one."""
    reference = (
        SourceReference.objects.select_related("vendor")
        .filter(system=system.code, external_id=record.external_id)
        .first()
    )
    payload = canonical_payload(record)
    if reference is None:
        _vendor_create(actor=actor, system=system, record=record, payload=payload)
        return Outcome.CREATED
    outcome = _changes_propose(actor=actor, system=system, record=record, vendor=reference.vendor)
    source_reference_record(
        actor=actor, vendor=reference.vendor, system=system.code, external_id=record.external_id, payload=payload
    )
    return outcome


def _vendor_create(*, actor: Any, system: ExternalSystem, record: SupplierRecord, payload: dict[str, Any]) -> Vendor:
    """An active vendor with its cross-reference, as the import of a source system's suppliers makes it."""
    from vendors.dedupe.store import match_keys_rebuild
    from vendors.screening.services import vendors_rescreen

    tax_id, kind = _tax_id(record)
    reason = f"synced from {system.code} supplier {record.external_id}"
    vendor = vendor_record_create(
        actor=actor,
        reason=reason,
        legal_name=record.legal_name,
        dba_name=record.dba_name,
        tax_id=tax_id,
        tax_id_kind=kind,
        status=VendorStatus.ACTIVE if record.active else VendorStatus.INACTIVE,
    )
    site, contact = _site(record), _contact(record)
    if site is not None:
        vendor_sites_replace(actor=actor, vendor=vendor, sites=[site], reason=reason)
    if contact is not None:
        vendor_contacts_replace(actor=actor, vendor=vendor, contacts=[contact], reason=reason)
    source_reference_record(
        actor=actor, vendor=vendor, system=system.code, external_id=record.external_id, payload=payload
    )
    match_keys_rebuild([vendor.pk])
    vendors_rescreen(actor=actor, trigger="create", vendor_ids=[vendor.pk])
    return vendor


def _proposal(record: SupplierRecord, vendor: Vendor) -> VendorProposal:
    """Everything the source says about governed values; the preview keeps only what differs."""
    fields: dict[str, Any] = {"legal_name": record.legal_name, "dba_name": record.dba_name}
    tax_id, kind = _tax_id(record)
    if tax_id:
        fields.update(tax_id=tax_id, tax_id_kind=kind)
    if not record.active and vendor.status == VendorStatus.ACTIVE:
        fields["status"] = VendorStatus.INACTIVE
    elif record.active and vendor.status == VendorStatus.INACTIVE:
        fields["status"] = VendorStatus.ACTIVE
    sites = None
    site = _site(record)
    current = current_sites(vendor)
    if site is not None and site not in [s for s in current if s.kind == SiteKind.REMIT_TO]:
        # The source's address replaces our remit-to address; other kinds of site stay as they are.
        sites = [s for s in current if s.kind != SiteKind.REMIT_TO] + [site]
    contacts = None
    contact = _contact(record)
    if contact is not None:
        people = current_contacts(vendor)
        if contact not in people:
            contacts = [c for c in people if c.role != RECEIVABLES_CONTACT] + [contact]
    return VendorProposal(fields=fields, sites=sites, contacts=contacts)


def _serialised(proposal: VendorProposal, fields: dict[str, Any], touched: list[str]) -> dict[str, Any]:
    """What the change request stores, as vendor_change_request_submit stores it."""
    kept = {name: value for name, value in fields.items() if name in touched or name == "tax_id_kind"}
    payload: dict[str, Any] = {"fields": kept}
    if proposal.sites is not None and "sites" in touched:
        payload["sites"] = [site.as_dict() for site in proposal.sites]
    if proposal.contacts is not None and "contacts" in touched:
        payload["contacts"] = [contact.as_dict() for contact in proposal.contacts]
    return payload


def _changes_propose(*, actor: Any, system: ExternalSystem, record: SupplierRecord, vendor: Vendor) -> Outcome:
    """A change request for the governed values that differ; unchanged when none differ or one already proposes
    exactly this; refused (dead letter) while another open request touches the same fields."""
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    proposal = _proposal(record, vendor)
    try:
        preview = vendor_change_preview(vendor=vendor, proposal=proposal)
    except InvalidInputError as error:
        if error.code == "no_change":
            return Outcome.UNCHANGED
        raise
    proposed = _serialised(proposal, preview.fields, preview.touched)
    open_requests = open_requests_touching(vendor, preview.touched)
    if any(change.proposed == proposed for change in open_requests):
        return Outcome.UNCHANGED
    if open_requests:
        raise RecordRejectedError(
            f"supplier {record.external_id} changed {', '.join(preview.touched)} of {vendor.number}, but CR-"
            f"{open_requests[0].pk} already proposes changes to them; replay once it is decided"
        )
    submitter = actor if isinstance(actor, User) else system_user()
    change = ChangeRequest(
        kind=ChangeKind.UPDATE,
        vendor=vendor,
        facility=_approving_facility(system),
        diff=preview.diff,
        fields=preview.touched,
        proposed=proposed,
        reason=f"{system.name} ({system.code}) changed supplier {record.external_id}",
        duplicate_warnings=proposal_duplicates(
            vendor=vendor, fields=preview.fields, sites=proposal.sites, contacts=proposal.contacts
        ),
        submitted_by=submitter,
        submitted_at=timezone.now(),
    )
    _save(change, actor, f"change of {', '.join(preview.touched)} proposed by sync from {system.code}")
    _route(submitter, change, VENDOR_CHANGE)
    return Outcome.UPDATED


def _approving_facility(system: ExternalSystem) -> Facility:
    """Where a change request from this system is approved: its facility, else the network's first."""
    facility = system.facility or Facility.objects.order_by("pk").first()
    if facility is None:
        raise RecordRejectedError("no facility to route the change request to")
    return facility
