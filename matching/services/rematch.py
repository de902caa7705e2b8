"""Re-matching: when what an invoice was judged against changes (a receipt arrives, a vendor becomes active, a
bank change's cooling-off ends), its exceptions are judged again; those that no longer hold are resolved with the
reason and the invoice moves on when none are left."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from matching.models import ExceptionState, Invoice, PurchaseOrder
from matching.services.batch_match import MATCHABLE_STATUSES, invoices_match_batch

# Exceptions that the supplier master decides: they may stop holding without anything happening to the invoice.
VENDOR_CODES = ("vendor_unknown", "vendor_not_active", "vendor_excluded", "bank_unverified")
BATCH = 500


@dataclass(frozen=True)
class RematchRun:
    """How many invoices a re-match looked at and how many it moved out of exception."""

    invoices: int
    cleared: int


def invoices_rematch(*, actor: Any, invoice_ids: Iterable[int]) -> RematchRun:
    """Match the invoices again in batches (one transaction each: one failing batch does not undo the others)."""
    ids = sorted(set(invoice_ids))
    looked = cleared = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        before = dict(Invoice.objects.filter(pk__in=chunk).values_list("pk", "status"))
        with transaction.atomic():
            matched = invoices_match_batch(actor=actor, invoice_ids=chunk)
        looked += len(matched)
        cleared += sum(
            1 for invoice in matched if before.get(invoice.pk) == "exception" and invoice.status != "exception"
        )
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
