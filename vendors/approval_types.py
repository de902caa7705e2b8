"""The vendors app's document types in the approvals engine (registered from VendorsConfig.ready())."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from approvals import registry
from approvals.models import ApprovalRequest, RequestStatus, RiskLevel
from approvals.registry import DocumentFacts, DocumentType
from vendors.models import ChangeKind, ChangeRequest, ChangeStatus
from vendors.services.bank import VENDOR_BANK_CHANGE, bank_change_apply, bank_change_check_callback, callers
from vendors.services.changes import VENDOR_CHANGE, change_request_apply, change_request_close


def _load(document_id: str) -> ChangeRequest:
    return ChangeRequest.objects.select_related("vendor", "facility", "submitted_by").get(pk=int(document_id))


def _risk(change: ChangeRequest) -> str:
    if change.kind == ChangeKind.BANK_ACCOUNT:
        return RiskLevel.HIGH
    if change.kind == ChangeKind.CREATE or {"tax_id", "status", "sites"} & set(change.fields):
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def _describe(change: ChangeRequest) -> DocumentFacts:
    vendor = change.vendor
    labels = ", ".join(entry["label"] for entry in change.diff) or "no fields"
    summary = (
        f"New vendor {vendor.number} {vendor.legal_name}"
        if change.kind == ChangeKind.CREATE
        else f"{change.get_kind_display()} of {vendor.number} {vendor.legal_name}: {labels}"
    )
    excluded = tuple((user_id, "made the call-back this approval relies on") for user_id in callers(change))
    return DocumentFacts(
        amount=Decimal("0"),
        currency=vendor.currency,
        facility=change.facility,
        risk_level=_risk(change),
        summary=summary,
        requester=change.submitted_by,
        created_by_id=change.submitted_by_id,
        subjects=(f"vendor:{vendor.pk}",),
        excluded_approvers=excluded,
    )


def _review_url(request: ApprovalRequest) -> str:
    return reverse("vendors:change_request", args=[int(request.document_id)])


def _rejected(request: ApprovalRequest) -> None:
    change_request_close(approval=request, status=ChangeStatus.REJECTED)


def _withdrawn(request: ApprovalRequest) -> None:
    change_request_close(approval=request, status=ChangeStatus.WITHDRAWN)


def _approved(request: ApprovalRequest) -> None:
    assert request.status == RequestStatus.APPROVED  # noqa: S101
    change_request_apply(approval=request)


def _bank_approved(request: ApprovalRequest) -> None:
    bank_change_apply(approval=request)


def register() -> None:
    """Register vendor changes and bank-account changes with the approvals engine."""
    registry.register(
        DocumentType(
            code=VENDOR_CHANGE,
            label="Vendor change",
            load=_load,
            describe=_describe,
            on_approved=_approved,
            on_rejected=_rejected,
            on_withdrawn=_withdrawn,
            review_url=_review_url,
        )
    )
    registry.register(
        DocumentType(
            code=VENDOR_BANK_CHANGE,
            label="Vendor bank-account change",
            load=_load,
            describe=_describe,
            on_approved=_bank_approved,
            on_rejected=_rejected,
            on_withdrawn=_withdrawn,
            before_approve=lambda request: bank_change_check_callback(approval=request),
            requires_reauthentication=True,
            review_url=_review_url,
        )
    )
