"""What the item page shows, as template context: the invoice beside its PO, the lease, and the action forms."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from matching.models import ExceptionCode, InvoiceException, WorkItem
from matching.services.workbench.authority import authority_limit
from matching.services.workbench.claims import held_by_other, holds_lease, may_work
from matching.views._common import candidates_for, display_name, is_manager_of
from matching.views.item_actions import ACTIONS, available
from matching.workbench_forms import ReassignForm
from matching.workbench_selectors import LineView, work_item_detail

PRICE_CODES = {ExceptionCode.PRICE_VARIANCE}
QUANTITY_CODES = {ExceptionCode.QTY_OVER_ORDERED, ExceptionCode.QTY_OVER_RECEIVED, ExceptionCode.NO_RECEIPT}
# What the vendor's flags mean for the invoice, in the words a clerk reads.
FLAG_LABELS = {
    "vendor_not_active": "Not active: its invoices are held",
    "vendor_excluded": "Excluded: confirmed on an exclusion list (OIG LEIE / SAM)",
    "bank_unverified": "Bank account changed recently: in its cooling-off period",
}


def number(value: Decimal | None) -> str:
    """A quantity or unit price without trailing zeros (10.3000 -> 10.3, 100.0000 -> 100)."""
    if value is None:
        return ""
    return format(value.normalize(), ",f") if value else "0"


@dataclass(frozen=True)
class LineRow:
    """An invoice line beside its PO line, with which figures the exceptions flag and the rule that judged them."""

    view: LineView
    open_codes: list[str]
    price_flagged: bool
    quantity_flagged: bool
    rule: str
    figures: dict[str, str]


def _figures(view: LineView) -> dict[str, str]:
    """The line's and its PO line's figures as the side-by-side table shows them."""
    line, match, po_line = view.line, view.match, view.po_line
    figures = {
        "quantity": number(line.quantity),
        "unit_price": number(line.unit_price),
        "amount": f"{line.amount:,.2f}",
    }
    if po_line is not None:
        figures.update(ordered=number(po_line.quantity_ordered), po_price=number(po_line.unit_price))
    if match is not None:
        figures.update(
            received=number(match.received_quantity),
            invoiced_before=number(match.previously_invoiced_quantity),
            price_variance=number(match.price_variance) if match.price_variance else "",
            price_variance_pct=number(match.price_variance_pct) if match.price_variance else "",
            extended_variance=f"{match.extended_price_variance:,.2f}" if match.extended_price_variance else "",
            over_received=number(match.quantity_over_received) if match.quantity_over_received else "",
            over_ordered=number(match.quantity_over_ordered) if match.quantity_over_ordered else "",
        )
    return figures


def rule_label(exceptions: list[InvoiceException], view: LineView | None = None) -> str:
    """The tolerance rule (name and version) that judged a line or an exception."""
    for exception in exceptions:
        if exception.rule is not None:
            return f"{exception.rule.name} v{exception.rule_version or exception.rule.version}"
    match = view.match if view is not None else None
    if match is not None and match.rule is not None:
        return f"{match.rule.name} v{match.rule_version or match.rule.version}"
    return ""


def _line_rows(lines: list[LineView]) -> list[LineRow]:
    """Each invoice line with its open exceptions' codes and highlights."""
    rows = []
    for view in lines:
        codes = sorted({e.code for e in view.exceptions if e.state == "open"})
        rows.append(
            LineRow(
                view=view,
                open_codes=codes,
                price_flagged=bool(PRICE_CODES & set(codes)),
                quantity_flagged=bool(QUANTITY_CODES & set(codes)),
                rule=rule_label(view.exceptions, view),
                figures=_figures(view),
            )
        )
    return rows


def status_context(user: User, item: WorkItem, *, lost: bool = False) -> dict[str, Any]:
    """The status strip: the item's state, due time and who holds its lease until when."""
    now = timezone.now()
    mine = holds_lease(user, item, now)
    other = held_by_other(user, item, now)
    return {
        "item": item,
        "holds": mine,
        "held_by_other": other,
        "holder": display_name(item.claimed_by) if other else "",
        "lost": lost,
        "breached": item.due_at < now,
        "oob": False,
    }


def _forms(user: User, item: WorkItem, keys: list[str], failed: tuple[str, forms.Form] | None) -> list[dict[str, Any]]:
    """The action forms to show: a blank one per applicable action, the refused one with its errors."""
    entries = []
    for key in keys:
        spec = ACTIONS[key]
        if failed is not None and failed[0] == key:
            form = failed[1]
        elif key == "reassign":
            form = ReassignForm(prefix=key, candidates=candidates_for(item).exclude(pk=item.claimed_by_id or 0))
        else:
            form = spec.form(prefix=key)
        entries.append({"spec": spec, "form": form, "open": failed is not None and failed[0] == key})
    return entries


def item_context(
    user: User,
    item: WorkItem,
    *,
    failed: tuple[str, forms.Form] | None = None,
    done: str = "",
) -> dict[str, Any]:
    """The whole page's context (also used for the partial answers to htmx)."""
    detail = work_item_detail(item)
    status = status_context(user, item)
    works = may_work(user, item)
    manages = works and is_manager_of(user, item)
    open_codes = {exception.code for exception in detail.open_exceptions}
    read_only = not works or status["held_by_other"]
    keys = [
        key
        for key in ACTIONS
        if works
        and available(key, item, open_codes, holds=status["holds"], manages=manages)
        and (not read_only or key == "reassign")
    ]
    authority: Decimal | None = None
    if "accept" in keys:
        authority = authority_limit(user, item.facility_id)
    invoice = detail.invoice
    vendor = invoice.vendor
    return {
        **status,
        "detail": detail,
        "invoice": invoice,
        "vendor": vendor,
        "flags": [(flag, FLAG_LABELS.get(flag, flag)) for flag in detail.vendor_flags],
        "line_rows": _line_rows(detail.lines),
        "po_rows": [
            {
                "line": po_line,
                "ordered": number(po_line.quantity_ordered),
                "received": number(po_line.quantity_received),
                "invoiced": number(po_line.quantity_invoiced),
                "unit_price": number(po_line.unit_price),
            }
            for po_line in detail.po_lines
        ],
        "receipt_rows": [
            {
                "receipt": receipt,
                "lines": [(line.po_line.line_number, number(line.quantity)) for line in receipt.lines.all()],
            }
            for receipt in detail.receipts
        ],
        "header_exceptions": [
            (exception, rule_label([exception])) for exception in detail.header_exceptions if exception.state == "open"
        ],
        "works": works,
        "read_only": read_only,
        "actions": _forms(user, item, keys, failed),
        "authority": authority,
        "above_authority": authority is not None and detail.variance_total > authority,
        "done": done,
        "shortcut_keys": {ACTIONS[key].shortcut for key in keys if ACTIONS[key].shortcut},
    }
