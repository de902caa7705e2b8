"""The match engine: a pure function from loaded invoice, PO, receipt and tolerance facts to a match result."""

from matching.engine.facts import (
    InvoiceFacts,
    InvoiceLineFacts,
    PurchaseOrderFacts,
    PurchaseOrderLineFacts,
    ToleranceRule,
    UomConversions,
)
from matching.engine.match import match_invoice
from matching.engine.results import EXCEPTION_CODES, Finding, LineResult, MatchResult
from matching.engine.tolerances import DEFAULT_RULE, rule_for

__all__ = [
    "DEFAULT_RULE",
    "EXCEPTION_CODES",
    "Finding",
    "InvoiceFacts",
    "InvoiceLineFacts",
    "LineResult",
    "MatchResult",
    "PurchaseOrderFacts",
    "PurchaseOrderLineFacts",
    "ToleranceRule",
    "UomConversions",
    "match_invoice",
    "rule_for",
]
