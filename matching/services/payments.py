"""What the ERP tells us happened to an approved invoice: it accepted our post (`posted`), it paid it (`paid`).

Both transitions are idempotent (a redelivered confirmation or a re-pulled payment changes nothing) and audited with
the ERP's reference in the change reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from matching.models import Invoice, InvoiceStatus
from matching.services._common import _save
from p2p_portal.errors import ApplicationError

POSTABLE = frozenset({InvoiceStatus.APPROVED})
PAYABLE = frozenset({InvoiceStatus.APPROVED, InvoiceStatus.POSTED})


@transaction.atomic
def invoice_mark_posted(*, actor: Any, invoice: Invoice, reference: str) -> bool:
    """The ERP accepted the approved invoice as `reference`: it becomes `posted`; True when it changed."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status in (InvoiceStatus.POSTED, InvoiceStatus.PAID):
        return False  # a redelivered confirmation, or the payment was pulled first
    if invoice.status not in POSTABLE:
        raise ApplicationError(
            f"Invoice {invoice.invoice_number} is {invoice.status}; only an approved invoice can be posted.",
            code="invoice_not_approved",
        )
    invoice.status = InvoiceStatus.POSTED
    _save(invoice, actor, f"posted to the ERP as {reference}")
    return True


@transaction.atomic
def invoice_mark_paid(*, actor: Any, invoice: Invoice, paid_on: date | None, reference: str) -> bool:
    """The ERP paid the invoice (its `reference`, on `paid_on`): it becomes `paid`; True when it changed."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status == InvoiceStatus.PAID:
        return False
    if invoice.status not in PAYABLE:
        raise ApplicationError(
            f"Invoice {invoice.invoice_number} is {invoice.status}; the ERP reports it paid.",
            code="invoice_not_payable",
        )
    invoice.status = InvoiceStatus.PAID
    on = f" on {paid_on.isoformat()}" if paid_on else ""
    _save(invoice, actor, f"paid in the ERP ({reference}){on}")
    return True
