"""Invoice intake: each invoice stored as sent (an unknown or inactive vendor accepted and flagged, never refused),
validated in Python, written in bulk with its history rows and matched in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from matching.duplicates import invoice_number_normalise
from matching.intake.canonical import CanonicalInvoice
from matching.models import InboundDocument, Invoice, InvoiceLine, InvoiceStatus
from matching.services.batch_match import _batch_match, line_facts
from matching.services.bulk_writes import audit_columns, instances_insert
from matching.services.row_checks import plainly_valid
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.models import CostCenter, Facility
from vendors.models import Vendor
from vendors.selectors import vendor_resolve

# Resolved by intake itself (not by full_clean, which would load each one again).
BATCH_RESOLVED_FIELDS = [
    "facility",
    "vendor",
    "original_invoice",
    "inbound_document",
    "keyed_by",
    "cost_center",
    "purchase_order",
]
INVOICE_CHECKED_ELSEWHERE = frozenset(BATCH_RESOLVED_FIELDS)
LINE_CHECKED_ELSEWHERE = frozenset({"invoice"})


@dataclass(frozen=True)
class BatchItem:
    """One invoice of a batch: the document as read and the facility it was checked for."""

    document: CanonicalInvoice
    facility: Facility


def facility_resolve(identifier: str) -> Facility | None:
    """A facility by its code or its GLN."""
    identifier = identifier.strip()
    return Facility.objects.filter(Q(code=identifier.upper()) | Q(gln=identifier)).first() if identifier else None


def _vendor_for(document: CanonicalInvoice) -> Vendor | None:
    vendor = vendor_resolve(
        number=document.vendor_number, system=document.vendor_ref_system, external_id=document.vendor_ref_id
    )
    if vendor is None and document.vendor_tax_id:
        digits = "".join(ch for ch in document.vendor_tax_id if ch.isalnum()).upper()
        vendor = Vendor.objects.filter(tax_id=digits, merged_into__isnull=True).order_by("pk").first()
    if vendor is None and document.vendor_gln:
        vendor = Vendor.objects.filter(gln=document.vendor_gln, merged_into__isnull=True).order_by("pk").first()
    return vendor


def _vendor_reference(document: CanonicalInvoice) -> dict[str, str]:
    """How the sender named the vendor (kept whatever it resolved to)."""
    return {
        key: value
        for key, value in (
            ("number", document.vendor_number),
            ("system", document.vendor_ref_system),
            ("id", document.vendor_ref_id),
            ("tax_id", document.vendor_tax_id),
            ("gln", document.vendor_gln),
            ("name", document.vendor_name),
        )
        if value
    }


def _cost_center_for(
    document: CanonicalInvoice, facility: Facility, known: dict[tuple[int, str], CostCenter | None]
) -> CostCenter | None:
    """The invoice's header cost center at its facility (None when it names none; refused when unknown)."""
    if not document.cost_center:
        return None
    key = (facility.pk, document.cost_center.strip().upper())
    if key not in known:
        known[key] = CostCenter.objects.filter(facility=facility, code=key[1]).first()
    cost_center = known[key]
    if cost_center is None:
        raise InvalidInputError(
            f"No cost center {document.cost_center} at {facility.code}.",
            code="unknown_cost_center",
            field="cost_center",
        )
    return cost_center


def _received_reason(document: CanonicalInvoice, channel: str) -> str:
    """The change reason of an invoice's (and its lines') first history rows."""
    return f"{document.document_type} {document.invoice_number} received ({channel})"


def _invoice_build(
    document: CanonicalInvoice,
    vendor: Vendor | None,
    original: Invoice | None,
    facility: Facility,
    channel: str,
    inbound: InboundDocument | None,
    keyed_by: Any,
    cost_center: CostCenter | None,
) -> Invoice:
    """The unsaved invoice as sent, in status received."""
    return Invoice(
        facility=facility,
        cost_center=cost_center,
        document_type=document.document_type,
        vendor=vendor,
        vendor_reference=_vendor_reference(document),
        invoice_number=document.invoice_number,
        invoice_number_normalised=invoice_number_normalise(document.invoice_number),
        invoice_date=document.invoice_date,
        due_date=document.due_date,
        currency=document.currency,
        po_number=document.po_number,
        original_invoice=original,
        subtotal=document.subtotal,
        tax_amount=document.tax_amount,
        freight_amount=document.freight_amount,
        total_amount=document.total_amount,
        status=InvoiceStatus.RECEIVED,
        channel=channel,
        inbound_document=inbound,
        keyed_by=keyed_by,
    )


def _lines_build(invoice: Invoice, document: CanonicalInvoice) -> list[InvoiceLine]:
    """The unsaved lines of the invoice as sent."""
    return [
        InvoiceLine(
            invoice=invoice,
            line_number=line.line_number,
            po_line_number=line.po_line_number,
            item_code=line.item_code,
            description=line.description[:300],
            quantity=line.quantity,
            unit_of_measure=line.unit_of_measure or "EA",
            unit_price=line.unit_price,
            amount=line.amount,
        )
        for line in document.lines
    ]


@transaction.atomic
def invoice_ingest(
    *,
    actor: Any,
    document: CanonicalInvoice,
    channel: str,
    facility: Facility,
    inbound: InboundDocument | None = None,
    keyed_by: Any = None,
) -> Invoice:
    """Store an invoice or credit memo as sent (an unknown or inactive vendor is accepted and flagged, never
    refused) and match it: a batch of one, so every entry point takes the same path."""
    [result] = invoices_ingest_batch(
        actor=actor, items=[BatchItem(document, facility)], channel=channel, inbound=inbound, keyed_by=keyed_by
    )
    if isinstance(result, ApplicationError):
        raise result
    return result


def _originals(documents: list[tuple[CanonicalInvoice, Vendor | None]]) -> dict[tuple[int, str], Invoice]:
    """The newest stored invoice per (vendor, normalised number) that the batch's credit memos name."""
    wanted = {
        (vendor.pk, invoice_number_normalise(document.original_invoice_number))
        for document, vendor in documents
        if document.original_invoice_number and vendor is not None
    }
    found: dict[tuple[int, str], Invoice] = {}
    if not wanted:
        return found
    for invoice in Invoice.objects.filter(
        vendor_id__in={vendor_id for vendor_id, _ in wanted},
        document_type="invoice",
        invoice_number_normalised__in={number for _, number in wanted},
    ).order_by("pk"):
        key = (invoice.vendor_id, invoice.invoice_number_normalised)
        if key in wanted:
            found[key] = invoice  # ordered by pk: the newest wins
    return found


@transaction.atomic
def invoices_ingest_batch(
    *,
    actor: Any,
    items: list[BatchItem],
    channel: str,
    inbound: InboundDocument | None = None,
    keyed_by: Any = None,
) -> list[Invoice | ApplicationError]:
    """Store and match a batch of invoices with the same results as `invoice_ingest` one after the other (duplicates
    within the batch included), in a few queries per batch: vendors, POs and rules resolved once, rows validated in
    Python, every table written in bulk with its history rows, PO line totals moved under their locks. One result
    per item: its invoice, or the error that refused it (an unknown cost center) while the others are kept."""
    if not items:
        return []
    now = timezone.now()
    vendors: dict[tuple[str, ...], Vendor | None] = {}
    resolved: list[tuple[CanonicalInvoice, Vendor | None]] = []
    for item in items:
        document = item.document
        key = (
            document.vendor_number,
            document.vendor_ref_system,
            document.vendor_ref_id,
            document.vendor_tax_id,
            document.vendor_gln,
        )
        if key not in vendors:
            vendors[key] = _vendor_for(document)
        resolved.append((document, vendors[key]))
    originals = _originals(resolved)
    cost_centers: dict[tuple[int, str], CostCenter | None] = {}
    results: list[Invoice | ApplicationError] = []
    invoices: list[Invoice] = []
    lines_of: list[list[InvoiceLine]] = []
    kept: list[BatchItem] = []
    for item, (document, vendor) in zip(items, resolved, strict=True):
        original = None
        if document.original_invoice_number and vendor is not None:
            original = originals.get((vendor.pk, invoice_number_normalise(document.original_invoice_number)))
        try:
            cost_center = _cost_center_for(document, item.facility, cost_centers)
            invoice = _invoice_build(document, vendor, original, item.facility, channel, inbound, keyed_by, cost_center)
            if not plainly_valid(invoice, INVOICE_CHECKED_ELSEWHERE):
                invoice.full_clean(exclude=BATCH_RESOLVED_FIELDS, validate_unique=False, validate_constraints=False)
            lines = sorted(_lines_build(invoice, document), key=lambda line: line.line_number)
            for line in lines:
                if not plainly_valid(line, LINE_CHECKED_ELSEWHERE):
                    line.full_clean(exclude=["invoice"], validate_unique=False, validate_constraints=False)
        except ApplicationError as error:
            results.append(error)
            continue
        except ValidationError as error:
            results.append(
                InvalidInputError(
                    "The invoice is not valid; see `errors`.", code="invalid", errors=dict(error.message_dict)
                )
            )
            continue
        lines_of.append(lines)
        invoices.append(invoice)
        kept.append(item)
        results.append(invoice)
        if document.document_type == "invoice" and vendor is not None:
            # A credit memo later in the batch may name this invoice (the newest with its number wins).
            originals[(vendor.pk, invoice.invoice_number_normalised)] = invoice
    if not invoices:
        return results
    with acting_as(actor) as acting:
        columns = audit_columns(acting)
        received = [_received_reason(item.document, channel) for item in kept]
        instances_insert(Invoice, invoices, received, columns)
        all_lines: list[InvoiceLine] = []
        line_reasons: list[str] = []
        for lines, reason in zip(lines_of, received, strict=True):
            all_lines.extend(lines)
            line_reasons.extend([reason] * len(lines))
        instances_insert(InvoiceLine, all_lines, line_reasons, columns)
        stored = [
            [
                (
                    line.pk,
                    line_facts(
                        line.line_number,
                        line.po_line_number,
                        line.item_code,
                        line.description,
                        line.quantity,
                        line.unit_of_measure,
                        line.unit_price,
                        line.amount,
                    ),
                )
                for line in lines
            ]
            for lines in lines_of
        ]
        _batch_match(actor=actor, invoices=invoices, lines_of=stored, now=now, columns=columns)
    return results
