"""Variances above a clerk's authority go through the approvals engine: one AP manager of the facility by default;
approval resolves them (the invoice is matched again), refusal returns the item to its queue."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from approvals.models import ApprovalRequest, Policy
from approvals.services import StepSpec, policy_create
from matching.models import (
    ExceptionState,
    InvoiceException,
    ResolutionKind,
    WorkAction,
    WorkActionKind,
    WorkItem,
    WorkItemState,
)
from matching.services._common import _save
from matching.services.rematch import invoices_rematch
from matching.services.workbench.actions import VARIANCE_DOCUMENT, _resolve, action_record
from p2p_portal.roles import Role


@transaction.atomic
def variance_policy_default_ensure() -> None:
    """A default policy for variance approvals (one AP manager at the item's facility) when the network has none."""
    if not Policy.objects.filter(document_type=VARIANCE_DOCUMENT).exists():
        policy_create(
            actor="system: matching defaults",
            name="Invoice variances above a clerk's authority: one AP manager",
            document_type=VARIANCE_DOCUMENT,
            steps=[StepSpec(role=Role.AP_MANAGER)],
        )


def variance_request_action(item: WorkItem) -> WorkAction | None:
    """The action that sent the item's variance for approval (the latest one)."""
    return (
        WorkAction.objects.filter(item=item, kind=WorkActionKind.REQUEST_VARIANCE_APPROVAL)
        .order_by("-occurred_at", "-id")
        .first()
    )


def variance_amount_pending(item: WorkItem) -> Decimal:
    """The variance amount waiting for approval on the item."""
    action = variance_request_action(item)
    return action.amount if action is not None and action.amount is not None else Decimal(0)


def variance_approval_closed(*, approval: ApprovalRequest, approved: bool) -> None:
    """Approval callback: approved variances are resolved (the approver's decision) and the invoice matched again;
    refused or withdrawn, the item goes back to its queue with the reason."""
    item = WorkItem.objects.select_for_update().select_related("invoice").get(pk=int(approval.document_id))
    if item.state != WorkItemState.AWAITING_APPROVAL:
        return
    decision = approval.decisions.order_by("-decided_at", "-id").first()
    decider = decision.actor if decision is not None else approval.submitted_by
    note = decision.comment if decision is not None else ""
    request_action = variance_request_action(item)
    ids = (request_action.detail.get("exceptions", []) if request_action is not None else []) or []
    item.state = WorkItemState.OPEN
    _save(item, decider, f"variance approval {approval.pk} {'approved' if approved else 'closed'}")
    if approved:
        exceptions = list(InvoiceException.objects.select_for_update().filter(pk__in=ids, state=ExceptionState.OPEN))
        _resolve(exceptions, decider, ResolutionKind.APPROVED, f"Approved by {decider} (request {approval.pk}). {note}")
        action_record(
            actor=decider, item=item, kind=WorkActionKind.VARIANCE_APPROVED, note=note,
            amount=request_action.amount if request_action else None, approval_request=approval,
        )  # fmt: skip
        invoices_rematch(actor=decider, invoice_ids=[item.invoice_id])
    else:
        action_record(
            actor=decider, item=item, kind=WorkActionKind.VARIANCE_REFUSED, note=note, approval_request=approval,
        )  # fmt: skip
