"""Invoices in the approvals engine: an invoice without a PO is approved by people before it may be paid."""

from __future__ import annotations

from approvals import registry
from approvals.models import ApprovalRequest, RiskLevel
from approvals.registry import DocumentFacts, DocumentType
from matching.models import Invoice
from matching.services.approval import INVOICE_DOCUMENT, invoice_approval_closed


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


def register() -> None:
    """Register invoices with the approvals engine."""
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
