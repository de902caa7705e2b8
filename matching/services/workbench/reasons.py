"""The reason codes a clerk picks for each action (part of the UI and the API; stored on every action)."""

from __future__ import annotations

OTHER = "other"

ACCEPT_REASONS = {
    "contract_price": "Contract or GPO price applies",
    "price_increase_agreed": "Price increase agreed with the buyer",
    "freight_or_fees": "Freight or fees agreed",
    "rounding": "Rounding or unit conversion",
    "substitute_item": "Approved substitute item",
    OTHER: "Other (say why in the note)",
}
CREDIT_MEMO_REASONS = {
    "overcharge": "Billed above the PO price",
    "over_billed_quantity": "Billed more than ordered or received",
    OTHER: "Other (say why in the note)",
}
RECEIPT_REASONS = {
    "not_received": "Nothing received on the PO yet",
    "partially_received": "Only part received",
    OTHER: "Other (say why in the note)",
}
DUPLICATE_DISMISS_REASONS = {
    "different_goods": "Different goods or services",
    "recurring_charge": "A recurring charge",
    "corrected_invoice": "A corrected invoice replacing a cancelled one",
    OTHER: "Other (say why in the note)",
}
HOLD_REASONS = {
    "awaiting_vendor": "Waiting for the vendor",
    "awaiting_buyer": "Waiting for the buyer",
    "investigation": "Under investigation",
    "month_end": "Held for the period close",
    OTHER: "Other (say why in the note)",
}
REJECT_REASONS = {
    "duplicate": "Duplicate of an invoice already received",
    "not_ordered": "Goods or services not ordered",
    "wrong_facility": "Billed to the wrong facility",
    "pricing_dispute": "Prices not as agreed",
    "vendor_ineligible": "Vendor may not be paid (excluded or not active)",
    OTHER: "Other (say why in the note)",
}
REASSIGN_REASONS = {
    "workload": "Balancing workload",
    "expertise": "Needs someone who knows this vendor",
    "absence": "Clerk absent",
    OTHER: "Other (say why in the note)",
}
