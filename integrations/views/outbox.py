"""The outbox: deliveries of outbox events to each system, pending, delivered, dead or discarded."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from integrations import selectors
from integrations.forms import DeliveryFilterForm
from integrations.views._common import page_of, require_reader


@require_GET
@login_required
def delivery_list(request: HttpRequest) -> HttpResponse:
    """Deliveries with their event's topic and subject, attempts, next attempt and last error."""
    user = require_reader(request)
    form = DeliveryFilterForm(request.GET)
    filters = form.values()
    page = page_of(request, selectors.outbox_delivery_list(principal=user, **filters))
    context = {"form": form, "filters": filters, "page": page}
    template = "integrations/_outbox_results.html" if getattr(request, "htmx", False) else "integrations/outbox.html"
    return render(request, template, context)
