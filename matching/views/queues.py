"""A queue's page: its items 50 to a page by tab (open, waiting, on hold), and one decision for many of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from matching.models import WorkItem, WorkQueue
from matching.services.workbench.bulk import BulkResult, work_items_bulk
from matching.views._common import PAGE_SIZE, candidates_for_queue, display_name, is_htmx, person, works_queue
from matching.workbench_forms import BULK_CHOICES, BULK_REASONS, BulkForm
from matching.workbench_selectors import AGING_BUCKETS, work_item_list, work_queue_get, work_queue_health
from p2p_portal.roles import Role
from p2p_portal.selectors import has_role_at

TABS: list[tuple[str, str]] = [("open", "Open"), ("waiting", "Waiting"), ("on_hold", "On hold")]


@dataclass(frozen=True)
class QueueRow:
    """One item as a queue row shows it."""

    item: WorkItem
    codes: list[str]
    age_days: int
    breached: bool
    holder: str


def _rows(items: list[WorkItem], user: User, now: datetime) -> list[QueueRow]:
    """Queue rows of loaded items (no query: the selector loaded what a row shows)."""
    rows = []
    for item in items:
        held = item.claimed_by is not None and item.lease_expires_at is not None and item.lease_expires_at > now
        holder = ("you" if item.claimed_by_id == user.pk else display_name(item.claimed_by)) if held else ""
        codes = sorted({exception.code for exception in getattr(item.invoice, "open_exceptions", [])})
        rows.append(QueueRow(item, codes, (now - item.opened_at).days, item.due_at < now, holder))
    return rows


def _manages(user: User, queue: WorkQueue) -> bool:
    """Whether the person is AP manager at one of the queue's facilities (who may reassign in bulk)."""
    if user.is_superuser:
        return True
    return any(has_role_at(user, Role.AP_MANAGER, facility) for facility in queue.facilities.all())


def _page(
    request: HttpRequest,
    user: User,
    queue: WorkQueue,
    *,
    form: BulkForm | None = None,
    results: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the queue page (a fixed number of queries whatever the page size)."""
    view = request.GET.get("view", "open")
    view = view if view in dict(TABS) else "open"
    items = work_item_list(user=user, queue=queue, view=view)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = _rows(list(page.object_list), user, now)
    works = works_queue(user, queue)
    manages = works and _manages(user, queue)
    if form is None and works:
        form = BulkForm(
            item_ids=[row.item.pk for row in rows], candidates=candidates_for_queue(queue) if manages else None
        )
    context = {
        "queue": queue,
        "health": work_queue_health(user=user, queue=queue)[0],
        "buckets": [name for name, _, _ in AGING_BUCKETS],
        "tabs": TABS,
        "view": view,
        "page": page,
        "rows": rows,
        "works": works,
        "form": form,
        "results": results,
        "bulk_reasons": [
            (action, label, BULK_REASONS[action]) for action, label in BULK_CHOICES if action in BULK_REASONS
        ],
    }
    return render(request, "matching/workbench/queue.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def queue_page(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the queue's items. POST: one action with the same reason for the ticked items, a result for each."""
    user = person(request)  # whoever cannot see the queue gets 404 from the selector
    queue = work_queue_get(user=user, pk=pk)
    if request.method != "POST":
        return _page(request, user, queue)
    if not works_queue(user, queue):
        raise PermissionDenied("You do not work this queue.")
    visible = work_item_list(user=user, queue=queue, view="all")
    wanted = [int(value) for value in request.POST.getlist("items") if value.isdigit()]
    items = {item.pk: item for item in visible.filter(pk__in=wanted)}
    form = BulkForm(
        request.POST,
        item_ids=list(items),
        candidates=candidates_for_queue(queue) if _manages(user, queue) else None,
    )
    if not form.is_valid():
        # htmx swaps only 2xx answers: the errors come back as a page it can show.
        return _page(request, user, queue, form=form, status=200 if is_htmx(request) else 422)
    chosen = [items[pk] for pk in form.cleaned_data["items"]]
    outcome = work_items_bulk(actor=user, items=chosen, action=form.cleaned_data["action"], params=form.params())
    return _page(request, user, queue, results=_results(outcome, items))


def _results(outcome: list[BulkResult], items: dict[int, WorkItem]) -> list[dict[str, Any]]:
    """Each item's result as the page lists it: its invoice number, done or the refusal."""
    return [{"item": items[result.item_id], "ok": result.ok, "message": result.message or "Done"} for result in outcome]
