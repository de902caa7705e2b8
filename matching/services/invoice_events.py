"""`invoice.approved` outbox events: written in the transaction that approves an invoice, once per invoice, for the
integrations layer to post it to the ERP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matching.models import Invoice, InvoiceStatus
from matching.services.bulk_writes import instances_insert
from matching.services.key_sets import any_of
from p2p_portal.models import OutboxEvent
from p2p_portal.services import outbox_event_record

INVOICE_APPROVED = "invoice.approved"


def invoice_event_payload(invoice: Invoice) -> dict[str, Any]:
    """What the event carries (the dispatcher reads the invoice itself when it posts it)."""
    return {
        "invoice": invoice.pk,
        "invoice_number": invoice.invoice_number,
        "document_type": invoice.document_type,
        "facility": invoice.facility_id,
        "vendor": invoice.vendor_id,
        "po_number": invoice.po_number,
        "currency": invoice.currency,
        "total_amount": str(invoice.total_amount),
    }


def invoices_approved_record(*, invoices: Sequence[Invoice], columns: dict[str, Any]) -> int:
    """Write `invoice.approved` for the approved invoices that have none yet (one query to find them, one COPY of
    the events and one of their history rows); returns how many were written."""
    approved = {f"invoice:{invoice.pk}": invoice for invoice in invoices if invoice.status == InvoiceStatus.APPROVED}
    if not approved:
        return 0
    known = set(
        OutboxEvent.objects.filter(any_of("subject", approved), topic=INVOICE_APPROVED).values_list(
            "subject", flat=True
        )
    )
    events = [
        OutboxEvent(topic=INVOICE_APPROVED, subject=subject, payload=invoice_event_payload(invoice))
        for subject, invoice in approved.items()
        if subject not in known
    ]
    # By COPY, not bulk_create_with_history: Django compiling the events' JSON payloads cost a quarter of a
    # re-match batch.
    instances_insert(OutboxEvent, events, [f"event {INVOICE_APPROVED} {event.subject}" for event in events], columns)
    return len(events)


def invoice_approved_announce(*, actor: Any, invoice: Invoice) -> None:
    """Write the event for one invoice approved outside a match batch (an approval decision), unless it has one."""
    subject = f"invoice:{invoice.pk}"
    if not OutboxEvent.objects.filter(topic=INVOICE_APPROVED, subject=subject).exists():
        outbox_event_record(
            actor=actor, topic=INVOICE_APPROVED, subject=subject, payload=invoice_event_payload(invoice)
        )
