"""Pages of the operations reports: the dashboard and the list behind each of its figures (thin: the selectors
count, the presentation module draws)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from insights.export import csv_response, wants_csv
from insights.filters import report_filters
from insights.operations import presentation
from insights.operations.definitions import Span
from insights.operations.lists import cells_text, figure_list
from insights.operations.selectors import READER_ROLES, OperationsDashboard, operations_dashboard
from integrations.selectors import may_read as may_read_integrations

PAGE_SIZE = 50
REFRESH_MINUTES = 15
CSV_TABLES = ("touchless", "exceptions", "queues", "cycles", "money", "approvals", "integrations")


def _csv_tables(board: OperationsDashboard) -> dict[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]:
    """Every table of the dashboard as CSV: ?format=csv&table=<name>."""
    weeks = board.span.weeks
    return {
        "touchless": (
            ("week", "judged", "touchless", "rate_percent"),
            [(w.week, w.judged, w.touchless, "" if w.rate is None else f"{w.rate:.1f}") for w in board.rate_weeks],
        ),
        "exceptions": (
            ("code", "week", "opened", "resolved"),
            [
                (trend.code, week, trend.opened[index], trend.resolved[index])
                for trend in board.exceptions
                for index, week in enumerate(weeks)
            ],
        ),
        "queues": (
            (
                "queue",
                "open",
                *[name for name, _ in (board.queues[0].buckets if board.queues else ())],
                "waiting",
                "on_hold",
                "sla_breaches",
            ),
            [
                (load.name, load.open, *[count for _, count in load.buckets], load.waiting, load.on_hold, load.breaches)
                for load in board.queues
            ],
        ),
        "cycles": (
            ("stage", "invoices", "median_hours", "p90_hours"),
            [(cycle.stage, cycle.invoices, cycle.median_hours, cycle.p90_hours) for cycle in board.cycles],
        ),
        "money": (
            ("figure", "count", "amount"),
            [
                ("duplicates_confirmed", board.duplicates["confirmed"].count, board.duplicates["confirmed"].amount),
                ("duplicates_dismissed", board.duplicates["dismissed"].count, board.duplicates["dismissed"].amount),
                ("variances_accepted", board.accepted.count, board.accepted.amount),
                ("variances_recovered", board.recovered.count, board.recovered.amount),
                ("sla_breaches_escalated", board.escalated, ""),
            ],
        ),
        "approvals": (("document_type", "overdue"), list(board.approvals_overdue.items())),
        "integrations": (
            (
                "system",
                "worst_sync_lag_seconds",
                "runs_failed_24h",
                "runs_finished_24h",
                "outbox_pending",
                "outbox_dead",
                "dead_letters_open",
            ),
            [
                (
                    h.system.code,
                    "" if h.worst_lag_seconds is None else round(h.worst_lag_seconds),
                    h.runs_failed,
                    h.runs_finished,
                    h.outbox_pending,
                    h.outbox_dead,
                    h.dead_letters_open,
                )
                for h in board.systems
            ],
        ),
    }


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponseBase:
    """The operations dashboard for AP managers and auditors at the facilities where they hold the role."""
    filters = report_filters(request, roles=READER_ROLES)
    board = operations_dashboard(filters=filters)
    if wants_csv(request):
        tables = _csv_tables(board)
        name = request.GET.get("table", "touchless")
        if name not in tables:
            raise Http404("No such table.")
        header, rows = tables[name]
        return csv_response(f"operations-{name}", header, rows)
    context = {
        "filters": filters,
        "board": board,
        "rate_chart": presentation.rate_chart(board, filters),
        "exceptions_chart": presentation.exceptions_chart(board, filters),
        "cycle_chart": presentation.cycle_chart(board, filters),
        "exception_rows": presentation.exception_rows(board, filters),
        "weekly_cells": len(board.span.weeks) <= presentation.WEEKLY_CELLS_UP_TO,
        "link": _Links(filters),
        "reads_integrations": may_read_integrations(request.user),
        "refresh_minutes": REFRESH_MINUTES,
        "csv": {name: _csv_url(request, name) for name in CSV_TABLES},
    }
    return render(request, "insights/operations/dashboard.html", context)


def _csv_url(request: HttpRequest, table: str) -> str:
    query = request.GET.copy()
    query["format"], query["table"] = "csv", table
    return f"?{query.urlencode()}"


class _Links:
    """`link.<figure>` in the template: the drill-down URL without parameters; with them via the view's helpers."""

    def __init__(self, filters: Any) -> None:
        self.filters = filters

    def __getattr__(self, figure: str) -> str:
        if figure.startswith("_"):
            raise AttributeError(figure)
        return presentation.figure_url(self.filters, figure.replace("_", "-"))


@require_GET
@login_required
def figure(request: HttpRequest, figure: str) -> HttpResponseBase:
    """The records behind one figure of the dashboard, 50 to a page, or all of them as CSV."""
    filters = report_filters(request, roles=READER_ROLES)
    listing = figure_list(filters=filters, figure=figure, params=request.GET)
    if wants_csv(request):
        return csv_response(
            f"operations-{figure}", listing.header, (cells_text(listing.row(record)) for record in listing.records)
        )
    page = Paginator(listing.records, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "listing": listing,
        "page": page,
        "rows": [listing.row(record) for record in page.object_list],
        "query": query.urlencode(),
        "csv_url": f"?{query.urlencode()}&format=csv" if query else "?format=csv",
        "span": Span.covering(filters.date_from, filters.date_to),
        "dashboard_url": f"{reverse('insights:operations:dashboard')}?{urlencode(filters.query())}",
        "extra_params": [
            (key, value)
            for key, value in request.GET.items()
            if key not in ("facility", "from", "to", "page", "format")
        ],
    }
    return render(request, "insights/operations/list.html", context)
