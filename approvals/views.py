"""Pages of the approvals section: the inbox, my decisions, delegations, the team queue."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.forms import DecisionForm, DelegationForm
from approvals.models import ApprovalDecision
from approvals.selectors import (
    approval_inbox,
    approval_request_list,
    current_step,
    delegation_list,
    may_manage,
    step_due_at,
)
from approvals.services import (
    approval_request_approve,
    approval_request_reject,
    approval_request_request_info,
    delegation_create,
    delegation_revoke,
)
from p2p_portal.errors import ApplicationError
from p2p_portal.models import RoleAssignment
from p2p_portal.navigation import SECTIONS_BY_KEY, section_allowed
from p2p_portal.roles import Role


def _person(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


def _require_section(request: HttpRequest) -> None:
    if not section_allowed(_person(request), SECTIONS_BY_KEY["approvals"]):
        raise PermissionDenied("The approvals section is not open to your roles.")


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """My approvals: what waits on me (or on someone I stand in for), oldest first."""
    _require_section(request)
    items = approval_inbox(user=_person(request))
    return render(request, "approvals/inbox.html", {"items": items, "overdue": sum(item.overdue for item in items)})


@require_POST
@login_required
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve, reject or ask for information on one request of my inbox (htmx swaps the row)."""
    _require_section(request)
    item = next((item for item in approval_inbox(user=_person(request)) if item.request.pk == pk), None)
    if item is None:
        raise Http404("This request is not waiting on you.")
    form = DecisionForm(request.POST)
    error = ""
    done = ""
    if form.is_valid():
        text = form.cleaned_data["text"] or ""
        on_behalf_of = item.acting_for
        try:
            match form.cleaned_data["decision"]:
                case "approve":
                    approval_request_approve(
                        actor=_person(request), request=item.request, comment=text, on_behalf_of=on_behalf_of
                    )
                    done = "Approved"
                case "reject":
                    approval_request_reject(
                        actor=_person(request), request=item.request, reason=text, on_behalf_of=on_behalf_of
                    )
                    done = "Rejected"
                case _:
                    approval_request_request_info(
                        actor=_person(request), request=item.request, question=text, on_behalf_of=on_behalf_of
                    )
                    done = "Sent back with your question"
        except ApplicationError as refusal:
            error = refusal.message
    else:
        error = "Choose approve, reject or request info."
    if request.htmx:  # type: ignore[attr-defined]
        if done:
            return render(request, "approvals/_done_row.html", {"item": item, "done": done})
        return render(
            request, "approvals/_inbox_row.html", {"item": item, "error": error, "text": request.POST.get("text", "")}
        )
    if done:
        messages.success(request, f"{done}: {item.request.summary}")
    else:
        messages.error(request, error)
    return redirect("approvals:index")


@require_GET
@login_required
def my_decisions(request: HttpRequest) -> HttpResponse:
    """Every decision I took, newest first (also those taken for someone else)."""
    _require_section(request)
    decisions = (
        ApprovalDecision.objects.filter(actor=_person(request))
        .select_related("request", "request__facility", "acting_for")
        .order_by("-decided_at", "-id")[:200]
    )
    return render(request, "approvals/decisions.html", {"decisions": decisions})


@require_http_methods(["GET", "POST"])
@login_required
def delegations(request: HttpRequest) -> HttpResponse:
    """Out of office: my delegations (and, for managers, those of my facilities); set up a new one."""
    _require_section(request)
    user = _person(request)
    colleagues = (
        User.objects.filter(
            is_active=True,
            role_assignments__facility__in=RoleAssignment.objects.filter(user=user).values("facility"),
        )
        .exclude(pk=user.pk)
        .distinct()
        .order_by("username")
    )
    form = DelegationForm(request.POST or None, delegates=colleagues)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation_create(
                actor=user,
                delegator=user,
                delegate=data["delegate"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
                document_types=data["document_types"],
                facility=data["facility"],
            )
        except ApplicationError as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(
                request, f"{data['delegate']} decides for you from {data['starts_on']} to {data['ends_on']}."
            )
            return redirect("approvals:delegations")
    context = {
        "form": form,
        "delegations": delegation_list(user=user).select_related("delegator", "delegate", "facility"),
    }
    return render(request, "approvals/delegations.html", context)


@require_POST
@login_required
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a delegation now."""
    _require_section(request)
    delegation = get_object_or_404(delegation_list(user=_person(request)), pk=pk)
    try:
        delegation_revoke(
            actor=_person(request), delegation=delegation, reason=request.POST.get("reason") or "ended early"
        )
    except ApplicationError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "The delegation has ended.")
    return redirect("approvals:delegations")


@require_GET
@login_required
def team(request: HttpRequest) -> HttpResponse:
    """Managers: every open request at the facilities I manage, overdue first."""
    _require_section(request)
    managed = [
        assignment.facility
        for assignment in RoleAssignment.objects.filter(
            user=_person(request), role__in=[Role.AP_MANAGER, Role.PROCUREMENT_ADMIN]
        ).select_related("facility")
    ]
    if not managed and not _person(request).is_superuser:
        raise PermissionDenied("The team queue is for AP managers and procurement admins.")
    rows: list[dict[str, Any]] = []
    for approval in approval_request_list(user=_person(request), open_only=True).order_by("submitted_at"):
        if not _person(request).is_superuser and not may_manage(_person(request), approval.facility):
            continue
        step = current_step(approval)
        due = step_due_at(approval, step) if step else None
        rows.append({"request": approval, "step": step, "due_at": due})
    rows.sort(key=lambda row: (row["due_at"] is None, row["due_at"]))
    return render(request, "approvals/team.html", {"rows": rows})
