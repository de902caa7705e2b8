"""Re-matching: when what an invoice was judged against changes (a receipt arrives, a vendor becomes active, a
bank change's cooling-off ends), its exceptions are judged again; those that no longer hold are resolved with the
reason and the invoice moves on when none are left."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from matching.models import ExceptionState, Invoice, PurchaseOrder
from matching.services.invoices import MATCHABLE_STATUSES, invoice_match

# Exceptions that the supplier master decides: they may stop holding without anything happening to the invoice.
VENDOR_CODES = ("vendor_unknown", "vendor_not_active", "vendor_excluded", "bank_unverified")
BATCH = 500


@dataclass(frozen=True)
class RematchRun:
    """How many invoices a re-match looked at and how many it moved out of exception."""

    invoices: int
    cleared: int


def invoices_rematch(*, actor: Any, invoice_ids: Iterable[int]) -> RematchRun:
    """Match each invoice again, each in its own transaction (one failure does not undo the others)."""
    looked = cleared = 0
    for invoice_id in sorted(set(invoice_ids)):
        invoice = Invoice.objects.filter(pk=invoice_id, status__in=MATCHABLE_STATUSES).first()
        if invoice is None:
            continue
        before = invoice.status
        after = invoice_match(actor=actor, invoice=invoice).status
        looked += 1
        cleared += int(before == "exception" and after != "exception")
    return RematchRun(looked, cleared)


def invoices_waiting_on_purchase_order(order: PurchaseOrder) -> QuerySet[Invoice]:
    """Invoices of a PO that a receipt may change the judgement of."""
    return Invoice.objects.filter(
        facility_id=order.facility_id, po_number=order.number, status__in=MATCHABLE_STATUSES
    ).order_by("pk")


def invoices_waiting_on_vendors() -> QuerySet[Invoice]:
    """Invoices held by an open supplier-master exception (re-judged by the periodic sweep)."""
    return (
        Invoice.objects.filter(
            status__in=MATCHABLE_STATUSES, exceptions__state=ExceptionState.OPEN, exceptions__code__in=VENDOR_CODES
        )
        .distinct()
        .order_by("pk")
    )
