"""The item page: everything a clerk needs to decide, the lease (claimed on opening, renewed while open), and the
actions, each posted with htmx (the actions panel, status and timeline are swapped) or as a plain form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from matching.forms import errors_onto_form
from matching.models import WorkItem, WorkItemState
from matching.services.workbench.claims import (
    held_by_other,
    holds_lease,
    may_work,
    work_item_claim,
    work_item_claim_next,
    work_item_lease_renew,
)
from matching.views._common import candidates_for, is_htmx, is_manager_of, person
from matching.views.item_actions import ACTIONS, ItemAction
from matching.views.item_context import item_context, status_context
from matching.workbench_selectors import work_item_get
from p2p_portal.errors import ApplicationError

# An item being looked at is claimed unless it waits for a manager or is done.
NOT_CLAIMED_ON_OPEN = (WorkItemState.CLOSED, WorkItemState.AWAITING_APPROVAL)


@require_GET
@login_required
def item_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The item; a clerk who may work it takes its lease on opening when nobody else holds it."""
    user = person(request)  # whoever cannot see the item gets 404 from the selector
    item = work_item_get(user=user, pk=pk)
    now = timezone.now()
    if (
        item.state not in NOT_CLAIMED_ON_OPEN
        and may_work(user, item)
        and not held_by_other(user, item, now)
        and not holds_lease(user, item, now)
    ):
        try:
            work_item_claim(actor=user, item=item)
        except ApplicationError as refusal:  # someone was faster between the read and the claim
            messages.info(request, refusal.message)
        item = work_item_get(user=user, pk=pk)
    return render(request, "matching/workbench/item.html", item_context(user, item))


def _require_actor(request: HttpRequest, pk: int) -> tuple[User, WorkItem]:
    """The person and the item, if they may act on it: 404 when they cannot see it, 403 when they only read it."""
    user = person(request)
    item = work_item_get(user=user, pk=pk)
    if not may_work(user, item):
        raise PermissionDenied("You read this item; you do not work its queue.")
    return user, item


@require_POST
@login_required
def item_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """Extend my lease while the page stays open (htmx polls this); answers with the item's status strip."""
    user, item = _require_actor(request, pk)
    renewed = work_item_lease_renew(actor=user, item=item)
    if not is_htmx(request):
        if not renewed:
            messages.info(request, "You no longer hold this item.")
        return redirect("matching:item", pk=pk)
    item = work_item_get(user=user, pk=pk)
    return render(request, "matching/workbench/_status.html", status_context(user, item, lost=not renewed))


@require_POST
@login_required
def item_act(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    """Take one action on the item; on success stay (partial update) or move on to the next item."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    user, item = _require_actor(request, pk)
    manages = is_manager_of(user, item)
    if action == "reassign" and not manages:
        raise PermissionDenied("Only an AP manager of this facility reassigns items.")
    extra: dict[str, Any] = {"candidates": candidates_for(item)} if action == "reassign" else {}
    form = spec.form(request.POST, prefix=action, **extra)
    if form.is_valid():
        try:
            done = spec.run(user, item, form.cleaned_data)
        except ApplicationError as refusal:
            _refusal_onto_form(form, refusal)
        else:
            return _after(request, user, pk, spec, done)
    if is_htmx(request):
        # htmx swaps only 2xx answers: the refused form comes back with its errors in the actions panel.
        context = item_context(user, work_item_get(user=user, pk=pk), failed=(action, form))
        return render(request, "matching/workbench/_action_response.html", context)
    context = item_context(user, work_item_get(user=user, pk=pk), failed=(action, form))
    return render(request, "matching/workbench/item.html", context, status=422)


def _refusal_onto_form(form: Any, refusal: ApplicationError) -> None:
    """A service's refusal next to its field, or at the top naming the rule that refused it."""
    rule = refusal.extra.get("rule")
    if rule and not refusal.errors:
        form.add_error(None, f"Refused by rule {rule}: {refusal.message}")
        return
    errors_onto_form(form, refusal)


def _after(request: HttpRequest, user: User, pk: int, spec: ItemAction, done: str) -> HttpResponseBase:
    """Where the clerk goes after an action: the same item (updated in place) or the next item of the queue."""
    item = work_item_get(user=user, pk=pk)
    moves_on = spec.key == "release" or (not spec.stays and item.state != WorkItemState.OPEN)
    if not moves_on:
        if is_htmx(request):
            context = item_context(user, item, done=done)
            return render(request, "matching/workbench/_action_response.html", context)
        messages.success(request, done)
        return redirect("matching:item", pk=pk)
    invoice = item.invoice.invoice_number
    target = None
    if spec.key != "release":
        target = work_item_claim_next(actor=user, queue=item.queue)
    if target is not None:
        messages.success(request, f"Invoice {invoice}: {done} Next: invoice {target.invoice.invoice_number}.")
        url = reverse("matching:item", args=[target.pk])
    else:
        more = "" if spec.key == "release" else " Nothing more to work in this queue."
        messages.success(request, f"Invoice {invoice}: {done}{more}")
        url = reverse("matching:queue", args=[item.queue_id]) if item.queue_id else reverse("matching:index")
    return HttpResponseClientRedirect(url) if is_htmx(request) else redirect(url)
