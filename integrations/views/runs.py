"""Sync runs: the list with filters, one run with its counts, cursors, error and dead letters, and "Run now"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from integrations import selectors
from integrations.forms import RunNowForm, SyncRunFilterForm
from integrations.services.run_now import sync_run_request
from integrations.views._common import page_of, require_operator, require_reader
from p2p_portal.errors import ApplicationError


@require_GET
@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """Sync runs, newest first, by system, entity and status; htmx refreshes the results only."""
    user = require_reader(request)
    form = SyncRunFilterForm(request.GET)
    filters = form.values()
    page = page_of(request, selectors.sync_run_list(principal=user, **filters))
    context = {"form": form, "filters": filters, "page": page, "operates": selectors.may_operate(user)}
    template = "integrations/_run_results.html" if getattr(request, "htmx", False) else "integrations/runs.html"
    return render(request, template, context)


@require_GET
@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: what it fetched and did, where its cursor went, its error and the dead letters it left."""
    user = require_reader(request)
    run = selectors.sync_run_get(principal=user, pk=pk)
    letters = selectors.dead_letter_list(principal=user).filter(sync_run=run)[:100]
    context = {"run": run, "letters": letters, "operates": selectors.may_operate(user)}
    return render(request, "integrations/run.html", context)


@require_POST
@login_required
def run_now(request: HttpRequest, code: str) -> HttpResponse:
    """Enqueue a sync of one entity of a system (after commit); audited, and the run says who asked."""
    user = require_operator(request)
    system = selectors.external_system_get(principal=user, code=code)
    form = RunNowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say which entity to sync.")
    else:
        entity = form.cleaned_data["entity"]
        try:
            sync_run_request(actor=user, system=system, entity=entity)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{system.name}: {entity.replace('_', ' ')} sync queued. It appears below.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(f"{reverse('integrations:runs')}?system={system.code}")
