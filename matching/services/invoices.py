"""Invoice intake and matching: every document kept raw, each invoice stored as sent, judged by the pure engine,
and the result persisted (line matches, exceptions, PO line totals) in one transaction under the PO lines' locks,
so two invoices matched at once never both consume the same received quantity."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from matching.duplicates import DuplicateMatch, InvoiceKey, duplicate_of, invoice_number_normalise
from matching.engine import (
    InvoiceFacts,
    InvoiceLineFacts,
    LineResult,
    MatchResult,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    match_invoice,
)
from matching.engine import ToleranceRule as RuleFacts
from matching.intake.canonical import CanonicalInvoice
from matching.models import (
    ExceptionState,
    InboundDocument,
    Invoice,
    InvoiceException,
    InvoiceLine,
    InvoiceStatus,
    LineMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    ToleranceRule,
)
from matching.services._common import _save
from matching.services.approval import invoice_route_for_approval
from matching.services.tolerances import tolerance_rule_default_ensure
from p2p_portal.errors import InvalidInputError
from p2p_portal.models import CostCenter, Facility
from vendors.models import Vendor
from vendors.selectors import vendor_flags, vendor_resolve

# Statuses an invoice is matched (and re-matched) in; later ones belong to approvals, the ERP and payment.
MATCHABLE_STATUSES = (InvoiceStatus.RECEIVED, InvoiceStatus.EXCEPTION, InvoiceStatus.PENDING_APPROVAL)
NEAR_DUPLICATE_DAYS = 7
QUANTITY_PLACES = Decimal("0.0001")


# --- Inbound documents ----------------------------------------------------------------------------------------
def inbound_document_record(
    *,
    principal: Any,
    channel: str,
    content_type: str,
    raw: bytes,
    idempotency_key: str = "",
    keep_bytes: int | None = None,
) -> InboundDocument:
    """Keep a document exactly as it arrived, in its own transaction, before anything is parsed: whatever
    happens next, it is not lost and can be re-processed. Only an oversized body is cut at `keep_bytes` (its size
    and the hash of the whole body are kept, so the sender can be shown what was refused)."""
    from p2p_portal.api.permissions import is_api_client

    document = InboundDocument(
        channel=channel,
        content_type=content_type[:100],
        api_client=principal if is_api_client(principal) else None,
        user=principal if not is_api_client(principal) and getattr(principal, "pk", None) else None,
        idempotency_key=idempotency_key[:255],
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        raw=raw[:keep_bytes] if keep_bytes is not None else raw,
    )
    with transaction.atomic():
        _save(document, principal, f"inbound {channel} document")
    return document


def inbound_document_outcome(
    *, actor: Any, document: InboundDocument, outcome: str, errors: list[dict[str, str]] | None = None
) -> InboundDocument:
    """Record what became of an inbound document (accepted, rejected with its errors, failed)."""
    document.outcome = outcome
    document.errors = errors or []
    with transaction.atomic():
        _save(document, actor, f"inbound document {outcome}")
    return document


# --- Intake -----------------------------------------------------------------------------------------------------
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
    refused) and match it."""
    vendor = _vendor_for(document)
    original = None
    if document.original_invoice_number and vendor is not None:
        original = (
            Invoice.objects.filter(
                vendor=vendor,
                document_type="invoice",
                invoice_number_normalised=invoice_number_normalise(document.original_invoice_number),
            )
            .order_by("-pk")
            .first()
        )
    cost_center = _cost_center_for(document, facility, {})
    invoice = _invoice_build(document, vendor, original, facility, channel, inbound, keyed_by, cost_center)
    reason = _received_reason(document, channel)
    _save(invoice, actor, reason)
    for line in _lines_build(invoice, document):
        _save(line, actor, reason)
    return invoice_match(actor=actor, invoice=invoice)


# --- Matching ---------------------------------------------------------------------------------------------------
def _rule_facts(rules: Iterable[ToleranceRule]) -> list[RuleFacts]:
    return [
        RuleFacts(
            id=rule.pk,
            version=rule.version,
            scope=rule.scope,  # type: ignore[arg-type]
            facility_id=rule.facility_id,
            vendor_id=rule.vendor_id,
            category=rule.category,
            price_pct=rule.price_pct,
            price_abs=rule.price_abs,
            accept_lower_price=rule.accept_lower_price,
            qty_over_received=rule.qty_over_received,
            qty_over_ordered=rule.qty_over_ordered,
            header_total_abs=rule.header_total_abs,
        )
        for rule in rules
    ]


def _previous_consumption(invoice: Invoice) -> dict[int, Decimal]:
    """What this invoice consumed at its last match, per PO line (signed: credit memos negative)."""
    sign = Decimal(-1) if invoice.document_type == "credit_memo" else Decimal(1)
    consumed: dict[int, Decimal] = {}
    for po_line_id, quantity in LineMatch.objects.filter(
        invoice_line__invoice=invoice, po_line__isnull=False
    ).values_list("po_line_id", "quantity"):
        consumed[po_line_id] = consumed.get(po_line_id, Decimal(0)) + sign * quantity
    return consumed


def _purchase_order_facts(
    order: PurchaseOrder, lines: list[PurchaseOrderLine], previous: dict[int, Decimal]
) -> PurchaseOrderFacts:
    return PurchaseOrderFacts(
        id=order.pk,
        number=order.number,
        vendor_id=order.vendor_id,
        currency=order.currency,
        status=order.status,  # type: ignore[arg-type]
        lines=tuple(
            PurchaseOrderLineFacts(
                id=line.pk,
                line_number=line.line_number,
                item_code=line.item_code,
                gtin=line.gtin,
                category=line.category,
                description=line.description,
                quantity_ordered=line.quantity_ordered,
                unit_of_measure=line.unit_of_measure,
                unit_price=line.unit_price,
                match_type=line.match_type,  # type: ignore[arg-type]
                quantity_received=line.quantity_received,
                # Other invoices' share only: what this invoice consumed last time is taken back out.
                quantity_invoiced=line.quantity_invoiced - previous.get(line.pk, Decimal(0)),
            )
            for line in lines
        ),
    )


def _duplicate(invoice: Invoice) -> DuplicateMatch | None:
    if invoice.vendor_id is None:
        return None
    window = (
        invoice.invoice_date - timedelta(days=NEAR_DUPLICATE_DAYS),
        invoice.invoice_date + timedelta(days=NEAR_DUPLICATE_DAYS),
    )
    candidates = (
        Invoice.objects.filter(vendor_id=invoice.vendor_id, document_type=invoice.document_type, pk__lt=invoice.pk)
        .filter(
            Q(invoice_number_normalised=invoice.invoice_number_normalised)
            | Q(total_amount=invoice.total_amount, invoice_date__range=window)
        )
        .values_list("pk", "invoice_number", "invoice_number_normalised", "total_amount", "invoice_date", "status")
    )
    keys = [
        InvoiceKey(pk, invoice.vendor_id, invoice.document_type, normalised, total, day, status, number)
        for pk, number, normalised, total, day, status in candidates
    ]
    return duplicate_of(_invoice_key(invoice), keys)


def _invoice_facts(
    invoice: Invoice, lines: list[InvoiceLine], flags: tuple[str, ...], duplicate: DuplicateMatch | None
) -> InvoiceFacts:
    """What the engine judges of the invoice and its lines."""
    return InvoiceFacts(
        document_type=invoice.document_type,  # type: ignore[arg-type]
        vendor_id=invoice.vendor_id,
        vendor_flags=flags,
        facility_id=invoice.facility_id,
        currency=invoice.currency,
        po_number=invoice.po_number,
        po_required=invoice.total_amount > Decimal(settings.NON_PO_INVOICE_LIMIT),
        subtotal=invoice.subtotal,
        tax_amount=invoice.tax_amount,
        freight_amount=invoice.freight_amount,
        total_amount=invoice.total_amount,
        lines=tuple(
            InvoiceLineFacts(
                line_number=line.line_number,
                po_line_number=line.po_line_number,
                item_code=line.item_code,
                description=line.description,
                quantity=line.quantity,
                unit_of_measure=line.unit_of_measure,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in lines
        ),
        duplicate_of=duplicate.invoice_number if duplicate else "",
    )


def _invoice_key(invoice: Invoice) -> InvoiceKey:
    """The invoice as the duplicate rules compare it."""
    return InvoiceKey(
        invoice.pk,
        invoice.vendor_id,
        invoice.document_type,
        invoice.invoice_number_normalised,
        invoice.total_amount,
        invoice.invoice_date,
        invoice.status,
        invoice.invoice_number,
    )


@transaction.atomic
def invoice_match(*, actor: Any, invoice: Invoice) -> Invoice:
    """Judge the invoice against its PO, receipts and tolerances, and persist what the engine found: exceptions
    that no longer hold are resolved with the reason, new ones raised, PO line totals moved by the difference."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in MATCHABLE_STATUSES:
        return invoice
    order = None
    if invoice.po_number.strip():
        order = PurchaseOrder.objects.filter(facility_id=invoice.facility_id, number=invoice.po_number.strip()).first()
    previous = _previous_consumption(invoice)
    po_lines = (
        list(PurchaseOrderLine.objects.select_for_update().filter(purchase_order=order).order_by("pk"))
        if order is not None
        else []
    )
    vendor = invoice.vendor
    duplicate = _duplicate(invoice)
    lines = list(invoice.lines.order_by("line_number"))
    facts = _invoice_facts(
        invoice, lines, tuple(vendor_flags(vendor)) if vendor is not None else (), duplicate
    )
    tolerance_rule_default_ensure()
    rules = list(ToleranceRule.objects.filter(active=True))
    result = match_invoice(
        facts,
        _purchase_order_facts(order, po_lines, previous) if order is not None else None,
        _rule_facts(rules),
        {},
    )
    _persist(
        actor=actor, invoice=invoice, order=order, lines=lines, result=result, previous=previous, duplicate=duplicate
    )
    return invoice


def _places(value: Decimal | None) -> Decimal:
    """A quantity or unit price variance as stored (4 places); "not compared" is stored as 0."""
    return (value or Decimal(0)).quantize(QUANTITY_PLACES)


def _line_match_fill(match: LineMatch, outcome: LineResult, now: datetime) -> None:
    """Copy what the engine found for one line onto its line match, as stored."""
    match.po_line_id = outcome.po_line_id
    match.quantity = outcome.quantity.quantize(QUANTITY_PLACES)
    match.received_quantity = _places(outcome.received_quantity)
    match.previously_invoiced_quantity = _places(outcome.previously_invoiced_quantity)
    match.price_variance = _places(outcome.price_variance)
    match.price_variance_pct = (outcome.price_variance_pct or Decimal(0)).quantize(Decimal("0.01"))
    match.extended_price_variance = (outcome.extended_price_variance or Decimal(0)).quantize(Decimal("0.01"))
    match.quantity_over_received = _places(outcome.quantity_over_received)
    match.quantity_over_ordered = _places(outcome.quantity_over_ordered)
    match.rule_id = outcome.rule_id
    match.rule_version = outcome.rule_version
    match.matched_at = now


def _persist(
    *,
    actor: Any,
    invoice: Invoice,
    order: PurchaseOrder | None,
    lines: list[InvoiceLine],
    result: MatchResult,
    previous: dict[int, Decimal],
    duplicate: DuplicateMatch | None,
) -> None:
    now = timezone.now()
    reason = f"matched {invoice.invoice_number}"
    # Running totals move by the difference from the last match (an UPDATE with F() under the lines' locks).
    # Stored quantities have 4 places (a converted unit may not terminate: a third of a case).
    current = {po_line_id: quantity.quantize(QUANTITY_PLACES) for po_line_id, quantity in result.consumption}
    for po_line_id in set(current) | set(previous):
        delta = current.get(po_line_id, Decimal(0)) - previous.get(po_line_id, Decimal(0))
        if delta:
            PurchaseOrderLine.objects.filter(pk=po_line_id).update(quantity_invoiced=F("quantity_invoiced") + delta)
    by_number = {line.line_number: line for line in lines}
    existing_matches = {match.invoice_line_id: match for match in LineMatch.objects.filter(invoice_line__in=lines)}
    for outcome in result.lines:
        invoice_line = by_number[outcome.invoice_line_number]
        match = existing_matches.get(invoice_line.pk) or LineMatch(invoice_line=invoice_line)
        _line_match_fill(match, outcome, now)
        _save(match, actor, reason)
    open_exceptions = {
        (exception.code, exception.line_number): exception
        for exception in invoice.exceptions.filter(state=ExceptionState.OPEN)
    }
    found = {(finding.code, finding.line_number): finding for finding in result.findings}
    for key, exception in open_exceptions.items():
        if key not in found:
            exception.state = ExceptionState.RESOLVED
            exception.resolved_at = now
            exception.resolution = "No longer holds when the invoice was matched again."
            _save(exception, actor, f"{exception.code} resolved by re-match")
    for key, finding in found.items():
        if key in open_exceptions:
            continue
        _save(
            InvoiceException(
                invoice=invoice,
                code=finding.code,
                line_number=finding.line_number,
                detail=finding.detail,
                rule_id=finding.rule_id,
                rule_version=finding.rule_version,
                duplicate_of_id=duplicate.invoice_id if duplicate and finding.code == "duplicate_suspect" else None,
                raised_at=now,
            ),
            actor,
            f"{finding.code} raised",
        )
    invoice.purchase_order = order
    invoice.status = result.status
    invoice.matched_at = now
    _save(invoice, actor, f"{reason}: {result.status}")
    if result.status == "pending_approval":
        invoice_route_for_approval(actor=actor, invoice=invoice)
