"""Integration gauges on /metrics equal what the tables say: sync lag, outbox depth, open dead letters, last run."""

from __future__ import annotations

import pytest
from django.db.models import Max
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from integrations.models import DeadLetter, OutboxDelivery, SyncRun
from tests.integrations import console_data
from tests.integrations.console_data import Console, make_run

console = console_data.console

pytestmark = pytest.mark.django_db


def scrape() -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """The integration samples of one scrape, by metric name and sorted labels."""
    text = Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith("p2p_integration_") or family.name == "p2p_business_metric_errors":
            for sample in family.samples:
                samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_gauges_equal_direct_counts(console: Console) -> None:
    samples = scrape()
    assert not samples.get("p2p_business_metric_errors"), samples.get("p2p_business_metric_errors")
    depth = samples["p2p_integration_outbox_depth"]
    for system in (console.erp, console.sandbox):
        for status in ("pending", "dead"):
            expected = OutboxDelivery.objects.filter(system=system, status=status).count()
            assert depth[(("status", status), ("system", system.code))] == expected
    assert depth[(("status", "pending"), ("system", "tryton"))] == 3  # and the fixture is what we think it is
    letters = samples["p2p_integration_dead_letters_open"]
    for system in (console.erp, console.sandbox):
        assert letters[(("system", system.code),)] == DeadLetter.objects.filter(system=system, status="open").count()
    assert letters[(("system", "tryton"),)] == 2
    assert letters[(("system", "coupa"),)] == 0


def test_sync_lag_is_measured_from_the_last_success(console: Console) -> None:
    lags = scrape()["p2p_integration_sync_lag_seconds"]
    # Succeeded or partial runs only: tryton purchase_order only ever failed, so it has no lag sample.
    assert set(lags) == {
        (("entity", "supplier"), ("system", "tryton")),
        (("entity", "purchase_order"), ("system", "coupa")),
    }
    last = SyncRun.objects.filter(system__code="tryton", entity="supplier", status__in=["succeeded", "partial"])
    finished = last.aggregate(last=Max("finished_at"))["last"]
    assert finished == console.last_success[("tryton", "supplier")]
    lag = lags[(("entity", "supplier"), ("system", "tryton"))]
    assert 9 * 60 - 1 <= lag < 9 * 60 + 600  # 9 minutes, measured against the scrape's clock


def test_last_run_status_is_a_state_set(console: Console) -> None:
    states = scrape()["p2p_integration_last_run_status"]
    current = {key: value for key, value in states.items() if value == 1}
    assert current == {
        (("entity", "supplier"), ("status", "partial"), ("system", "tryton")): 1,
        (("entity", "purchase_order"), ("status", "failed"), ("system", "tryton")): 1,
        (("entity", "purchase_order"), ("status", "succeeded"), ("system", "coupa")): 1,
        (("entity", "receipt"), ("status", "failed"), ("system", "coupa")): 1,
    }
    assert len(states) == 4 * 4  # four (system, entity) pairs, one sample per status each
    # A newer run changes the state.
    make_run(console.sandbox, "receipt", "succeeded", console.now)
    states = scrape()["p2p_integration_last_run_status"]
    assert states[(("entity", "receipt"), ("status", "succeeded"), ("system", "coupa"))] == 1
    assert states[(("entity", "receipt"), ("status", "failed"), ("system", "coupa"))] == 0


def test_a_scrape_costs_a_few_queries(console: Console, django_assert_max_num_queries) -> None:
    from integrations import metrics

    with django_assert_max_num_queries(5):
        for collect in (metrics.sync_lag, metrics.outbox_depth, metrics.dead_letters_open, metrics.last_run_status):
            list(collect())
