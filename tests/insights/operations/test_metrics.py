"""Operations gauges on /metrics equal the records: open exceptions by code and facility, the touchless rate, the
summaries' age; and the integration gauges are not repeated."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from insights.operations.services import operations_summary_refresh
from matching.models import InvoiceException
from tests.insights.operations.conftest import DataSet

pytestmark = pytest.mark.django_db

OURS = ("p2p_matching_exceptions_open", "p2p_matching_touchless_rate", "p2p_insights_operations_summary_age_seconds")


def scrape() -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    text = Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_open_exceptions_by_code_and_facility_equal_a_direct_count(dataset: DataSet) -> None:
    samples = scrape()
    assert not samples.get("p2p_business_metric_errors"), samples.get("p2p_business_metric_errors")
    gauge = samples["p2p_matching_exceptions_open"]
    assert gauge == {
        (("code", "no_receipt"), ("facility", "NORTH")): 1.0,
        (("code", "price_variance"), ("facility", "SOUTH")): 1.0,
    }
    assert sum(gauge.values()) == InvoiceException.objects.filter(state="open").count()


def test_touchless_rate_and_summary_age_follow_the_refresh(dataset: DataSet) -> None:
    before = scrape()
    assert "p2p_insights_operations_summary_age_seconds" not in before  # never refreshed: absent, not zero
    assert not before.get("p2p_matching_touchless_rate")
    operations_summary_refresh(actor="tests")
    samples = scrape()
    # The data set's two weeks lie within the last four: NORTH 2 of 7, SOUTH 1 of 2.
    assert samples["p2p_matching_touchless_rate"] == {
        (("facility", "NORTH"),): pytest.approx(2 / 7),
        (("facility", "SOUTH"),): pytest.approx(1 / 2),
    }
    assert 0 <= samples["p2p_insights_operations_summary_age_seconds"][()] < 60


def test_sync_lag_and_outbox_depth_stay_integrations_own() -> None:
    from p2p_portal.metrics import _business_metrics

    ours = {
        name for name, metric in _business_metrics.items() if metric.collect.__module__ == "insights.operations.metrics"
    }
    assert ours == set(OURS)
    text = Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    families = {family.name for family in text_string_to_metric_families(text)}
    assert {"p2p_integration_sync_lag_seconds", "p2p_integration_outbox_depth", *OURS} <= families
