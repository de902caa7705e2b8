"""The console's front page: every system with its health, and "Run now" per entity for integration admins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from integrations import selectors
from integrations.selectors import ERROR_RATE_WINDOW
from integrations.views._common import require_reader


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Systems with last success and lag per entity, error rate, outbox depth and open dead letters."""
    user = require_reader(request)
    health = selectors.system_health(principal=user)
    context = {
        "health": health,
        "operates": selectors.may_operate(user),
        "window_hours": int(ERROR_RATE_WINDOW.total_seconds() // 3600),
        "totals": {
            "pending": sum(row.outbox_pending for row in health),
            "dead": sum(row.outbox_dead for row in health),
            "letters": sum(row.dead_letters_open for row in health),
        },
    }
    return render(request, "integrations/index.html", context)
