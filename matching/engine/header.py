"""Checks on the invoice as a whole: duplicate, vendor, PO reference and status, currency, header total."""

from __future__ import annotations

from decimal import Decimal

from matching.engine import wording
from matching.engine.facts import InvoiceFacts, PurchaseOrderFacts, ToleranceRule
from matching.engine.results import (
    BANK_UNVERIFIED,
    CURRENCY_MISMATCH,
    DUPLICATE_SUSPECT,
    PO_CLOSED,
    PO_MISSING,
    PO_NOT_FOUND,
    TOTAL_MISMATCH,
    VENDOR_EXCLUDED,
    VENDOR_FLAG_CODES,
    VENDOR_MISMATCH,
    VENDOR_NOT_ACTIVE,
    VENDOR_UNKNOWN,
    Finding,
)

VENDOR_FLAG_DETAILS: dict[str, str] = {
    VENDOR_NOT_ACTIVE: "The vendor is on hold, blocked or inactive in the supplier master.",
    VENDOR_EXCLUDED: "The vendor has a confirmed exclusion-list match (OIG LEIE / SAM).",
    BANK_UNVERIFIED: "The vendor's remit-to bank account is unverified or changed within the cooling-off period.",
}


def same_currency(invoice: InvoiceFacts, po: PurchaseOrderFacts) -> bool:
    """Whether invoice and PO are in one currency; "usd" and "USD " are one currency."""
    return invoice.currency.strip().upper() == po.currency.strip().upper()


def _finding(code: str, detail: str, rule: ToleranceRule | None = None) -> Finding:
    """A header finding, naming the rule only when a rule's limit decided it."""
    return Finding(
        code=code,
        line_number=None,
        detail=detail,
        rule_id=rule.id if rule else None,
        rule_version=rule.version if rule else None,
    )


def _vendor_findings(invoice: InvoiceFacts) -> list[Finding]:
    """vendor_unknown, then the supplier master's flags once each, in the order it gave them."""
    findings: list[Finding] = []
    if invoice.vendor_id is None:
        findings.append(_finding(VENDOR_UNKNOWN, "The vendor reference resolves to no supplier in the master."))
    for flag in dict.fromkeys(invoice.vendor_flags):
        if flag not in VENDOR_FLAG_CODES:
            # A misspelt flag would reach the clerk's queue as an unknown code; better to fail loading.
            raise ValueError(f"Unknown vendor flag {flag!r}; expected one of {sorted(VENDOR_FLAG_CODES)}")
        findings.append(_finding(flag, VENDOR_FLAG_DETAILS[flag]))
    return findings


def _purchase_order_findings(invoice: InvoiceFacts, po: PurchaseOrderFacts | None) -> list[Finding]:
    """PO reference, status, vendor and currency checks."""
    po_number = invoice.po_number.strip()
    if not po_number:
        if invoice.po_required:
            return [_finding(PO_MISSING, "The invoice has no PO number, and this invoice needs one.")]
        return []
    if po is None:
        return [_finding(PO_NOT_FOUND, f"PO number {po_number} matches no purchase order.")]
    findings: list[Finding] = []
    if po.status != "open":
        findings.append(_finding(PO_CLOSED, f"PO {po.number} is {po.status}."))
    elif (
        invoice.document_type == "invoice"
        and po.lines
        and all(line.quantity_invoiced >= line.quantity_ordered for line in po.lines)
    ):
        findings.append(
            _finding(
                PO_CLOSED, f"PO {po.number} is fully invoiced: every line has been invoiced up to its ordered quantity."
            )
        )
    if invoice.vendor_id is not None and invoice.vendor_id != po.vendor_id:
        findings.append(
            _finding(
                VENDOR_MISMATCH,
                f"Invoice vendor #{invoice.vendor_id} differs from vendor #{po.vendor_id} of PO {po.number}.",
            )
        )
    if not same_currency(invoice, po):
        findings.append(
            _finding(
                CURRENCY_MISMATCH,
                f"Invoice currency {invoice.currency} differs from {po.currency} of PO {po.number}; "
                "unit prices were not compared.",
            )
        )
    return findings


def _total_finding(invoice: InvoiceFacts, rule: ToleranceRule) -> Finding | None:
    """total_mismatch when the header total strays from lines + tax + freight by more than the rule allows."""
    lines_amount = sum((line.amount for line in invoice.lines), Decimal(0))
    expected = lines_amount + invoice.tax_amount + invoice.freight_amount
    difference = invoice.total_amount - expected
    if abs(difference) <= rule.header_total_abs:
        return None
    currency = invoice.currency
    return _finding(
        TOTAL_MISMATCH,
        f"Header total {wording.amount(invoice.total_amount)} differs from lines {wording.amount(lines_amount)} "
        f"+ tax {wording.amount(invoice.tax_amount)} + freight {wording.amount(invoice.freight_amount)} "
        f"= {wording.amount(expected)} by {wording.amount(abs(difference))} "
        f"(limit {wording.money(rule.header_total_abs, currency)}, {wording.rule_label(rule)}).",
        rule,
    )


def header_findings(invoice: InvoiceFacts, po: PurchaseOrderFacts | None, header_rule: ToleranceRule) -> list[Finding]:
    """Every finding on the invoice as a whole, in the glossary's order."""
    findings: list[Finding] = []
    if invoice.duplicate_of.strip():
        findings.append(
            _finding(
                DUPLICATE_SUSPECT,
                f"This looks like a duplicate of invoice {invoice.duplicate_of.strip()} from the same vendor.",
            )
        )
    findings.extend(_vendor_findings(invoice))
    findings.extend(_purchase_order_findings(invoice, po))
    total_finding = _total_finding(invoice, header_rule)
    if total_finding is not None:
        findings.append(total_finding)
    return findings
