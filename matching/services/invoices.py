"""Invoice intake and matching: every document kept raw, each invoice stored as sent, judged by the pure engine,
and the result persisted (line matches, exceptions, PO line totals) in one transaction under the PO lines' locks,
so two invoices matched at once never both consume the same received quantity."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from matching.duplicates import DuplicateMatch, InvoiceKey, duplicate_of, invoice_number_normalise
from matching.engine import (
    InvoiceFacts,
    InvoiceLineFacts,
    LineResult,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    match_invoice,
)
from matching.intake.canonical import CanonicalInvoice
from matching.models import (
    WAIVED_KINDS,
    ExceptionState,
    InboundDocument,
    Invoice,
    InvoiceException,
    InvoiceLine,
    InvoiceStatus,
    LineMatch,
    PurchaseOrder,
    PurchaseOrderLine,
    ResolutionKind,
    ToleranceRule,
)
from matching.services._common import _save
from matching.services.approval import invoice_route_for_approval
from matching.services.tolerances import tolerance_rule_default_ensure, tolerance_rule_facts
from matching.services.work_items import work_items_sync
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.models import CostCenter, Facility
from p2p_portal.request_context import current_request_id
from vendors.models import Vendor
from vendors.selectors import vendor_flags, vendor_resolve

# Statuses an invoice is matched (and re-matched) in; later ones belong to approvals, the ERP and payment.
MATCHABLE_STATUSES = (InvoiceStatus.RECEIVED, InvoiceStatus.EXCEPTION, InvoiceStatus.PENDING_APPROVAL)
NEAR_DUPLICATE_DAYS = 7
QUANTITY_PLACES = Decimal("0.0001")
_M = TypeVar("_M", bound=models.Model)


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
    refused) and match it: a batch of one, so every entry point takes the same path."""
    [result] = invoices_ingest_batch(
        actor=actor, items=[BatchItem(document, facility)], channel=channel, inbound=inbound, keyed_by=keyed_by
    )
    if isinstance(result, ApplicationError):
        raise result
    return result


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


def invoice_match(*, actor: Any, invoice: Invoice) -> Invoice:
    """Judge one invoice again (a batch of one): exceptions that no longer hold are resolved with the reason, new
    ones raised, PO line totals moved by the difference from the last match."""
    invoices_match_batch(actor=actor, invoice_ids=[invoice.pk])
    return Invoice.objects.get(pk=invoice.pk)


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


# --- Batches ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchItem:
    """One invoice of a batch: the document as read and the facility it was checked for."""

    document: CanonicalInvoice
    facility: Facility


def _audit_columns(acting: Any) -> dict[str, Any]:
    """The audit columns of bulk-created history rows (bulk history skips the signal that stamps them)."""
    return {
        "history_actor_label": acting.display[:150],
        "history_api_client_id": acting.api_client_id,
        "history_request_id": (current_request_id() or "")[:128],
    }


def _reasoned(records: list[_M], reasons: list[str]) -> list[_M]:
    """The records, each carrying the change reason its bulk-created history row records."""
    for record, reason in zip(records, reasons, strict=True):
        record._change_reason = reason  # type: ignore[attr-defined]
    return records


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
            invoice.full_clean(exclude=list(BATCH_RESOLVED_FIELDS), validate_unique=False, validate_constraints=False)
            lines = sorted(_lines_build(invoice, document), key=lambda line: line.line_number)
            for line in lines:
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
        columns = _audit_columns(acting)
        received = [_received_reason(item.document, channel) for item in kept]
        _bulk_insert_in_order(invoices, received, columns)
        all_lines: list[InvoiceLine] = []
        line_reasons: list[str] = []
        for lines, reason in zip(lines_of, received, strict=True):
            all_lines.extend(lines)
            line_reasons.extend([reason] * len(lines))
        bulk_create_with_history(_reasoned(all_lines, line_reasons), InvoiceLine, custom_historical_attrs=columns)
        _batch_match(actor=actor, invoices=invoices, lines_of=lines_of, now=now, columns=columns)
    return results


BATCH_RESOLVED_FIELDS = (
    "facility",
    "vendor",
    "original_invoice",
    "inbound_document",
    "keyed_by",
    "cost_center",
    "purchase_order",
)


def _bulk_insert_in_order(invoices: list[Invoice], reasons: list[str], columns: dict[str, Any]) -> None:
    """Insert the invoices with their history rows: one statement, or one per run up to an in-batch original."""
    start = 0
    for index, invoice in enumerate(invoices):
        original = invoice.original_invoice
        if original is not None and original.pk is None:
            _bulk_insert(invoices[start:index], reasons[start:index], columns)
            start = index
    _bulk_insert(invoices[start:], reasons[start:], columns)


def _bulk_insert(invoices: list[Invoice], reasons: list[str], columns: dict[str, Any]) -> None:
    """Insert invoices with their history rows in one statement each (a saved original's key is taken on the way)."""
    if invoices:
        bulk_create_with_history(_reasoned(invoices, reasons), Invoice, custom_historical_attrs=columns)


OpenExceptions = dict[tuple[str, int | None], InvoiceException]
MATCH_FIELDS = (
    "po_line",
    "quantity",
    "received_quantity",
    "previously_invoiced_quantity",
    "price_variance",
    "price_variance_pct",
    "extended_price_variance",
    "quantity_over_received",
    "quantity_over_ordered",
    "rule",
    "rule_version",
    "matched_at",
)


@transaction.atomic
def invoices_match_batch(*, actor: Any, invoice_ids: Iterable[int]) -> list[Invoice]:
    """Match the invoices again in key order with the same results as `invoice_match` one after the other, in a few
    queries for the whole batch; invoices no longer in a matchable status are left alone (and not returned)."""
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("vendor")
        .filter(pk__in=set(invoice_ids), status__in=MATCHABLE_STATUSES)
        .order_by("pk")
    )
    if not invoices:
        return []
    lines_by_invoice: dict[int, list[InvoiceLine]] = {invoice.pk: [] for invoice in invoices}
    for line in InvoiceLine.objects.filter(invoice__in=invoices).order_by("invoice_id", "line_number"):
        lines_by_invoice[line.invoice_id].append(line)
    kinds = {invoice.pk: invoice.document_type for invoice in invoices}
    existing: dict[int, LineMatch] = {}
    previous: dict[int, dict[int, Decimal]] = {invoice.pk: {} for invoice in invoices}
    for match in LineMatch.objects.filter(invoice_line__invoice__in=invoices).select_related("invoice_line"):
        existing[match.invoice_line_id] = match
        if match.po_line_id is not None:
            invoice_id = match.invoice_line.invoice_id
            sign = Decimal(-1) if kinds[invoice_id] == "credit_memo" else Decimal(1)
            consumed = previous[invoice_id]
            consumed[match.po_line_id] = consumed.get(match.po_line_id, Decimal(0)) + sign * match.quantity
    open_exceptions: dict[int, dict[tuple[str, int | None], InvoiceException]] = {
        invoice.pk: {} for invoice in invoices
    }
    for exception in InvoiceException.objects.filter(invoice__in=invoices, state=ExceptionState.OPEN):
        open_exceptions[exception.invoice_id][(exception.code, exception.line_number)] = exception
    waived: dict[int, set[tuple[str, int | None]]] = {}
    for invoice_id, code, line_number in InvoiceException.objects.filter(
        invoice__in=invoices, state=ExceptionState.RESOLVED, resolution_kind__in=WAIVED_KINDS
    ).values_list("invoice_id", "code", "line_number"):
        waived.setdefault(invoice_id, set()).add((code, line_number))
    with acting_as(actor) as acting:
        _batch_match(
            actor=actor,
            invoices=invoices,
            lines_of=[lines_by_invoice[invoice.pk] for invoice in invoices],
            now=timezone.now(),
            columns=_audit_columns(acting),
            previous=previous,
            existing=existing,
            open_exceptions=open_exceptions,
            waived=waived,
        )
    return invoices


def _batch_match(
    *,
    actor: Any,
    invoices: list[Invoice],
    lines_of: list[list[InvoiceLine]],
    now: datetime,
    columns: dict[str, Any],
    previous: dict[int, dict[int, Decimal]] | None = None,
    existing: dict[int, LineMatch] | None = None,
    open_exceptions: dict[int, OpenExceptions] | None = None,
    waived: dict[int, set[tuple[str, int | None]]] | None = None,
) -> None:
    """Match invoices in order, as `invoice_match` would one after the other, and write the results in bulk: line
    matches, exceptions raised and resolved, the invoices' statuses (with history) and the PO line totals."""
    previous = previous or {}
    existing = existing or {}
    open_exceptions = open_exceptions or {}
    waived = waived or {}
    numbers = {(invoice.facility_id, invoice.po_number.strip()) for invoice in invoices if invoice.po_number.strip()}
    orders: dict[tuple[int, str], PurchaseOrder] = {}
    if numbers:
        query = Q()
        for facility_id, number in numbers:
            query |= Q(facility_id=facility_id, number=number)
        orders = {(order.facility_id, order.number): order for order in PurchaseOrder.objects.filter(query)}
    po_lines: dict[int, list[PurchaseOrderLine]] = {}
    by_pk: dict[int, PurchaseOrderLine] = {}
    if orders:
        # Locked in one fixed order (by key), like every matcher takes them, so batches never deadlock.
        for line in (
            PurchaseOrderLine.objects.select_for_update()
            .filter(purchase_order_id__in=[order.pk for order in orders.values()])
            .order_by("pk")
        ):
            po_lines.setdefault(line.purchase_order_id, []).append(line)
            by_pk[line.pk] = line
    before = {pk: line.quantity_invoiced for pk, line in by_pk.items()}
    other_lines: dict[int, Decimal] = {}  # totals of PO lines outside the batch's orders, moved by re-matching
    candidates = _duplicate_candidates(invoices)
    tolerance_rule_default_ensure()
    rules = tolerance_rule_facts(ToleranceRule.objects.filter(active=True))
    flags: dict[int, tuple[str, ...]] = {}
    created: list[LineMatch] = []
    updated: list[LineMatch] = []
    exceptions: list[InvoiceException] = []
    exception_reasons: list[str] = []
    resolved: list[InvoiceException] = []
    statuses: dict[int, str] = {}
    for invoice, lines in zip(invoices, lines_of, strict=True):
        order = orders.get((invoice.facility_id, invoice.po_number.strip())) if invoice.po_number.strip() else None
        duplicate = duplicate_of(
            _invoice_key(invoice),
            [
                replace(key, status=statuses.get(key.invoice_id or 0, key.status))
                for key in candidates.get(invoice.vendor_id or 0, [])
                if (key.invoice_id or 0) < invoice.pk
                and key.document_type == invoice.document_type
                and (
                    key.number_normalised == invoice.invoice_number_normalised
                    or (
                        key.total_amount == invoice.total_amount
                        and abs((key.invoice_date - invoice.invoice_date).days) <= NEAR_DUPLICATE_DAYS
                    )
                )
            ],
        )
        vendor = invoice.vendor
        if vendor is not None and vendor.pk not in flags:
            flags[vendor.pk] = tuple(vendor_flags(vendor))
        facts = _invoice_facts(invoice, lines, flags[vendor.pk] if vendor is not None else (), duplicate)
        order_lines = po_lines.get(order.pk, []) if order is not None else []
        earlier = previous.get(invoice.pk, {})
        result = match_invoice(
            facts, _purchase_order_facts(order, order_lines, earlier) if order is not None else None, rules, {}
        )
        current = {po_line_id: quantity.quantize(QUANTITY_PLACES) for po_line_id, quantity in result.consumption}
        for po_line_id in set(current) | set(earlier):
            delta = current.get(po_line_id, Decimal(0)) - earlier.get(po_line_id, Decimal(0))
            if not delta:
                continue
            if po_line_id in by_pk:
                by_pk[po_line_id].quantity_invoiced += delta
            else:
                other_lines[po_line_id] = other_lines.get(po_line_id, Decimal(0)) + delta
        by_number = {line.line_number: line for line in lines}
        reason = f"matched {invoice.invoice_number}"
        for outcome in result.lines:
            invoice_line = by_number[outcome.invoice_line_number]
            match = existing.get(invoice_line.pk)
            (updated if match is not None else created).append(match := match or LineMatch(invoice_line=invoice_line))
            _line_match_fill(match, outcome, now)
            match._change_reason = reason  # type: ignore[attr-defined]
        held = open_exceptions.get(invoice.pk, {})
        decided = waived.get(invoice.pk, set())
        found = {
            (finding.code, finding.line_number): finding
            for finding in result.findings
            if (finding.code, finding.line_number) not in decided
        }
        status = result.status
        if status == "exception" and not found:  # every finding was waived by a person's decision
            status = "approved" if order is not None else "pending_approval"
        for key, exception in held.items():
            if key not in found:
                exception.state = ExceptionState.RESOLVED
                exception.resolved_at = now
                exception.resolution = "No longer holds when the invoice was matched again."
                exception.resolution_kind = ResolutionKind.REMATCH
                exception._change_reason = f"{exception.code} resolved by re-match"  # type: ignore[attr-defined]
                resolved.append(exception)
        for key, finding in found.items():
            if key in held:
                continue
            exceptions.append(
                InvoiceException(
                    invoice=invoice,
                    code=finding.code,
                    line_number=finding.line_number,
                    detail=finding.detail,
                    rule_id=finding.rule_id,
                    rule_version=finding.rule_version,
                    duplicate_of_id=duplicate.invoice_id if duplicate and finding.code == "duplicate_suspect" else None,
                    raised_at=now,
                )
            )
            exception_reasons.append(f"{finding.code} raised")
        invoice.purchase_order = order
        invoice.status = status
        invoice.matched_at = now
        invoice._change_reason = f"{reason}: {status}"  # type: ignore[attr-defined]
        statuses[invoice.pk] = status
    moved = [line for pk, line in by_pk.items() if line.quantity_invoiced != before[pk]]
    _columns_update(PurchaseOrderLine, moved, {"quantity_invoiced": "numeric"})
    for po_line_id, delta in sorted(other_lines.items()):
        if delta:
            PurchaseOrderLine.objects.filter(pk=po_line_id).update(quantity_invoiced=F("quantity_invoiced") + delta)
    if created:
        bulk_create_with_history(created, LineMatch, custom_historical_attrs=columns)
    if updated:
        bulk_update_with_history(updated, LineMatch, list(MATCH_FIELDS), custom_historical_attrs=columns)
    if resolved:
        bulk_update_with_history(
            resolved,
            InvoiceException,
            ["state", "resolved_at", "resolution", "resolution_kind"],
            custom_historical_attrs=columns,
        )
    if exceptions:
        bulk_create_with_history(
            _reasoned(exceptions, exception_reasons), InvoiceException, custom_historical_attrs=columns
        )
    _columns_update(Invoice, invoices, {"purchase_order_id": "bigint", "status": "text", "matched_at": "timestamptz"})
    Invoice.history.bulk_history_create(invoices, update=True, custom_historical_attrs=columns)
    for invoice in invoices:
        if invoice.status == "pending_approval":
            invoice_route_for_approval(actor=actor, invoice=invoice)
    work_items_sync(invoices=invoices, now=now, columns=columns)


def _columns_update(model: type[models.Model], records: Sequence[models.Model], columns: dict[str, str]) -> None:
    """Write these columns of the records in one UPDATE from arrays (Django's bulk_update builds a CASE per row and
    column, which costs more than the rest of a batch's writes together)."""
    if not records:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = [connection.ops.quote_name(column) for column in columns]
    arrays = ", ".join(f"unnest(%s::{kind}[])" for kind in ["bigint", *columns.values()])
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM (SELECT {arrays}) AS v(id, {', '.join(names)})"  # noqa: S608
            " WHERE t.id = v.id",
            [
                [record.pk for record in records],
                *[[getattr(record, column) for record in records] for column in columns],
            ],
        )


def _duplicate_candidates(invoices: list[Invoice]) -> dict[int, list[InvoiceKey]]:
    """Every stored invoice that may be a duplicate of one of the batch (same vendor, and same number or same
    total), per vendor, newest first (newest first, as the duplicate rule reads them)."""
    known = [invoice for invoice in invoices if invoice.vendor_id is not None]
    if not known:
        return {}
    rows = (
        Invoice.objects.filter(vendor_id__in={invoice.vendor_id for invoice in known})
        .filter(
            Q(invoice_number_normalised__in={invoice.invoice_number_normalised for invoice in known})
            | Q(total_amount__in={invoice.total_amount for invoice in known})
        )
        .order_by("-received_at", "-id")
        .values_list(
            "pk", "vendor_id", "document_type", "invoice_number_normalised", "total_amount", "invoice_date", "status",
            "invoice_number",
        )
    )  # fmt: skip
    candidates: dict[int, list[InvoiceKey]] = {}
    for row in rows:
        key = InvoiceKey(*row)
        candidates.setdefault(key.vendor_id or 0, []).append(key)
    return candidates
