"""Bulk actions: one decision applied to many items, each item checked and recorded on its own (one bad item does
not stop the others)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from matching.models import WorkItem
from matching.services.workbench.actions import (
    VarianceOutcome,
    work_item_accept_variance,
    work_item_comment,
    work_item_confirm_duplicate,
    work_item_dismiss_duplicate,
    work_item_hold,
    work_item_reject,
    work_item_request_credit_memo,
    work_item_route_for_receipt,
)
from matching.services.workbench.claims import work_item_reassign
from p2p_portal.errors import ApplicationError

BULK_ACTIONS: dict[str, Callable[..., Any]] = {
    "accept_variance": work_item_accept_variance,
    "request_credit_memo": work_item_request_credit_memo,
    "route_for_receipt": work_item_route_for_receipt,
    "confirm_duplicate": work_item_confirm_duplicate,
    "dismiss_duplicate": work_item_dismiss_duplicate,
    "hold": work_item_hold,
    "reject": work_item_reject,
    "comment": work_item_comment,
    "reassign": work_item_reassign,
}


@dataclass(frozen=True)
class BulkResult:
    """What the bulk action did to one item: done, or refused with the rule's code and message."""

    item_id: int
    ok: bool
    code: str = ""
    message: str = ""
    # What a done action led to where it can go two ways: accept_variance is "accepted" or "sent_for_approval".
    outcome: str = ""


def work_items_bulk(*, actor: User, items: Sequence[WorkItem], action: str, params: dict[str, Any]) -> list[BulkResult]:
    """Apply one action with the same parameters to each item in its own transaction; a result per item."""
    act = BULK_ACTIONS.get(action)
    if act is None:
        raise ApplicationError(f"No bulk action {action!r}.", code="invalid_action", field="action")
    results = []
    for item in items:
        try:
            done = act(actor=actor, item=item, **params)
        except ApplicationError as refused:
            results.append(BulkResult(item.pk, False, refused.code, refused.message))
        else:
            outcome = ""
            if isinstance(done, VarianceOutcome):
                outcome = "accepted" if done.accepted else "sent_for_approval"
            results.append(BulkResult(item.pk, True, outcome=outcome))
    return results
