"""The workbench overview: the queues I see with their health, my items, and "Next item"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from matching.selectors import TOLERANCE_READER_ROLES
from matching.services.workbench.claims import work_item_claim_next
from matching.views._common import require_workbench, require_worker, works_anything
from matching.workbench_selectors import AGING_BUCKETS, work_item_list, work_queue_get, work_queue_health
from p2p_portal.selectors import facilities_for


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Each queue's open, claimed, waiting and held counts, oldest age, SLA breaches and aging; my items."""
    user = require_workbench(request)
    health = work_queue_health(user=user)
    mine = list(work_item_list(user=user, view="all", mine=True)[:50])
    context = {
        "health": health,
        "buckets": [name for name, _, _ in AGING_BUCKETS],
        "mine": mine,
        "works": works_anything(user),
        "reads_tolerances": user.is_superuser or facilities_for(user, TOLERANCE_READER_ROLES).exists(),
        "totals": {
            "open": sum(row.open for row in health),
            "breaches": sum(row.breaches for row in health),
        },
    }
    return render(request, "matching/workbench/index.html", context)


@require_POST
@login_required
def next_item(request: HttpRequest) -> HttpResponse:
    """Claim the oldest item I may work (in the queue asked for, or in any of mine) and open it."""
    user = require_worker(request)
    queue = None
    wanted = request.POST.get("queue", "")
    if wanted.isdigit():
        queue = work_queue_get(user=user, pk=int(wanted))
    item = work_item_claim_next(actor=user, queue=queue)
    if item is None:
        where = f" in {queue.name}" if queue is not None else ""
        messages.info(request, f"Nothing to work{where} right now: every item is taken, waiting or on hold.")
        back = reverse("matching:queue", args=[queue.pk]) if queue is not None else reverse("matching:index")
        return redirect(back)
    return redirect("matching:item", pk=item.pk)
