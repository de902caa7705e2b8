"""Change requests: the list, and the review page an approver decides on (diff, duplicates, screening, approval
trail, call-backs of bank changes), with the actions each person may take there."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from approvals.models import ApprovalRequest, DecisionKind, RequestStatus
from approvals.selectors import InboxItem, approval_inbox, current_step, requires_reauthentication
from approvals.services import approval_request_approve, approval_request_reject, approval_request_resubmit
from p2p_portal.accounts.reauth import reauthentication_is_fresh, reauthentication_url
from p2p_portal.errors import ApplicationError
from p2p_portal.roles import Role
from p2p_portal.selectors import has_role_at
from vendors.access import may_see_tax_id
from vendors.forms import CallbackForm, DecisionForm, NoteForm, errors_onto_form
from vendors.models import ChangeKind, ChangeRequest, ChangeStatus, HitStatus
from vendors.selectors import change_request_get, change_request_list, vendor_flags
from vendors.services.bank import bank_change_callback_record
from vendors.services.changes import change_request_withdraw
from vendors.views._common import FLAG_LABELS, diff_rows, page_of, require_governance, require_vendors


@require_GET
@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    """Change requests of the facilities I govern, newest first, filtered by status and kind."""
    user = require_governance(request)
    status = request.GET.get("status", ChangeStatus.PENDING)
    if status not in ChangeStatus.values:
        status = ""
    kind = request.GET.get("kind", "")
    requests = change_request_list(principal=user, status=status)
    if kind in ChangeKind.values:
        requests = requests.filter(kind=kind)
    else:
        kind = ""
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page_of(requests, request),
        "status": status,
        "kind": kind,
        "statuses": ChangeStatus.choices,
        "kinds": ChangeKind.choices,
        "params": params.urlencode(),
        "may_govern": True,
    }
    return render(request, "vendors/changes.html", context)


def _inbox_item(user: User, approval: ApprovalRequest | None) -> InboxItem | None:
    """The inbox item of the request if it waits on the user now."""
    if approval is None or approval.status != RequestStatus.PENDING:
        return None
    return next((item for item in approval_inbox(user=user) if item.request.pk == approval.pk), None)


def _may_call_back(user: User, change: ChangeRequest) -> bool:
    """A steward or admin at the request's facility who did not submit it, while the bank change is open."""
    if change.kind != ChangeKind.BANK_ACCOUNT or change.status != ChangeStatus.PENDING:
        return False
    if user.pk == change.submitted_by_id:
        return False
    return has_role_at(user, Role.VENDOR_STEWARD, change.facility) or has_role_at(
        user, Role.PROCUREMENT_ADMIN, change.facility
    )


def _review(
    request: HttpRequest,
    change: ChangeRequest,
    *,
    status: int = 200,
    decision_form: DecisionForm | None = None,
    callback_form: CallbackForm | None = None,
    withdraw_form: NoteForm | None = None,
    answer_form: forms.Form | None = None,
) -> HttpResponse:
    """The review page, with whichever of its forms came back with errors."""
    user = require_vendors(request)
    approval = change.approval_request
    item = _inbox_item(user, approval)
    vendor = change.vendor
    step = current_step(approval) if approval is not None else None
    callback_allowed = _may_call_back(user, change)
    context: dict[str, Any] = {
        "change": change,
        "vendor": vendor,
        "rows": diff_rows(change.diff, unmasked=may_see_tax_id(user)),
        "approval": approval,
        "step": step,
        "step_approver": (step.get_role_display() if step.role else str(step.user)) if step is not None else "",
        "step_approvals": approval.decisions.filter(step_position=step.position, decision=DecisionKind.APPROVE).count()
        if approval is not None and step is not None
        else 0,
        "decisions": approval.decisions.select_related("actor", "acting_for").order_by("decided_at", "id")
        if approval is not None
        else [],
        "item": item,
        "needs_reauthentication": item is not None
        and requires_reauthentication(item.request)
        and not reauthentication_is_fresh(request),
        "decision_form": decision_form or DecisionForm(),
        "flags": [(code, FLAG_LABELS.get(code, code)) for code in vendor_flags(vendor)],
        "latest_screening": vendor.screening_results.order_by("-screened_at", "-id").first(),
        "hits": vendor.screening_hits.exclude(status=HitStatus.CLEARED).select_related("entry", "exclusion_list"),
        "callbacks": change.callbacks.select_related("called_by").order_by("-called_at", "-id"),
        "callback_form": (callback_form or CallbackForm(phones=change.phones_on_file)) if callback_allowed else None,
        "is_submitter": user.pk == change.submitted_by_id,
        "withdraw_form": withdraw_form or NoteForm(),
        "answer_form": answer_form or _AnswerForm(),
        "may_govern": True,
    }
    return render(request, "vendors/review.html", context, status=status)


class _AnswerForm(forms.Form):
    """The submitter's answer to an approver's question."""

    answer = forms.CharField(label="Your answer", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def _change(request: HttpRequest, pk: int) -> tuple[User, ChangeRequest]:
    """The reader and the change request, if it is in their facilities (404 otherwise)."""
    user = require_vendors(request)
    return user, change_request_get(principal=user, pk=pk)


@require_GET
@login_required
def change_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The approver's review page of one change request (404 outside the reader's facilities)."""
    _, change = _change(request, pk)
    return _review(request, change)


@require_POST
@login_required
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a change request waiting on me; approving a bank change needs a fresh re-authentication."""
    user, change = _change(request, pk)
    item = _inbox_item(user, change.approval_request)
    if item is None:
        raise PermissionDenied("This change request is not waiting on you.")
    review_url = reverse("vendors:change_request", args=[change.pk])
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _review(request, change, status=422, decision_form=form)
    decision, text = form.cleaned_data["decision"], form.cleaned_data["text"] or ""
    if decision == "approve" and requires_reauthentication(item.request) and not reauthentication_is_fresh(request):
        return redirect(reauthentication_url(review_url + "#decide"))
    try:
        if decision == "approve":
            approval_request_approve(actor=user, request=item.request, comment=text, on_behalf_of=item.acting_for)
        else:
            approval_request_reject(actor=user, request=item.request, reason=text, on_behalf_of=item.acting_for)
    except ApplicationError as refusal:
        if refusal.field == "reason" or refusal.code == "reason_required":
            form.add_error("text", refusal.message)
        else:
            errors_onto_form(form, refusal)
        change.refresh_from_db()
        return _review(request, change, status=422, decision_form=form)
    change.refresh_from_db()
    if decision == "reject":
        messages.success(request, f"CR-{change.pk} rejected; {change.vendor.number} stays as it was.")
    elif change.status == ChangeStatus.APPLIED:
        messages.success(request, f"CR-{change.pk} approved and applied to {change.vendor.number}.")
    else:
        messages.success(request, f"Your approval of CR-{change.pk} is recorded; it waits on a further approval.")
    return redirect(review_url)


@require_POST
@login_required
def change_callback(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the call-back on a bank change (someone other than the submitter, to a number on file)."""
    user, change = _change(request, pk)
    if not _may_call_back(user, change):
        raise PermissionDenied("Call-backs are recorded by a steward or admin of the facility who did not propose it.")
    form = CallbackForm(request.POST, phones=change.phones_on_file)
    if form.is_valid():
        values = form.cleaned_data
        try:
            bank_change_callback_record(
                actor=user,
                change=change,
                phone_number=values["phone_number"],
                contact_name=values["contact_name"],
                called_at=values["called_at"],
                outcome=values["outcome"],
                notes=values["notes"],
            )
        except ApplicationError as refusal:
            errors_onto_form(form, refusal)
        else:
            messages.success(request, f"Call-back recorded on CR-{change.pk}.")
            return redirect(reverse("vendors:change_request", args=[change.pk]) + "#callbacks-heading")
    return _review(request, change, status=422, callback_form=form)


@require_POST
@login_required
def change_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The submitter takes an open request back."""
    user, change = _change(request, pk)
    if user.pk != change.submitted_by_id:
        raise PermissionDenied("Only whoever submitted a change request may withdraw it.")
    note = request.POST.get("note", "").strip()
    try:
        change_request_withdraw(actor=user, change=change, reason=note)
    except ApplicationError as refusal:
        form = NoteForm(request.POST)
        form.is_valid()
        errors_onto_form(form, refusal)
        return _review(request, change, status=422, withdraw_form=form)
    messages.success(request, f"CR-{change.pk} withdrawn.")
    return redirect("vendors:change_request", pk=change.pk)


@require_POST
@login_required
def change_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The submitter answers an approver's question; the request goes back to the approvers."""
    user, change = _change(request, pk)
    approval = change.approval_request
    if approval is None or user.pk != change.submitted_by_id:
        raise PermissionDenied("Only whoever submitted a change request answers questions on it.")
    form = _AnswerForm(request.POST)
    if form.is_valid():
        try:
            approval_request_resubmit(actor=user, request=approval, answer=form.cleaned_data["answer"])
        except ApplicationError as refusal:
            errors_onto_form(form, refusal)
        else:
            messages.success(request, f"Answer sent; CR-{change.pk} is back with the approvers.")
            return redirect("vendors:change_request", pk=change.pk)
    return _review(request, change, status=422, answer_form=form)
