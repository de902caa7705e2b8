"""Invoices in the approvals engine: an invoice without a PO is approved by people before it may be paid, and a
variance above a clerk's authority by an AP manager before it is accepted."""

from __future__ import annotations

from approvals import registry
from approvals.models import ApprovalRequest, RiskLevel
from approvals.registry import DocumentFacts, DocumentType
from matching.models import Invoice, WorkItem
from matching.services.approval import INVOICE_DOCUMENT, invoice_approval_closed
from matching.services.workbench.actions import VARIANCE_DOCUMENT
from matching.services.workbench.variance_approval import (
    variance_amount_pending,
    variance_approval_closed,
    variance_request_action,
)


def _load(document_id: str) -> Invoice:
    return Invoice.objects.select_related("facility", "vendor", "keyed_by", "cost_center").get(pk=int(document_id))


def _describe(invoice: Invoice) -> DocumentFacts:
    vendor = invoice.vendor.legal_name if invoice.vendor else "unknown vendor"
    return DocumentFacts(
        amount=invoice.total_amount,
        currency=invoice.currency,
        facility=invoice.facility,
        cost_center=invoice.cost_center,
        risk_level=RiskLevel.MEDIUM,
        summary=f"Non-PO {invoice.get_document_type_display().lower()} {invoice.invoice_number} from {vendor}",
        requester=invoice.keyed_by,
        created_by_id=invoice.keyed_by_id,
        subjects=(f"vendor:{invoice.vendor_id}",) if invoice.vendor_id else (),
    )


def _approved(request: ApprovalRequest) -> None:
    invoice_approval_closed(approval=request, approved=True)


def _rejected(request: ApprovalRequest) -> None:
    invoice_approval_closed(approval=request, approved=False)


def _load_item(document_id: str) -> WorkItem:
    return WorkItem.objects.select_related("facility", "invoice__vendor", "invoice__keyed_by").get(pk=int(document_id))


def _describe_variance(item: WorkItem) -> DocumentFacts:
    invoice = item.invoice
    vendor = invoice.vendor.legal_name if invoice.vendor else "unknown vendor"
    request = variance_request_action(item)
    requester = request.actor if request is not None else None
    authority = request.detail.get("authority", "") if request is not None else ""
    return DocumentFacts(
        amount=variance_amount_pending(item),
        currency=invoice.currency,
        facility=item.facility,
        risk_level=RiskLevel.MEDIUM,
        summary=(
            f"Variance of {variance_amount_pending(item)} {invoice.currency} on invoice {invoice.invoice_number} from"
            f" {vendor}, above {requester}'s authority of {authority}"
        ),
        requester=requester,
        # Whoever keyed the invoice by hand may not approve its variances either (maker-checker).
        created_by_id=invoice.keyed_by_id,
        subjects=(f"vendor:{invoice.vendor_id}",) if invoice.vendor_id else (),
    )


def _variance_approved(request: ApprovalRequest) -> None:
    variance_approval_closed(approval=request, approved=True)


def _variance_closed(request: ApprovalRequest) -> None:
    variance_approval_closed(approval=request, approved=False)


def _variance_review_url(request: ApprovalRequest) -> str:
    return f"/workbench/items/{request.document_id}/"


def register() -> None:
    """Register invoices and invoice variances with the approvals engine."""
    registry.register(
        DocumentType(
            code=INVOICE_DOCUMENT,
            label="Invoice without a PO",
            load=_load,
            describe=_describe,
            on_approved=_approved,
            on_rejected=_rejected,
        )
    )
    registry.register(
        DocumentType(
            code=VARIANCE_DOCUMENT,
            label="Invoice variance above a clerk's authority",
            load=_load_item,
            describe=_describe_variance,
            on_approved=_variance_approved,
            on_rejected=_variance_closed,
            on_withdrawn=_variance_closed,
            review_url=_variance_review_url,
        )
    )
