"""What a clerk does to a work item: accept a variance (or send it for approval above their authority), ask for a
credit memo, ask for receipt confirmation, confirm or dismiss a duplicate, hold, reject, comment. Each is one
transaction that takes the item's lease, checks the rules and records a reason code and note."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from approvals.models import ApprovalRequest
from approvals.services import approval_request_submit
from matching.models import (
    ExceptionCode,
    ExceptionState,
    Invoice,
    InvoiceException,
    InvoiceStatus,
    LineMatch,
    PurchaseOrderLine,
    ResolutionKind,
    WorkAction,
    WorkActionKind,
    WorkItem,
    WorkItemState,
)
from matching.services._common import _save
from matching.services.rematch import invoices_rematch
from matching.services.work_items import VARIANCE_CODES
from matching.services.workbench.authority import authority_limit, variance_amounts, variance_sod_check
from matching.services.workbench.claims import _locked, _take, held_by_other, holds_lease, may_work
from matching.services.workbench.reasons import (
    ACCEPT_REASONS,
    CREDIT_MEMO_REASONS,
    DUPLICATE_DISMISS_REASONS,
    HOLD_REASONS,
    OTHER,
    RECEIPT_REASONS,
    REJECT_REASONS,
)
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.services import outbox_event_record

VARIANCE_DOCUMENT = "invoice_variance"
MAX_HOLD_DAYS = 90
# States in which a clerk decides on an item (a variance before a manager is not decided twice).
WORKING_STATES = (
    WorkItemState.OPEN,
    WorkItemState.WAITING_CREDIT_MEMO,
    WorkItemState.WAITING_RECEIPT,
    WorkItemState.ON_HOLD,
)
ResultT = TypeVar("ResultT")


def reason_check(reason_code: str, note: str, reasons: dict[str, str]) -> None:
    """A reason code from the action's list; "other" needs a note saying why."""
    if reason_code not in reasons:
        raise InvalidInputError(f"Choose a reason: {', '.join(reasons)}.", code="invalid_reason", field="reason_code")
    if reason_code == OTHER and not note.strip():
        raise InvalidInputError(
            "Say why in the note when the reason is \u201cother\u201d.", code="note_required", field="note"
        )


def action_record(
    *,
    actor: User,
    item: WorkItem,
    kind: str,
    reason_code: str = "",
    note: str = "",
    amount: Decimal | None = None,
    detail: dict[str, Any] | None = None,
    approval_request: ApprovalRequest | None = None,
) -> WorkAction:
    """Add an entry to the item's log (the evidence of who did what, why, and for how much)."""
    action = WorkAction(
        item=item,
        invoice_id=item.invoice_id,
        facility_id=item.facility_id,
        kind=kind,
        reason_code=reason_code,
        note=note.strip(),
        actor=actor,
        occurred_at=timezone.now(),
        amount=amount,
        detail=detail or {},
        approval_request=approval_request,
    )
    _save(action, actor, f"work item {item.pk}: {kind}")
    return action


def _work_on(actor: User, item: WorkItem, states: Sequence[str] = WORKING_STATES) -> WorkItem:
    """Lock the invoice then the item (the order every matcher takes them in), check the actor may work it and
    that nobody else's lease runs, and take the lease."""
    Invoice.objects.select_for_update().filter(pk=item.invoice_id).first()
    item = _locked(item)
    if not may_work(actor, item):
        raise NotAllowedError("This item is in a queue you do not work.", code="not_your_queue")
    if item.state not in states:
        raise ApplicationError(
            f"This item is {item.get_state_display().lower()}: the action does not apply now.",
            code="item_state",
            extra={"state": item.state},
        )
    now = timezone.now()
    if held_by_other(actor, item, now):
        raise ApplicationError(
            f"{item.claimed_by} is working on this item until {timezone.localtime(item.lease_expires_at):%H:%M}.",
            code="claimed_by_other",
            extra={"claimed_by": str(item.claimed_by)},
        )
    if not holds_lease(actor, item, now):
        _take(item, actor, now, "claimed to act")
    return item


def _set_aside(item: WorkItem, actor: User, state: str, reason: str, **fields: Any) -> None:
    """Move the item out of the queue into a waiting state, giving up the lease."""
    item.state = state
    item.claimed_by = item.claimed_at = item.lease_expires_at = None
    for name, value in fields.items():
        setattr(item, name, value)
    _save(item, actor, reason)


def _open_exceptions(item: WorkItem, codes: Sequence[str]) -> list[InvoiceException]:
    return list(
        InvoiceException.objects.select_for_update()
        .filter(invoice_id=item.invoice_id, state=ExceptionState.OPEN, code__in=codes)
        .order_by("line_number", "code")
    )


def _resolve(exceptions: Sequence[InvoiceException], actor: User, kind: str, resolution: str) -> None:
    now = timezone.now()
    for exception in exceptions:
        exception.state, exception.resolved_at, exception.resolved_by = ExceptionState.RESOLVED, now, actor
        exception.resolution_kind, exception.resolution = kind, resolution[:2000]
        _save(exception, actor, f"{exception.code} {kind}")


def _guarded(actor: User, item: WorkItem, kind: str, act: Callable[[], ResultT]) -> ResultT:
    """Run an action's transaction; a segregation-of-duties refusal is recorded after it rolled back, then raised."""
    try:
        return act()
    except NotAllowedError as refused:
        if refused.code.startswith("sod_"):
            action_record(
                actor=actor,
                item=item,
                kind=WorkActionKind.BLOCKED,
                note=refused.message,
                detail={"action": kind, "rule": refused.extra.get("rule", refused.code)},
            )
        raise


# --- Variances -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VarianceOutcome:
    """What accepting a variance did: accepted within authority, or sent to a manager for approval."""

    accepted: bool
    amount: Decimal
    authority: Decimal
    approval_request: ApprovalRequest | None = None


def work_item_accept_variance(
    *, actor: User, item: WorkItem, reason_code: str, note: str = "", exception_ids: Sequence[int] = ()
) -> VarianceOutcome:
    """Accept the invoice's open variances (or the chosen ones): within the actor's authority they are resolved and
    the invoice matched again; above it an approval request goes to AP managers and the item waits for it."""
    return _guarded(
        actor,
        item,
        WorkActionKind.ACCEPT_VARIANCE,
        lambda: _accept_variance(actor, item, reason_code, note, exception_ids),
    )


@transaction.atomic
def _accept_variance(
    actor: User, item: WorkItem, reason_code: str, note: str, exception_ids: Sequence[int]
) -> VarianceOutcome:
    item = _work_on(actor, item)
    reason_check(reason_code, note, ACCEPT_REASONS)
    variances = _open_exceptions(item, VARIANCE_CODES)
    if exception_ids:
        variances = [exception for exception in variances if exception.pk in set(exception_ids)]
    if not variances:
        raise ApplicationError("This invoice has no open variance to accept.", code="no_variance")
    invoice = item.invoice
    variance_sod_check(actor, invoice)
    amount = sum(variance_amounts(invoice, variances).values(), Decimal(0))
    limit = authority_limit(actor, item.facility_id)
    detail = {"exceptions": [exception.pk for exception in variances], "authority": str(limit)}
    label = ACCEPT_REASONS[reason_code]
    if amount <= limit:
        _resolve(variances, actor, ResolutionKind.ACCEPTED, f"Accepted by {actor}: {label}. {note}".strip())
        action_record(
            actor=actor,
            item=item,
            kind=WorkActionKind.ACCEPT_VARIANCE,
            reason_code=reason_code,
            note=note,
            amount=amount,
            detail=detail,
        )
        invoices_rematch(actor=actor, invoice_ids=[invoice.pk])
        return VarianceOutcome(accepted=True, amount=amount, authority=limit)
    from matching.services.workbench.variance_approval import variance_policy_default_ensure

    variance_policy_default_ensure()
    action = action_record(
        actor=actor,
        item=item,
        kind=WorkActionKind.REQUEST_VARIANCE_APPROVAL,
        reason_code=reason_code,
        note=note,
        amount=amount,
        detail=detail,
    )
    _set_aside(item, actor, WorkItemState.AWAITING_APPROVAL, f"variance {amount} above authority {limit}")
    request = approval_request_submit(actor=actor, document_type=VARIANCE_DOCUMENT, document=item)
    action.approval_request = request
    _save(action, actor, f"approval request {request.pk}")
    return VarianceOutcome(accepted=False, amount=amount, authority=limit, approval_request=request)


@transaction.atomic
def work_item_request_credit_memo(*, actor: User, item: WorkItem, reason_code: str, note: str = "") -> WorkItem:
    """Ask the vendor for a credit memo for the open variances; the item waits until credits cover them."""
    item = _work_on(actor, item)
    reason_check(reason_code, note, CREDIT_MEMO_REASONS)
    variances = _open_exceptions(item, VARIANCE_CODES)
    if not variances:
        raise ApplicationError("This invoice has no open variance a credit memo would make up.", code="no_variance")
    invoice = item.invoice
    amount = sum(variance_amounts(invoice, variances).values(), Decimal(0))
    _set_aside(
        item,
        actor,
        WorkItemState.WAITING_CREDIT_MEMO,
        f"credit memo of {amount} requested",
        waiting_since=timezone.now(),
        credit_expected=amount,
    )
    action_record(
        actor=actor,
        item=item,
        kind=WorkActionKind.REQUEST_CREDIT_MEMO,
        reason_code=reason_code,
        note=note,
        amount=amount,
        detail={"exceptions": [exception.pk for exception in variances]},
    )
    _vendor_mail(
        invoice,
        f"Credit memo requested for invoice {invoice.invoice_number}",
        f"Please send a credit memo of {amount} {invoice.currency} referencing invoice {invoice.invoice_number}"
        f" ({CREDIT_MEMO_REASONS[reason_code].lower()}). {note}".strip(),
    )
    return item


# --- Receipts ------------------------------------------------------------------------------------------------
RECEIPT_CODES = (ExceptionCode.NO_RECEIPT, ExceptionCode.QTY_OVER_RECEIVED)


@transaction.atomic
def work_item_route_for_receipt(
    *, actor: User, item: WorkItem, reason_code: str, to_email: str, note: str = ""
) -> WorkItem:
    """Ask the buyer or receiver to confirm what was received; the item waits until a receipt arrives on the PO."""
    item = _work_on(actor, item)
    reason_check(reason_code, note, RECEIPT_REASONS)
    try:
        validate_email(to_email)
    except Exception as invalid:
        raise InvalidInputError(
            "Enter the buyer's or receiver's email address.", code="invalid_email", field="to_email"
        ) from invalid
    if not _open_exceptions(item, RECEIPT_CODES):
        raise ApplicationError("Nothing on this invoice waits for a receipt.", code="no_receipt_question")
    invoice = item.invoice
    _set_aside(
        item,
        actor,
        WorkItemState.WAITING_RECEIPT,
        f"receipt confirmation asked of {to_email}",
        waiting_since=timezone.now(),
    )
    action_record(
        actor=actor, item=item, kind=WorkActionKind.ROUTE_RECEIPT, reason_code=reason_code, note=note,
        detail={"to": to_email},
    )  # fmt: skip
    subject = f"Please confirm receipt for PO {invoice.po_number} (invoice {invoice.invoice_number})"
    body = (
        f"{actor.get_full_name() or actor} in accounts payable asks you to confirm what was received on PO"
        f" {invoice.po_number} at {item.facility.name}: {RECEIPT_REASONS[reason_code].lower()}.\n\n{note}\n\n"
        "Record the receipt in the procurement system; the invoice is matched again when it arrives."
    )
    transaction.on_commit(lambda: send_mail(subject, body, None, [to_email], fail_silently=False))
    return item


@transaction.atomic
def work_items_receipt_arrived(*, actor: Any, facility_id: int, po_number: str) -> int:
    """A receipt arrived on a PO: its items waiting for receipt confirmation go back to their queues (the re-match
    that follows closes those it settles). Returns how many moved."""
    from p2p_portal.services import system_user

    system = system_user()
    moved = 0
    for item in WorkItem.objects.select_for_update().filter(
        state=WorkItemState.WAITING_RECEIPT, invoice__facility_id=facility_id, invoice__po_number=po_number
    ):
        item.state, item.waiting_since = WorkItemState.OPEN, None
        _save(item, actor, f"receipt arrived on PO {po_number}")
        action_record(
            actor=system, item=item, kind=WorkActionKind.RECEIPT_ARRIVED, note=f"A receipt arrived on PO {po_number}."
        )
        moved += 1
    return moved


# --- Duplicates ----------------------------------------------------------------------------------------------
@transaction.atomic
def work_item_confirm_duplicate(*, actor: User, item: WorkItem, note: str = "") -> WorkItem:
    """The invoice is a duplicate: it is rejected (never paid) and the vendor told which invoice it repeats."""
    item = _work_on(actor, item)
    suspects = _open_exceptions(item, (ExceptionCode.DUPLICATE_SUSPECT,))
    if not suspects:
        raise ApplicationError("This invoice is not a suspected duplicate.", code="no_duplicate")
    original = suspects[0].duplicate_of
    named = f" of invoice {original.invoice_number}" if original is not None else ""
    reason = f"Duplicate{named}. {note}".strip()
    action_record(
        actor=actor, item=item, kind=WorkActionKind.CONFIRM_DUPLICATE, reason_code="duplicate", note=note,
        amount=item.invoice.total_amount, detail={"duplicate_of": original.pk if original else None},
    )  # fmt: skip
    _invoice_reject(actor, item, reason, ResolutionKind.CONFIRMED)
    return item


@transaction.atomic
def work_item_dismiss_duplicate(*, actor: User, item: WorkItem, reason_code: str, note: str = "") -> WorkItem:
    """Not a duplicate: the suspicion is resolved for good and the invoice matched again."""
    item = _work_on(actor, item)
    reason_check(reason_code, note, DUPLICATE_DISMISS_REASONS)
    suspects = _open_exceptions(item, (ExceptionCode.DUPLICATE_SUSPECT,))
    if not suspects:
        raise ApplicationError("This invoice is not a suspected duplicate.", code="no_duplicate")
    label = DUPLICATE_DISMISS_REASONS[reason_code]
    _resolve(suspects, actor, ResolutionKind.DISMISSED, f"Not a duplicate ({label}): {note}".strip())
    action_record(actor=actor, item=item, kind=WorkActionKind.DISMISS_DUPLICATE, reason_code=reason_code, note=note)
    invoices_rematch(actor=actor, invoice_ids=[item.invoice_id])
    return item


# --- Hold, reject, comment -------------------------------------------------------------------------------------
@transaction.atomic
def work_item_hold(*, actor: User, item: WorkItem, reason_code: str, review_on: date, note: str = "") -> WorkItem:
    """Put the item on hold until a review date (then it is back in its queue)."""
    item = _work_on(actor, item, (WorkItemState.OPEN, WorkItemState.WAITING_CREDIT_MEMO, WorkItemState.WAITING_RECEIPT))
    reason_check(reason_code, note, HOLD_REASONS)
    today = timezone.localdate()
    if not today < review_on <= today + timedelta(days=MAX_HOLD_DAYS):
        raise InvalidInputError(
            f"The review date must be after today and at most {MAX_HOLD_DAYS} days ahead.",
            code="invalid_review_date",
            field="review_on",
        )
    _set_aside(item, actor, WorkItemState.ON_HOLD, f"on hold until {review_on}", hold_until=review_on)
    action_record(
        actor=actor, item=item, kind=WorkActionKind.HOLD, reason_code=reason_code, note=note,
        detail={"review_on": review_on.isoformat()},
    )  # fmt: skip
    return item


@transaction.atomic
def work_item_release_hold(*, actor: User, item: WorkItem, note: str = "") -> WorkItem:
    """Take the item off hold before its review date (the clerk keeps working it)."""
    item = _work_on(actor, item, (WorkItemState.ON_HOLD,))
    item.state, item.hold_until = WorkItemState.OPEN, None
    _save(item, actor, "off hold")
    action_record(actor=actor, item=item, kind=WorkActionKind.RELEASE_HOLD, note=note)
    return item


@transaction.atomic
def work_item_reject(*, actor: User, item: WorkItem, reason_code: str, note: str) -> WorkItem:
    """Reject the invoice: it will not be paid, the vendor is told why, and the PO gets its quantities back."""
    item = _work_on(actor, item)
    reason_check(reason_code, note, REJECT_REASONS)
    if not note.strip():
        raise InvalidInputError("Write what the vendor should be told.", code="note_required", field="note")
    action_record(
        actor=actor, item=item, kind=WorkActionKind.REJECT, reason_code=reason_code, note=note,
        amount=item.invoice.total_amount,
    )  # fmt: skip
    _invoice_reject(actor, item, f"{REJECT_REASONS[reason_code]}. {note}".strip(), ResolutionKind.REJECTED)
    return item


@transaction.atomic
def work_item_comment(*, actor: User, item: WorkItem, note: str) -> WorkAction:
    """Add a comment to the item's timeline (no lease needed: a comment decides nothing)."""
    item = _locked(item)
    if not may_work(actor, item):
        raise NotAllowedError("This item is in a queue you do not work.", code="not_your_queue")
    if not note.strip():
        raise InvalidInputError("Write a comment.", code="note_required", field="note")
    return action_record(actor=actor, item=item, kind=WorkActionKind.COMMENT, note=note)


def _invoice_reject(actor: User, item: WorkItem, reason: str, kind: str) -> None:
    """Reject the item's invoice: open exceptions resolved, its PO line quantities given back, the item closed, an
    `invoice.rejected` event written and the vendor's contacts told why."""
    invoice = item.invoice
    invoice.status = InvoiceStatus.REJECTED
    _save(invoice, actor, f"rejected: {reason}"[:100])
    _resolve(list(invoice.exceptions.select_for_update().filter(state=ExceptionState.OPEN)), actor, kind, reason)
    sign = Decimal(-1) if invoice.document_type == "credit_memo" else Decimal(1)
    for po_line_id, quantity in (
        LineMatch.objects.filter(invoice_line__invoice=invoice, po_line__isnull=False)
        .order_by("po_line_id")
        .values_list("po_line_id", "quantity")
    ):
        # Running totals are kept out of the history (the invoices' own history explains them).
        PurchaseOrderLine.objects.filter(pk=po_line_id).update(
            quantity_invoiced=F("quantity_invoiced") - sign * quantity
        )
    item.state, item.closed_at = WorkItemState.CLOSED, timezone.now()
    item.claimed_by = item.claimed_at = item.lease_expires_at = None
    _save(item, actor, "closed: invoice rejected")
    outbox_event_record(
        actor=actor,
        topic="invoice.rejected",
        subject=f"invoice:{invoice.pk}",
        payload={
            "invoice": invoice.pk,
            "invoice_number": invoice.invoice_number,
            "vendor": invoice.vendor.number if invoice.vendor else None,
            "reason": reason,
        },
    )
    _vendor_mail(
        invoice,
        f"Invoice {invoice.invoice_number} was rejected",
        f"We will not pay invoice {invoice.invoice_number}: {reason}",
    )


def _vendor_mail(invoice: Invoice, subject: str, body: str) -> None:
    """Email the vendor's active contacts once the transaction commits (nobody to tell for an unknown vendor)."""
    if invoice.vendor is None:
        return
    recipients = sorted(
        {email for email in invoice.vendor.contacts.filter(active=True).values_list("email", flat=True) if email}
    )
    if recipients:
        transaction.on_commit(lambda: send_mail(subject, body, None, recipients, fail_silently=False))
