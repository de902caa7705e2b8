"""Invoices without a PO go through the approvals engine: routed once when matching leaves them pending approval,
and their status follows the decision."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from approvals.models import OPEN_STATUSES, ApprovalRequest, Policy
from approvals.services import StepSpec, approval_request_submit, policy_create, policy_step_save
from matching.models import Invoice, InvoiceStatus
from matching.services._common import _save
from matching.services.invoice_events import invoice_approved_announce
from p2p_portal.models import CostCenter
from p2p_portal.roles import Role
from p2p_portal.services import system_user

INVOICE_DOCUMENT = "invoice"
DEFAULT_ACTOR = "system: matching defaults"


@transaction.atomic
def invoice_policy_default_ensure() -> None:
    """A default policy for non-PO invoices (one AP manager at the invoice's facility) when the network has none;
    a network routes by cost center or amount with policies of its own (admin -> Approvals -> Policies)."""
    if not Policy.objects.filter(document_type=INVOICE_DOCUMENT).exists():
        policy_create(
            actor=DEFAULT_ACTOR,
            name="Invoices without a PO: one AP manager",
            document_type=INVOICE_DOCUMENT,
            steps=[StepSpec(role=Role.AP_MANAGER)],
        )


@transaction.atomic
def invoice_policy_for_cost_center_ensure(cost_center: CostCenter) -> None:
    """The cost-center owner policy: non-PO invoices charged to a cost center with an owner are approved by that
    owner. Kept in step when the owner changes (a new policy version); a network's own policy for the cost center
    (any other name) is left alone."""
    if cost_center.owner_id is None:
        return
    name = f"Invoices without a PO for {cost_center.facility.code}/{cost_center.code}: its owner"
    policy = Policy.objects.filter(document_type=INVOICE_DOCUMENT, cost_center=cost_center).first()
    if policy is None:
        policy_create(
            actor=DEFAULT_ACTOR,
            name=name,
            document_type=INVOICE_DOCUMENT,
            cost_center=cost_center,
            steps=[StepSpec(user=cost_center.owner)],
        )
        return
    if policy.name != name:
        return
    step = policy.steps.order_by("position").first()
    if step is not None and step.user_id != cost_center.owner_id:
        step.user = cost_center.owner
        policy_step_save(
            actor=DEFAULT_ACTOR, step=step, reason=f"owner of {cost_center.code} is now {cost_center.owner}"
        )


def invoice_route_for_approval(*, actor: Any, invoice: Invoice) -> ApprovalRequest | None:
    """Submit a pending non-PO invoice for approval once (a re-match finds the open request and leaves it)."""
    open_request = ApprovalRequest.objects.filter(
        document_type=INVOICE_DOCUMENT, document_id=str(invoice.pk), status__in=OPEN_STATUSES
    ).first()
    if open_request is not None:
        return open_request
    invoice_policy_default_ensure()
    if invoice.cost_center is not None:
        invoice_policy_for_cost_center_ensure(invoice.cost_center)
    # The engine needs a person as submitter: the clerk who keyed it, else the portal's own account.
    submitter = invoice.keyed_by or system_user()
    return approval_request_submit(actor=submitter, document_type=INVOICE_DOCUMENT, document=invoice)


def invoice_approval_closed(*, approval: ApprovalRequest, approved: bool) -> None:
    """Approval callback: the invoice becomes approved or rejected (if it still waits for that decision)."""
    invoice = Invoice.objects.select_for_update().get(pk=int(approval.document_id))
    if invoice.status != InvoiceStatus.PENDING_APPROVAL:
        return
    decision = approval.decisions.order_by("-decided_at", "-id").first()
    actor = decision.actor if decision is not None else approval.submitted_by
    invoice.status = InvoiceStatus.APPROVED if approved else InvoiceStatus.REJECTED
    _save(invoice, actor, f"approval request {approval.pk} {'approved' if approved else 'rejected'}")
    if approved:
        invoice_approved_announce(actor=actor, invoice=invoice)
