"""The duplicate-invoice rule of DESIGN.md, as pure functions (the intake service loads the candidates).

An invoice is a suspected duplicate of a live invoice of the same vendor and document type when
- their normalised invoice numbers are equal (case, spaces, punctuation and leading zeros ignored), or
- their totals are equal, their invoice dates are at most 7 days apart and their normalised numbers are one edit
  apart (one character inserted, deleted or replaced: "INV-1001" vs "INV-1010" is two, "1001" vs "10001" one).
A credit memo is never a duplicate of an invoice (it is compared only with credit memos), and an idempotent replay
never reaches this rule (the API answers it from the idempotency record)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rapidfuzz.distance import Levenshtein

# Statuses of invoices that no longer count: a rejected or cancelled invoice may be sent again.
DEAD_STATUSES = frozenset({"rejected", "cancelled"})
NEAR_DATE_DAYS = 7
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def invoice_number_normalise(number: str) -> str:
    """The comparable form of an invoice number: casefolded, only letters and digits, leading zeros dropped."""
    compact = _NOT_ALNUM.sub("", number.casefold())
    stripped = compact.lstrip("0")
    return stripped or ("0" if compact else "")


@dataclass(frozen=True)
class InvoiceKey:
    """What the rule compares of an invoice."""

    invoice_id: int | None
    vendor_id: int | None
    document_type: str
    number_normalised: str
    total_amount: Decimal
    invoice_date: date
    status: str = "received"
    invoice_number: str = ""


@dataclass(frozen=True)
class DuplicateMatch:
    """The live invoice an incoming one duplicates, and why."""

    invoice_id: int | None
    invoice_number: str
    reason: str


def duplicate_of(incoming: InvoiceKey, candidates: Iterable[InvoiceKey]) -> DuplicateMatch | None:
    """The first live invoice that `incoming` duplicates (exact number first, then the near rule), or None."""
    if incoming.vendor_id is None or not incoming.number_normalised:
        return None  # an unknown vendor has no invoices to compare with; it is flagged vendor_unknown instead
    near: DuplicateMatch | None = None
    for candidate in candidates:
        if (
            candidate.invoice_id == incoming.invoice_id
            or candidate.vendor_id != incoming.vendor_id
            or candidate.document_type != incoming.document_type
            or candidate.status in DEAD_STATUSES
        ):
            continue
        if candidate.number_normalised == incoming.number_normalised:
            return DuplicateMatch(
                candidate.invoice_id,
                candidate.invoice_number,
                f"same vendor and invoice number as {candidate.invoice_number}",
            )
        if near is None and _near(incoming, candidate):
            near = DuplicateMatch(
                candidate.invoice_id,
                candidate.invoice_number,
                f"same vendor and total {candidate.total_amount}, dated within {NEAR_DATE_DAYS} days, invoice number"
                f" one character from {candidate.invoice_number}",
            )
    return near


def _near(incoming: InvoiceKey, candidate: InvoiceKey) -> bool:
    return (
        candidate.total_amount == incoming.total_amount
        and abs((candidate.invoice_date - incoming.invoice_date).days) <= NEAR_DATE_DAYS
        and Levenshtein.distance(candidate.number_normalised, incoming.number_normalised, score_cutoff=1) == 1
    )
