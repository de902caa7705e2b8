"""Checks on each invoice line against its PO line: unit of measure, unit price, ordered and received quantities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from matching.engine import wording
from matching.engine.facts import (
    InvoiceFacts,
    InvoiceLineFacts,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    ToleranceRule,
)
from matching.engine.pairing import DESCRIPTION_SIMILARITY_MIN, PriceComparison, compare_price, po_line_for
from matching.engine.results import (
    LINE_NOT_ON_PO,
    NO_RECEIPT,
    PRICE_VARIANCE,
    QTY_OVER_ORDERED,
    QTY_OVER_RECEIVED,
    UOM_MISMATCH,
    Finding,
    LineResult,
)
from matching.engine.tolerances import price_exceeds
from matching.engine.units import NormalisedConversions, to_po_unit

ZERO = Decimal(0)


@dataclass(slots=True)
class LineVerdicts:
    """Line results, line findings and PO-line consumption gathered over one invoice, in line order."""

    results: list[LineResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    consumed: dict[int, Decimal] = field(default_factory=dict)  # po_line_id -> signed quantity, PO unit

    def find(self, code: str, line: InvoiceLineFacts, detail: str, rule: ToleranceRule | None = None) -> None:
        """Record a finding on an invoice line, naming the rule only when a rule's limit decided it."""
        self.findings.append(
            Finding(
                code=code,
                line_number=line.line_number,
                detail=detail,
                rule_id=rule.id if rule else None,
                rule_version=rule.version if rule else None,
            )
        )


def unmatched_result(line: InvoiceLineFacts, *, credit: bool) -> LineResult:
    """A line compared with nothing: no PO, or no PO line it could be for."""
    return LineResult(
        invoice_line_number=line.line_number,
        po_line_id=None,
        po_line_number=None,
        quantity=abs(line.quantity) if credit else line.quantity,
        unit_of_measure=line.unit_of_measure,
        received_quantity=None,
        previously_invoiced_quantity=None,
        price_variance=None,
        price_variance_pct=None,
        extended_price_variance=None,
        quantity_over_received=None,
        quantity_over_ordered=None,
        rule_id=None,
        rule_version=None,
    )


def _price_finding(
    verdicts: LineVerdicts,
    line: InvoiceLineFacts,
    *,
    po_line: PurchaseOrderLineFacts,
    unit_price: Decimal,
    comparison: PriceComparison,
    rule: ToleranceRule,
    currency: str,
) -> None:
    """price_variance when the unit price (in the PO unit) breaks the rule's price tolerance."""
    if not price_exceeds(rule, variance=comparison.variance, percent=comparison.percent, extended=comparison.extended):
        return
    if comparison.variance < 0:
        how_far = f"{wording.percent(-comparison.percent)} % below" if comparison.percent is not None else "below"
        verdicts.find(
            PRICE_VARIANCE,
            line,
            f"Unit price {wording.unit_price(unit_price)} is {how_far} the PO price "
            f"{wording.unit_price(po_line.unit_price)} on PO line {po_line.line_number}, and a lower price "
            f"is not accepted ({wording.rule_label(rule)}).",
            rule,
        )
        return
    how_far = f"{wording.percent(comparison.percent)} % above" if comparison.percent is not None else "above"
    verdicts.find(
        PRICE_VARIANCE,
        line,
        f"Unit price {wording.unit_price(unit_price)} is {how_far} the PO price "
        f"{wording.unit_price(po_line.unit_price)} on PO line {po_line.line_number}, "
        f"{wording.money(comparison.extended, currency)} extended "
        f"(limit {wording.plain(rule.price_pct)} % and {wording.money(rule.price_abs, currency)} extended, "
        f"{wording.rule_label(rule)}).",
        rule,
    )


def _quantity_findings(
    verdicts: LineVerdicts,
    line: InvoiceLineFacts,
    *,
    po_line: PurchaseOrderLineFacts,
    previously: Decimal,
    cumulative: Decimal,
    rule: ToleranceRule,
) -> tuple[Decimal, Decimal | None]:
    """qty_over_ordered, then no_receipt or qty_over_received (3-way); returns both overages."""
    uom = po_line.unit_of_measure
    over_ordered = max(cumulative - po_line.quantity_ordered, ZERO)
    if cumulative > po_line.quantity_ordered + rule.qty_over_ordered:
        verdicts.find(
            QTY_OVER_ORDERED,
            line,
            f"Invoiced quantity on PO line {po_line.line_number} would reach {wording.plain(cumulative)} {uom}, "
            f"above the {wording.plain(po_line.quantity_ordered)} {uom} ordered "
            f"({wording.plain(previously)} {uom} invoiced before this line; "
            f"limit {wording.plain(rule.qty_over_ordered)} {uom} over ordered, {wording.rule_label(rule)}).",
            rule,
        )
    if po_line.match_type != "three_way":
        return over_ordered, None
    over_received = max(cumulative - po_line.quantity_received, ZERO)
    if po_line.quantity_received <= 0:
        # Nothing to compare against: one no_receipt says it; qty_over_received would only repeat it.
        verdicts.find(
            NO_RECEIPT, line, f"Nothing has been received yet on PO line {po_line.line_number} (three-way match)."
        )
    elif cumulative > po_line.quantity_received + rule.qty_over_received:
        verdicts.find(
            QTY_OVER_RECEIVED,
            line,
            f"Invoiced quantity on PO line {po_line.line_number} would reach {wording.plain(cumulative)} {uom}, "
            f"but only {wording.plain(po_line.quantity_received)} {uom} were received "
            f"(limit {wording.plain(rule.qty_over_received)} {uom} over received, {wording.rule_label(rule)}).",
            rule,
        )
    return over_ordered, over_received


def _judge_matched_line(
    verdicts: LineVerdicts,
    line: InvoiceLineFacts,
    *,
    invoice: InvoiceFacts,
    po_line: PurchaseOrderLineFacts,
    rule: ToleranceRule,
    conversions: NormalisedConversions,
    prices_comparable: bool,
) -> None:
    """Convert the line into the PO unit, then check its price and (for invoices) quantities."""
    credit = invoice.document_type == "credit_memo"
    previously = po_line.quantity_invoiced + verdicts.consumed.get(po_line.id, ZERO)
    stated_quantity = abs(line.quantity) if credit else line.quantity
    in_po_unit = to_po_unit(
        quantity=stated_quantity,
        unit_price=line.unit_price,
        invoice_uom=line.unit_of_measure,
        po_uom=po_line.unit_of_measure,
        conversions=conversions,
    )
    comparison: PriceComparison | None = None
    over_ordered: Decimal | None = None
    over_received: Decimal | None = None
    if in_po_unit is None:
        # The quantity cannot be stated in the PO unit, so it neither consumes the PO line nor is checked.
        verdicts.find(
            UOM_MISMATCH,
            line,
            f"Invoice unit {line.unit_of_measure} differs from unit {po_line.unit_of_measure} of PO line "
            f"{po_line.line_number} and no conversion between them is known.",
        )
    else:
        if prices_comparable:
            comparison = compare_price(unit_price=in_po_unit.unit_price, quantity=in_po_unit.quantity, po_line=po_line)
            if not credit:
                _price_finding(
                    verdicts,
                    line,
                    po_line=po_line,
                    unit_price=in_po_unit.unit_price,
                    comparison=comparison,
                    rule=rule,
                    currency=invoice.currency,
                )
        if not credit:
            over_ordered, over_received = _quantity_findings(
                verdicts,
                line,
                po_line=po_line,
                previously=previously,
                cumulative=previously + in_po_unit.quantity,
                rule=rule,
            )
        signed = -in_po_unit.quantity if credit else in_po_unit.quantity
        verdicts.consumed[po_line.id] = verdicts.consumed.get(po_line.id, ZERO) + signed
    verdicts.results.append(
        LineResult(
            invoice_line_number=line.line_number,
            po_line_id=po_line.id,
            po_line_number=po_line.line_number,
            quantity=in_po_unit.quantity if in_po_unit else stated_quantity,
            unit_of_measure=po_line.unit_of_measure if in_po_unit else line.unit_of_measure,
            received_quantity=po_line.quantity_received,
            previously_invoiced_quantity=previously,
            price_variance=comparison.variance if comparison else None,
            price_variance_pct=comparison.percent if comparison else None,
            extended_price_variance=comparison.extended if comparison else None,
            quantity_over_received=over_received,
            quantity_over_ordered=over_ordered,
            rule_id=rule.id,
            rule_version=rule.version,
        )
    )


def _not_on_po_detail(line: InvoiceLineFacts, po: PurchaseOrderFacts, *, prices_comparable: bool) -> str:
    """Why an invoice line found no PO line, in the order the engine looked."""
    reasons = [f"PO line {line.po_line_number} does not exist"] if line.po_line_number is not None else []
    reasons.append("no line has its item code or GTIN")
    if prices_comparable:
        reasons.append(
            f"none has a description at least {DESCRIPTION_SIMILARITY_MIN:g} % similar at a unit price within tolerance"
        )
    else:
        reasons.append("descriptions were not compared because the currencies differ")
    return (
        f"Invoice line {line.line_number} ({line.item_code or 'no item code'}: {line.description!r}) "
        f"matches no line of PO {po.number}: {', '.join(reasons)}."
    )


def judge_lines(
    invoice: InvoiceFacts,
    po: PurchaseOrderFacts,
    *,
    rule_for_line: Callable[[PurchaseOrderLineFacts], ToleranceRule],
    conversions: NormalisedConversions,
    prices_comparable: bool,
) -> LineVerdicts:
    """Pair every invoice line with a PO line, in line-number order, and check each pair."""
    verdicts = LineVerdicts()
    credit = invoice.document_type == "credit_memo"
    for line in sorted(invoice.lines, key=lambda invoice_line: invoice_line.line_number):
        po_line = po_line_for(
            line,
            po,
            document_type=invoice.document_type,
            consumed_here=verdicts.consumed,
            conversions=conversions,
            rule_for_line=rule_for_line,
            prices_comparable=prices_comparable,
        )
        if po_line is None:
            verdicts.find(LINE_NOT_ON_PO, line, _not_on_po_detail(line, po, prices_comparable=prices_comparable))
            verdicts.results.append(unmatched_result(line, credit=credit))
            continue
        _judge_matched_line(
            verdicts,
            line,
            invoice=invoice,
            po_line=po_line,
            rule=rule_for_line(po_line),
            conversions=conversions,
            prices_comparable=prices_comparable,
        )
    return verdicts
