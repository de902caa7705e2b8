"""The match engine: one invoice or credit memo judged against its PO, receipts and tolerance rules.

`match_invoice` is a pure function of loaded facts (no ORM, no I/O): same facts, same result.

Decisions on points the brief left open (each has a test):
- Rule selection. Lines are judged by the rule for (invoice facility, vendor, PO line category);
  the header total by the rule chosen without a category. The vendor looked up is the invoice's
  vendor, or the PO's when the invoice vendor is unknown. No applicable rule is a ValueError:
  the persistence layer always loads a global rule. See `tolerances` for ties.
- Which findings name a rule: those whose limit comes from a rule (price_variance,
  qty_over_ordered, qty_over_received, total_mismatch). Every matched LineResult names its rule.
- Non-PO invoices: a blank po_number with a PO passed in is a loading bug (ValueError). Without a
  PO no line is matched or reported as line_not_on_po; the header checks still run.
- po_closed: a PO not "open", or, for an invoice (never a credit memo, which is how a fully
  invoiced PO gets room back), one with at least one line and every line's quantity invoiced by
  others >= ordered. Line checks still run on a closed PO, so the clerk sees everything at once.
- currency_mismatch: unit prices in two currencies are not compared, so no price_variance and no
  matching by description (which needs a price within tolerance); quantities are still checked.
- Two invoice lines on one PO line: a line number the vendor wrote is honoured as written; item
  code and description matches prefer a PO line whose remaining quantity covers the line and fall
  back to one already used. Either way the later line is on the PO, so it is never
  line_not_on_po: qty_over_ordered / qty_over_received on it say the PO line cannot take both.
- UoM: compared stripped and case-insensitively; a conversion known in either direction is used.
  With none, uom_mismatch and no price or quantity check; the line consumes nothing (its quantity
  cannot be stated in the PO unit) and its LineResult keeps the invoice's own unit.
- Quantity tolerances (qty_over_ordered, qty_over_received) are absolute quantities in the PO
  unit. A three-way line with received <= 0 raises no_receipt only, not qty_over_received too.
- previously_invoiced_quantity is what was invoiced before this line: other invoices plus earlier
  lines of this invoice on the same PO line; cumulative = previously + this line's quantity.
- Credit memos: line quantities are taken as magnitudes (vendors write them either signed or
  not) and consumption is their negative. Neither price nor quantity findings: a credit at another
  price does not make us overpay, and a credit cannot over-invoice. Price variance figures are
  still reported on the lines for the record. Header checks all apply (except "fully invoiced").
- The header subtotal is not checked: total vs lines + tax + freight is the figure that gets paid.
- Vendor flags must be vendor_not_active, vendor_excluded or bank_unverified (ValueError
  otherwise, so a misspelt code never reaches a queue); a repeated flag is raised once.
- Findings come in a fixed order: header findings in glossary order, then line findings by
  invoice line number. Consumption has one entry per PO line touched, in PO line order.
- Rounding is for display only (money and percentages to 0.01, unit prices to up to 4 places);
  every comparison is on unrounded Decimals and LineResult figures are unrounded.
"""

from __future__ import annotations

from collections.abc import Sequence

from matching.engine.facts import (
    InvoiceFacts,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    ToleranceRule,
    UomConversions,
)
from matching.engine.header import header_findings, same_currency
from matching.engine.lines import judge_lines, unmatched_result
from matching.engine.results import LineResult, MatchResult, MatchStatus
from matching.engine.tolerances import rule_for
from matching.engine.units import normalise_conversions


def match_invoice(
    invoice: InvoiceFacts,
    po: PurchaseOrderFacts | None,
    rules: Sequence[ToleranceRule],
    uoms: UomConversions,
) -> MatchResult:
    """Judge an invoice or credit memo against its PO (None: no PO number, or none found) under the rules."""
    if po is not None and not invoice.po_number.strip():
        raise ValueError(f"PO {po.number} was loaded for an invoice that references no PO")
    conversions = normalise_conversions(uoms)
    vendor_id = invoice.vendor_id if invoice.vendor_id is not None else (po.vendor_id if po else None)
    header_rule = rule_for(rules, facility_id=invoice.facility_id, vendor_id=vendor_id, category="")
    findings = header_findings(invoice, po, header_rule)

    if po is None:
        credit = invoice.document_type == "credit_memo"
        lines: tuple[LineResult, ...] = tuple(
            unmatched_result(line, credit=credit) for line in sorted(invoice.lines, key=lambda line: line.line_number)
        )
        status: MatchStatus = "exception" if findings else "pending_approval"
        return MatchResult(status=status, findings=tuple(findings), lines=lines, consumption=())

    rules_by_po_line: dict[int, ToleranceRule] = {}

    def rule_for_line(po_line: PurchaseOrderLineFacts) -> ToleranceRule:
        """The rule judging a PO line, looked up once per line however often pairing asks."""
        if po_line.id not in rules_by_po_line:
            rules_by_po_line[po_line.id] = rule_for(
                rules, facility_id=invoice.facility_id, vendor_id=vendor_id, category=po_line.category
            )
        return rules_by_po_line[po_line.id]

    verdicts = judge_lines(
        invoice,
        po,
        rule_for_line=rule_for_line,
        conversions=conversions,
        prices_comparable=same_currency(invoice, po),
    )
    findings.extend(verdicts.findings)
    line_order = {po_line.id: po_line.line_number for po_line in po.lines}
    consumption = tuple(sorted(verdicts.consumed.items(), key=lambda entry: line_order[entry[0]]))
    return MatchResult(
        status="exception" if findings else "approved",
        findings=tuple(findings),
        lines=tuple(verdicts.results),
        consumption=consumption,
    )
