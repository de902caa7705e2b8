"""The actions of the item page: which apply to an item now, their forms, and what each tells the clerk it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.models import User

from matching.models import ExceptionCode, WorkItem, WorkItemState
from matching.services.work_items import VARIANCE_CODES
from matching.services.workbench.actions import (
    RECEIPT_CODES,
    WORKING_STATES,
    work_item_accept_variance,
    work_item_comment,
    work_item_confirm_duplicate,
    work_item_dismiss_duplicate,
    work_item_hold,
    work_item_reject,
    work_item_release_hold,
    work_item_request_credit_memo,
    work_item_route_for_receipt,
)
from matching.services.workbench.claims import work_item_reassign, work_item_release
from matching.workbench_forms import (
    AcceptVarianceForm,
    CommentForm,
    ConfirmDuplicateForm,
    CreditMemoForm,
    DismissDuplicateForm,
    HoldForm,
    ReassignForm,
    RejectForm,
    ReleaseForm,
    ReleaseHoldForm,
    RouteReceiptForm,
)

Runner = Callable[[User, WorkItem, dict[str, Any]], str]


def _money(value: Any) -> str:
    """Dollars with cents."""
    return f"${value:,.2f}"


def _accept(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Accept the open variances (or send them for approval above the clerk's authority)."""
    outcome = work_item_accept_variance(actor=user, item=item, reason_code=data["reason_code"], note=data["note"])
    if outcome.accepted:
        return f"Variance of {_money(outcome.amount)} accepted (your authority: {_money(outcome.authority)})."
    return (
        f"Variance of {_money(outcome.amount)} is above your authority of {_money(outcome.authority)}:"
        " it went to an AP manager for approval."
    )


def _credit_memo(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Ask the vendor for a credit memo."""
    work_item_request_credit_memo(actor=user, item=item, reason_code=data["reason_code"], note=data["note"])
    return "Credit memo requested from the vendor; the item waits for it."


def _receipt(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Ask the buyer or receiver to confirm the receipt."""
    work_item_route_for_receipt(
        actor=user, item=item, reason_code=data["reason_code"], to_email=data["to_email"], note=data["note"]
    )
    return f"Asked {data['to_email']} to confirm the receipt; the item waits for it."


def _confirm_duplicate(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Reject the invoice as a duplicate."""
    work_item_confirm_duplicate(actor=user, item=item, note=data["note"])
    return "Confirmed as a duplicate: the invoice is rejected and the vendor told."


def _dismiss_duplicate(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Clear the duplicate suspicion."""
    work_item_dismiss_duplicate(actor=user, item=item, reason_code=data["reason_code"], note=data["note"])
    return "Not a duplicate: the invoice was matched again."


def _hold(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Put the item on hold until its review date."""
    work_item_hold(
        actor=user, item=item, reason_code=data["reason_code"], review_on=data["review_on"], note=data["note"]
    )
    return f"On hold until {data['review_on']:%a %d %b %Y}."


def _release_hold(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Take the item off hold."""
    work_item_release_hold(actor=user, item=item, note=data["note"])
    return "Back from hold: the item is yours to work."


def _reject(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Reject the invoice, telling the vendor why."""
    work_item_reject(actor=user, item=item, reason_code=data["reason_code"], note=data["note"])
    return "Invoice rejected; the vendor is told why."


def _comment(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Add a comment to the timeline."""
    work_item_comment(actor=user, item=item, note=data["note"])
    return "Comment added."


def _release(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Give the item back to its queue."""
    work_item_release(actor=user, item=item)
    return "Item given back to its queue."


def _reassign(user: User, item: WorkItem, data: dict[str, Any]) -> str:
    """Give the item to another clerk (AP managers)."""
    work_item_reassign(actor=user, item=item, to=data["to"], reason_code=data["reason_code"], note=data["note"])
    to = data["to"]
    return f"Given to {to.get_full_name() or to.username}."


@dataclass(frozen=True)
class ItemAction:
    """One action of the item page: its form, button, keyboard shortcut and service call."""

    key: str
    label: str
    form: type[forms.Form]
    run: Runner
    shortcut: str = ""
    style: str = "quiet"
    # Whether the clerk stays on the item afterwards (otherwise: next item, or back to the queue).
    stays: bool = False


ACTIONS: dict[str, ItemAction] = {
    action.key: action
    for action in (
        ItemAction("accept", "Accept variance", AcceptVarianceForm, _accept, shortcut="a", style="primary"),
        ItemAction("credit_memo", "Request credit memo", CreditMemoForm, _credit_memo),
        ItemAction("receipt", "Route for receipt", RouteReceiptForm, _receipt),
        ItemAction("confirm_duplicate", "Confirm duplicate", ConfirmDuplicateForm, _confirm_duplicate, style="danger"),
        ItemAction("dismiss_duplicate", "Not a duplicate", DismissDuplicateForm, _dismiss_duplicate),
        ItemAction("hold", "Hold", HoldForm, _hold, shortcut="h"),
        ItemAction("release_hold", "Release hold", ReleaseHoldForm, _release_hold, stays=True),
        ItemAction("reject", "Reject invoice", RejectForm, _reject, shortcut="r", style="danger"),
        ItemAction("comment", "Comment", CommentForm, _comment, shortcut="c", stays=True),
        ItemAction("release", "Give back to the queue", ReleaseForm, _release),
        ItemAction("reassign", "Reassign", ReassignForm, _reassign, stays=True),
    )
}


def available(key: str, item: WorkItem, open_codes: set[str], *, holds: bool, manages: bool) -> bool:
    """Whether an action applies to the item as it stands (the services check again when it is taken)."""
    working = item.state in WORKING_STATES
    match key:
        case "accept" | "credit_memo":
            return working and bool(open_codes & set(VARIANCE_CODES))
        case "receipt":
            return working and bool(open_codes & set(RECEIPT_CODES))
        case "confirm_duplicate" | "dismiss_duplicate":
            return working and ExceptionCode.DUPLICATE_SUSPECT in open_codes
        case "hold":
            return item.state in (
                WorkItemState.OPEN,
                WorkItemState.WAITING_CREDIT_MEMO,
                WorkItemState.WAITING_RECEIPT,
            )
        case "release_hold":
            return item.state == WorkItemState.ON_HOLD
        case "reject":
            return working
        case "comment":
            return True
        case "release":
            return holds and item.state != WorkItemState.CLOSED
        case "reassign":
            return manages and item.state != WorkItemState.CLOSED
    return False
