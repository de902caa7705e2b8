"""Matching in batches: the facts of many invoices loaded set-based, each judged by the pure engine in key order (as
one after the other would be), and the results written in bulk with their history rows (line matches, exceptions
raised and resolved, statuses, PO line totals) in one transaction under the PO lines' locks, so two invoices matched
at once never both consume the same received quantity."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from matching.duplicates import DuplicateMatch, InvoiceKey, duplicate_of
from matching.engine import (
    InvoiceFacts,
    InvoiceLineFacts,
    LineResult,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    match_invoice,
)
from matching.models import (
    WAIVED_KINDS,
    ExceptionState,
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
from matching.services.approval import invoice_route_for_approval
from matching.services.bulk_writes import (
    Record,
    audit_columns,
    columns_update,
    history_insert,
    record_of,
    records_insert,
    records_update,
    tracked_attnames,
)
from matching.services.key_sets import any_of
from matching.services.tolerances import tolerance_rule_default_ensure, tolerance_rule_facts
from matching.services.work_items import work_items_sync
from p2p_portal.audit.context import acting_as
from vendors.models import HitStatus, ScreeningHit, Vendor, VendorStatus
from vendors.selectors import BANK_UNVERIFIED, VENDOR_EXCLUDED, VENDOR_NOT_ACTIVE, cooling_off_until

# Statuses an invoice is matched (and re-matched) in; later ones belong to approvals, the ERP and payment.
MATCHABLE_STATUSES = (InvoiceStatus.RECEIVED, InvoiceStatus.EXCEPTION, InvoiceStatus.PENDING_APPROVAL)
NEAR_DUPLICATE_DAYS = 7
QUANTITY_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")
ZERO = Decimal(0)
# What a line match records of the engine's verdict; a re-match that finds the same figures writes nothing.
MATCH_FIGURES = (
    "po_line_id",
    "quantity",
    "received_quantity",
    "previously_invoiced_quantity",
    "price_variance",
    "price_variance_pct",
    "extended_price_variance",
    "quantity_over_received",
    "quantity_over_ordered",
    "rule_id",
    "rule_version",
)
MATCH_TYPES = {
    "po_line_id": "bigint",
    "quantity": "numeric",
    "received_quantity": "numeric",
    "previously_invoiced_quantity": "numeric",
    "price_variance": "numeric",
    "price_variance_pct": "numeric",
    "extended_price_variance": "numeric",
    "quantity_over_received": "numeric",
    "quantity_over_ordered": "numeric",
    "rule_id": "bigint",
    "rule_version": "integer",
    "matched_at": "timestamptz",
}
RESOLVED_TYPES = {"state": "text", "resolved_at": "timestamptz", "resolution": "text", "resolution_kind": "text"}
INVOICE_TYPES = {"purchase_order_id": "bigint", "status": "text", "matched_at": "timestamptz"}
PO_LINE_COLUMNS = (
    "pk",
    "purchase_order_id",
    "line_number",
    "item_code",
    "gtin",
    "category",
    "description",
    "quantity_ordered",
    "unit_of_measure",
    "unit_price",
    "match_type",
    "quantity_received",
    "quantity_invoiced",
)
LINE_COLUMNS = (
    "pk",
    "invoice_id",
    "line_number",
    "po_line_number",
    "item_code",
    "description",
    "quantity",
    "unit_of_measure",
    "unit_price",
    "amount",
)

StoredLine = tuple[int, InvoiceLineFacts]  # an invoice line's key and what the engine judges of it
OpenExceptions = dict[tuple[str, int | None], Record]


def invoice_match(*, actor: Any, invoice: Invoice) -> Invoice:
    """Judge one invoice again (a batch of one): exceptions that no longer hold are resolved with the reason, new
    ones raised, PO line totals moved by the difference from the last match."""
    invoices_match_batch(actor=actor, invoice_ids=[invoice.pk])
    return Invoice.objects.get(pk=invoice.pk)


def line_facts(
    line_number: int,
    po_line_number: int | None,
    item_code: str,
    description: str,
    quantity: Decimal,
    unit_of_measure: str,
    unit_price: Decimal,
    amount: Decimal,
) -> InvoiceLineFacts:
    """What the engine judges of one invoice line."""
    return InvoiceLineFacts(
        line_number=line_number,
        po_line_number=po_line_number,
        item_code=item_code,
        description=description,
        quantity=quantity,
        unit_of_measure=unit_of_measure,
        unit_price=unit_price,
        amount=amount,
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration (when it was on). A batch allocates some hundred
    thousand records, facts and results that live until its writes: the collector kept walking them (and everything
    else the process holds) to find next to nothing, 13 % of a batch's Python time (0.53 of 4.13 s CPU for 10,000
    invoices, measured with gc.callbacks). Reference counting still frees them; cycles wait until after the batch."""
    if not gc.isenabled():  # nested, or off already: leave it to whoever turned it off
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@collector_paused()
@transaction.atomic
def invoices_match_batch(*, actor: Any, invoice_ids: Iterable[int]) -> list[Invoice]:
    """Match the invoices again in key order with the same results as `invoice_match` one after the other, in a few
    queries for the whole batch; invoices no longer in a matchable status are left alone (and not returned)."""
    invoices = list(
        Invoice.objects.select_for_update()
        .filter(any_of("pk", set(invoice_ids)), status__in=MATCHABLE_STATUSES)
        .order_by("pk")
    )
    if not invoices:
        return []
    keys = [invoice.pk for invoice in invoices]
    lines_by_invoice: dict[int, list[StoredLine]] = {key: [] for key in keys}
    invoice_of_line: dict[int, int] = {}
    for pk, invoice_id, *values in (
        InvoiceLine.objects.filter(any_of("invoice_id", keys))
        .order_by("invoice_id", "line_number")
        .values_list(*LINE_COLUMNS)
    ):
        lines_by_invoice[invoice_id].append((pk, line_facts(*values)))
        invoice_of_line[pk] = invoice_id
    kinds = {invoice.pk: invoice.document_type for invoice in invoices}
    existing: dict[int, Record] = {}
    previous: dict[int, dict[int, Decimal]] = {key: {} for key in keys}
    names = tracked_attnames(LineMatch)
    # By the lines' own keys, loaded just above: no join through invoice_line for the invoice.
    for values in LineMatch.objects.filter(any_of("invoice_line_id", invoice_of_line)).values_list(*names):
        match = dict(zip(names, values, strict=True))
        existing[match["invoice_line_id"]] = match
        if match["po_line_id"] is not None:
            invoice_id = invoice_of_line[match["invoice_line_id"]]
            sign = Decimal(-1) if kinds[invoice_id] == "credit_memo" else Decimal(1)
            consumed = previous[invoice_id]
            consumed[match["po_line_id"]] = consumed.get(match["po_line_id"], ZERO) + sign * match["quantity"]
    open_exceptions: dict[int, OpenExceptions] = {key: {} for key in keys}
    waived: dict[int, set[tuple[str, int | None]]] = {}
    # The open exceptions and those a person waived, in one query.
    for exception in InvoiceException.objects.filter(
        Q(state=ExceptionState.OPEN) | Q(state=ExceptionState.RESOLVED, resolution_kind__in=WAIVED_KINDS),
        any_of("invoice_id", keys),
    ).values(*tracked_attnames(InvoiceException)):
        key = (exception["code"], exception["line_number"])
        if exception["state"] == ExceptionState.OPEN:
            open_exceptions[exception["invoice_id"]][key] = exception
        else:
            waived.setdefault(exception["invoice_id"], set()).add(key)
    with acting_as(actor) as acting:
        _batch_match(
            actor=actor,
            invoices=invoices,
            lines_of=[lines_by_invoice[invoice.pk] for invoice in invoices],
            now=timezone.now(),
            columns=audit_columns(acting),
            previous=previous,
            existing=existing,
            open_exceptions=open_exceptions,
            waived=waived,
        )
    return invoices


def _order_now(
    order: PurchaseOrderFacts, totals: dict[int, Decimal], earlier: dict[int, Decimal]
) -> PurchaseOrderFacts:
    """The PO as the engine must judge the next invoice: its lines' invoiced totals as the invoices before it in the
    batch moved them, less what this invoice consumed last time (the totals must hold other invoices' share only)."""
    changed = False
    lines = []
    for line in order.lines:
        total = totals[line.id] - earlier.get(line.id, ZERO)
        if total != line.quantity_invoiced:
            line = replace(line, quantity_invoiced=total)
            changed = True
        lines.append(line)
    return replace(order, lines=tuple(lines)) if changed else order


def _invoice_facts(
    invoice: Invoice, lines: list[StoredLine], flags: tuple[str, ...], duplicate: DuplicateMatch | None
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
        lines=tuple(facts for _pk, facts in lines),
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


def _places(value: Decimal | None) -> Decimal:
    """A quantity or unit price variance as stored (4 places); "not compared" is stored as 0."""
    return ZERO.quantize(QUANTITY_PLACES) if value is None else value.quantize(QUANTITY_PLACES)


def _figures(outcome: LineResult) -> tuple[Any, ...]:
    """What the engine found for one line, as a line match stores it (in the order of MATCH_FIGURES)."""
    return (
        outcome.po_line_id,
        outcome.quantity.quantize(QUANTITY_PLACES),
        _places(outcome.received_quantity),
        _places(outcome.previously_invoiced_quantity),
        _places(outcome.price_variance),
        (outcome.price_variance_pct or ZERO).quantize(CENTS),
        (outcome.extended_price_variance or ZERO).quantize(CENTS),
        _places(outcome.quantity_over_received),
        _places(outcome.quantity_over_ordered),
        outcome.rule_id,
        outcome.rule_version,
    )


def _purchase_orders(invoices: list[Invoice]) -> dict[tuple[int, str], PurchaseOrderFacts]:
    """The batch's POs by (facility, number) with their lines, locked in one fixed order (by key), like every matcher
    takes them, so batches never deadlock."""
    numbers = {(invoice.facility_id, invoice.po_number.strip()) for invoice in invoices if invoice.po_number.strip()}
    if not numbers:
        return {}
    heads: dict[int, tuple[int, str, int, str, Any]] = {}
    for pk, facility_id, number, vendor_id, currency, status in PurchaseOrder.objects.filter(
        any_of("facility_id", {facility_id for facility_id, _ in numbers}),
        any_of("number", {number for _, number in numbers}),
    ).values_list("pk", "facility_id", "number", "vendor_id", "currency", "status"):
        if (facility_id, number) in numbers:  # the filter is a cross product of facilities and numbers
            heads[pk] = (facility_id, number, vendor_id, currency, status)
    po_lines: dict[int, list[PurchaseOrderLineFacts]] = {pk: [] for pk in heads}
    if heads:
        for pk, order_id, *values in (
            PurchaseOrderLine.objects.select_for_update()
            .filter(any_of("purchase_order_id", heads))
            .order_by("pk")
            .values_list(*PO_LINE_COLUMNS)
        ):
            po_lines[order_id].append(
                PurchaseOrderLineFacts(id=pk, **dict(zip(PO_LINE_COLUMNS[2:], values, strict=True)))
            )
    return {
        (facility_id, number): PurchaseOrderFacts(
            id=pk,
            number=number,
            vendor_id=vendor_id,
            currency=currency,
            status=status,
            lines=tuple(po_lines[pk]),
        )
        for pk, (facility_id, number, vendor_id, currency, status) in heads.items()
    }


def _batch_match(
    *,
    actor: Any,
    invoices: list[Invoice],
    lines_of: list[list[StoredLine]],
    now: datetime,
    columns: dict[str, Any],
    previous: dict[int, dict[int, Decimal]] | None = None,
    existing: dict[int, Record] | None = None,
    open_exceptions: dict[int, OpenExceptions] | None = None,
    waived: dict[int, set[tuple[str, int | None]]] | None = None,
) -> None:
    """Match invoices in order, as `invoice_match` would one after the other, and write the results in bulk: line
    matches, exceptions raised and resolved, the invoices' statuses (with history) and the PO line totals."""
    previous = previous or {}
    existing = existing or {}
    open_exceptions = open_exceptions or {}
    waived = waived or {}
    orders = _purchase_orders(invoices)
    # The invoiced totals of the batch's PO lines as matching moves them (the facts keep the totals as loaded).
    totals = {line.id: line.quantity_invoiced for order in orders.values() for line in order.lines}
    before = dict(totals)
    other_lines: dict[int, Decimal] = {}  # totals of PO lines outside the batch's orders, moved by re-matching
    candidates = _duplicate_candidates(invoices)
    tolerance_rule_default_ensure()
    rules = tolerance_rule_facts(ToleranceRule.objects.filter(active=True))
    flags = vendors_flags({invoice.vendor_id for invoice in invoices if invoice.vendor_id is not None})
    created: list[Record] = []
    created_reasons: list[str] = []
    updated: list[Record] = []
    updated_reasons: list[str] = []
    exceptions: list[Record] = []
    exception_reasons: list[str] = []
    resolved: list[Record] = []
    resolved_reasons: list[str] = []
    statuses: dict[int, str] = {}
    for invoice, lines in zip(invoices, lines_of, strict=True):
        po_number = invoice.po_number.strip()
        order = orders.get((invoice.facility_id, po_number)) if po_number else None
        duplicate = duplicate_of(
            _invoice_key(invoice),
            [
                replace(key, status=statuses[key.invoice_id or 0]) if (key.invoice_id or 0) in statuses else key
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
        facts = _invoice_facts(invoice, lines, flags.get(invoice.vendor_id or 0, ()), duplicate)
        earlier = previous.get(invoice.pk, {})
        result = match_invoice(facts, _order_now(order, totals, earlier) if order is not None else None, rules, {})
        current = {po_line_id: quantity.quantize(QUANTITY_PLACES) for po_line_id, quantity in result.consumption}
        for po_line_id in set(current) | set(earlier):
            delta = current.get(po_line_id, ZERO) - earlier.get(po_line_id, ZERO)
            if not delta:
                continue
            if po_line_id in totals:
                totals[po_line_id] += delta
            else:
                other_lines[po_line_id] = other_lines.get(po_line_id, ZERO) + delta
        line_keys = {facts.line_number: pk for pk, facts in lines}
        reason = f"matched {invoice.invoice_number}"
        for outcome in result.lines:
            line_key = line_keys[outcome.invoice_line_number]
            figures = _figures(outcome)
            match = existing.get(line_key)
            if match is None:
                created.append(
                    {"invoice_line_id": line_key, **dict(zip(MATCH_FIGURES, figures, strict=True)), "matched_at": now}
                )
                created_reasons.append(reason)
            elif tuple(match[name] for name in MATCH_FIGURES) != figures:
                match.update(zip(MATCH_FIGURES, figures, strict=True))
                match["matched_at"] = now
                updated.append(match)
                updated_reasons.append(reason)
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
                exception["state"] = ExceptionState.RESOLVED.value
                exception["resolved_at"] = now
                exception["resolution"] = "No longer holds when the invoice was matched again."
                exception["resolution_kind"] = ResolutionKind.REMATCH.value
                resolved.append(exception)
                resolved_reasons.append(f"{exception['code']} resolved by re-match")
        for key, finding in found.items():
            if key in held:
                continue
            exceptions.append(
                {
                    "invoice_id": invoice.pk,
                    "code": finding.code,
                    "line_number": finding.line_number,
                    "detail": finding.detail,
                    "rule_id": finding.rule_id,
                    "rule_version": finding.rule_version,
                    "duplicate_of_id": duplicate.invoice_id
                    if duplicate and finding.code == "duplicate_suspect"
                    else None,
                    "raised_at": now,
                }
            )
            exception_reasons.append(f"{finding.code} raised")
        invoice.purchase_order_id = order.id if order is not None else None
        invoice.status = status
        invoice.matched_at = now
        statuses[invoice.pk] = status
    moved = [key for key, total in totals.items() if total != before[key]]
    columns_update(PurchaseOrderLine, moved, {"quantity_invoiced": "numeric"}, [[totals[key]] for key in moved])
    for po_line_id, delta in sorted(other_lines.items()):
        if delta:
            PurchaseOrderLine.objects.filter(pk=po_line_id).update(quantity_invoiced=F("quantity_invoiced") + delta)
    records_insert(LineMatch, created, created_reasons, columns)
    records_update(LineMatch, updated, MATCH_TYPES, updated_reasons, columns)
    records_update(InvoiceException, resolved, RESOLVED_TYPES, resolved_reasons, columns)
    records_insert(InvoiceException, exceptions, exception_reasons, columns)
    columns_update(
        Invoice,
        [invoice.pk for invoice in invoices],
        INVOICE_TYPES,
        [[invoice.purchase_order_id, invoice.status, invoice.matched_at] for invoice in invoices],
    )
    history_insert(
        Invoice,
        [record_of(invoice) for invoice in invoices],
        [f"matched {invoice.invoice_number}: {invoice.status}" for invoice in invoices],
        "~",
        columns,
    )
    for invoice in invoices:
        if invoice.status == "pending_approval":
            invoice_route_for_approval(actor=actor, invoice=invoice)
    work_items_sync(invoices=invoices, now=now, columns=columns)


def vendors_flags(vendor_ids: set[int]) -> dict[int, tuple[str, ...]]:
    """`vendors.selectors.vendor_flags` for many vendors at once (the exclusion hits in one query, not one per
    vendor): the codes an invoice of each vendor raises now."""
    at = timezone.now()
    excluded = set(
        ScreeningHit.objects.filter(vendor_id__in=vendor_ids, status=HitStatus.CONFIRMED).values_list(
            "vendor_id", flat=True
        )
    )
    flags: dict[int, tuple[str, ...]] = {}
    for vendor in Vendor.objects.filter(pk__in=vendor_ids).only("pk", "status", "bank_changed_at"):
        found: list[str] = []
        if vendor.status != VendorStatus.ACTIVE:
            found.append(VENDOR_NOT_ACTIVE)
        if vendor.pk in excluded:
            found.append(VENDOR_EXCLUDED)
        until = cooling_off_until(vendor)
        if until is not None and at < until:
            found.append(BANK_UNVERIFIED)
        flags[vendor.pk] = tuple(found)
    return flags


def _duplicate_candidates(invoices: list[Invoice]) -> dict[int, list[InvoiceKey]]:
    """Every stored invoice that may be a duplicate of one of the batch (same vendor, and same number or same
    total), per vendor, newest first (as the duplicate rule reads them)."""
    known = [invoice for invoice in invoices if invoice.vendor_id is not None]
    if not known:
        return {}
    rows = (
        Invoice.objects.filter(any_of("vendor_id", {invoice.vendor_id for invoice in known}))
        .filter(
            Q(any_of("invoice_number_normalised", {invoice.invoice_number_normalised for invoice in known}))
            | Q(any_of("total_amount", {invoice.total_amount for invoice in known}))
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
