"""Operations gauges on /metrics (imported by the app's ready()): open exceptions by code and facility, the
touchless match rate, and how fresh the summaries are. Sync lag and outbox depth are integrations' own gauges
(integrations/metrics.py: p2p_integration_sync_lag_seconds, p2p_integration_outbox_depth), not repeated here."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from insights.operations.definitions import week_of
from insights.operations.models import MatchWeek, SummaryRefresh
from matching.models import ExceptionState, InvoiceException
from p2p_portal.metrics import Samples, register_business_metric

# The match-rate gauge covers the current week and the three before it (a month an alert can look at).
RATE_WEEKS = 4


@register_business_metric(
    "p2p_matching_exceptions_open",
    "Open invoice exceptions by exception code and facility (counted at scrape time).",
    labels=("code", "facility"),
)
def exceptions_open() -> Samples:
    """Open exceptions per code and facility code, in one aggregate query."""
    rows = (
        InvoiceException.objects.filter(state=ExceptionState.OPEN)
        .values_list("code", "invoice__facility__code")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return [((code, facility), float(count)) for code, facility, count in rows]


@register_business_metric(
    "p2p_matching_touchless_rate",
    "Share (0-1) of judged PO-backed invoices received in the current and previous 3 weeks that went through"
    " without a person, per facility (from the operations summary; absent where none was judged).",
    labels=("facility",),
)
def touchless_rate() -> Samples:
    """Touchless over judged per facility over the last four weeks of the summary."""
    since = week_of(timezone.localdate()) - timedelta(weeks=RATE_WEEKS - 1)
    rows = (
        MatchWeek.objects.filter(week__gte=since)
        .values_list("facility__code")
        .annotate(judged=Sum("judged"), touchless=Sum("touchless"))
        .order_by()
    )
    return [((facility,), touchless / judged) for facility, judged, touchless in rows if judged]


@register_business_metric(
    "p2p_insights_operations_summary_age_seconds",
    "Seconds since the operations summaries were last refreshed (absent: never refreshed).",
)
def summary_age() -> Samples:
    """Now minus the last refresh's end, so a stalled beat task can be alerted on."""
    last = SummaryRefresh.objects.order_by("-finished_at", "-id").values_list("finished_at", flat=True).first()
    return [] if last is None else [((), (timezone.now() - last).total_seconds())]
