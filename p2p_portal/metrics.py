"""Prometheus metrics: django-prometheus covers requests, latency and the database; business figures go here."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from p2p_portal.models import TaskHeartbeat

LOOPBACK_ADDRESSES = {"127.0.0.1", "::1"}

# A sample is (label values, value); a business metric returns all of its samples at scrape time.
Samples = Iterable[tuple[tuple[str, ...], float]]


@dataclass(frozen=True)
class BusinessMetric:
    """A gauge computed from the database when Prometheus scrapes."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    collect: Callable[[], Samples]


_business_metrics: dict[str, BusinessMetric] = {}


def register_business_metric(
    name: str, documentation: str, labels: tuple[str, ...] = ()
) -> Callable[[Callable[[], Samples]], Callable[[], Samples]]:
    """Register a function as the source of a business gauge (apps call this from their metrics module)."""

    def decorator(collect: Callable[[], Samples]) -> Callable[[], Samples]:
        _business_metrics[name] = BusinessMetric(name, documentation, labels, collect)
        return collect

    return decorator


class BusinessMetricsCollector(Collector):
    """Exposes every registered business metric; one failing metric does not hide the others."""

    def collect(self) -> Iterator[Metric]:
        failures = GaugeMetricFamily(
            "p2p_business_metric_errors",
            "Business metrics that could not be computed in this scrape.",
            labels=["metric"],
        )
        for metric in list(_business_metrics.values()):
            family = GaugeMetricFamily(metric.name, metric.documentation, labels=list(metric.labels))
            try:
                for label_values, value in metric.collect():
                    family.add_metric(list(label_values), value)
            except Exception:
                failures.add_metric([metric.name], 1)
                continue
            yield family
        yield failures


_collector = BusinessMetricsCollector()
if not getattr(REGISTRY, "_p2p_business_registered", False):
    REGISTRY.register(_collector)
    REGISTRY._p2p_business_registered = True  # type: ignore[attr-defined]


@register_business_metric("p2p_users_active", "Active user accounts.")
def _active_users() -> Samples:
    return [((), float(get_user_model().objects.filter(is_active=True).count()))]


@register_business_metric(
    "p2p_task_heartbeat_age_seconds",
    "Seconds since a worker last ran the periodic heartbeat task (absent: never ran).",
    labels=("heartbeat",),
)
def _heartbeat_age() -> Samples:
    now = time.time()
    return [((beat.name,), now - beat.last_seen_at.timestamp()) for beat in TaskHeartbeat.objects.all()]


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "")
        return hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())
    return request.META.get("REMOTE_ADDR") in LOOPBACK_ADDRESSES


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition; needs METRICS_TOKEN as a bearer token, or a loopback caller when none is set."""
    if not _may_scrape(request):
        refusal = HttpResponse("Metrics need a valid bearer token.\n", status=401, content_type="text/plain")
        refusal["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refusal
    exposition: HttpResponse = ExportToDjangoView(request)
    return exposition
