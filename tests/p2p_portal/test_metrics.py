"""/metrics: Prometheus exposition of requests, latency, database and business figures, and who may scrape it."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from p2p_portal.services import task_heartbeat_record

pytestmark = pytest.mark.django_db


def test_loopback_scraper_gets_request_latency_database_and_business_metrics(client: Client, clerk) -> None:
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        'django_http_requests_total_by_view_transport_method_total{method="GET",transport="http",view="healthz"}'
        in text
    )
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert "django_db_execute_total" in text
    assert "p2p_users_active 1.0" in text


def test_heartbeat_age_is_exposed_so_operations_can_alert_on_dead_workers(client: Client) -> None:
    task_heartbeat_record(name="periodic", hostname="worker-1")
    text = client.get("/metrics", REMOTE_ADDR="::1").content.decode()
    line = next(
        line for line in text.splitlines() if line.startswith('p2p_task_heartbeat_age_seconds{heartbeat="periodic"}')
    )
    assert 0 <= float(line.split()[-1]) < 60


def test_a_remote_scraper_without_a_token_is_refused(client: Client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "django_http" not in response.content.decode()


@override_settings(METRICS_TOKEN="scrape-me-please-0123456789")
def test_with_a_metrics_token_only_the_bearer_of_it_may_scrape(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401, "loopback is not enough with a token set"
    wrong = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 401
    right = client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer scrape-me-please-0123456789")
    assert right.status_code == 200
