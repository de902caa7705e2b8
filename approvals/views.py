"""Pages of the approvals section: the inbox, my decisions, delegations, the team queue."""

from __future__ import annotations

from typing import cast

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
    delegate_candidates,
    delegation_list,
    manages_any_facility,
    requires_reauthentication,
    team_queue,
)
from approvals.services import (
    approval_request_approve,
    approval_request_reject,
    approval_request_request_info,
    delegation_create,
    delegation_revoke,
)
from p2p_portal.accounts.reauth import reauthentication_is_fresh, reauthentication_redirect
from p2p_portal.errors import ApplicationError
from p2p_portal.navigation import SECTIONS_BY_KEY, section_allowed


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
    if (
        form.is_valid()
        and form.cleaned_data["decision"] == "approve"
        and requires_reauthentication(item.request)
        and not reauthentication_is_fresh(request)
    ):
        return reauthentication_redirect(request)
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
    form = DelegationForm(request.POST or None, delegates=delegate_candidates(user=user))
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
    if not manages_any_facility(_person(request)):
        raise PermissionDenied("The team queue is for AP managers and procurement admins.")
    return render(request, "approvals/team.html", {"rows": team_queue(user=_person(request))})
