"""The dashboard and its drill-down lists by role, every figure's link leading to a list of exactly that many
records, and every table as CSV."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from insights.catalogue import reports_for
from insights.operations.services import operations_summary_refresh
from insights.operations.views import CSV_TABLES
from tests.factories import signed_in
from tests.insights.operations.conftest import DataSet

pytestmark = pytest.mark.django_db

DASHBOARD = "insights:operations:dashboard"


def lst(figure: str) -> str:
    return reverse("insights:operations:list", args=[figure])


@pytest.fixture
def refreshed(dataset: DataSet) -> DataSet:
    operations_summary_refresh(actor="tests")
    return dataset


def client_of(data: DataSet, who: str) -> Client:
    return signed_in(data.people[who])


def record_count(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    found = re.search(r'<strong id="record-count">(\d+)</strong>', response.content.decode())
    assert found, url
    return int(found.group(1))


def csv_rows(response: Any) -> list[list[str]]:
    """The rows of a streamed CSV download, header first."""
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def figure_link(html: str, element_id: str) -> tuple[str, int]:
    """The href and the number of a headline figure."""
    found = re.search(rf'<a href="([^"]+)" id="{element_id}">([^<]+)</a>', html)
    assert found, element_id
    return unescape(found.group(1)), int(re.sub(r"[^\d]", "", found.group(2).split(".")[0]) or 0)


@pytest.mark.parametrize("url", [reverse(DASHBOARD), lst("judged")])
def test_anonymous_readers_are_sent_to_sign_in(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("who", ["nobody", "clerk"])
@pytest.mark.parametrize("url", [reverse(DASHBOARD), lst("judged"), lst("work-items")])
def test_outsiders_and_wrong_roles_are_refused(refreshed: DataSet, who: str, url: str) -> None:
    assert client_of(refreshed, who).get(url, refreshed.query).status_code == 403


def test_a_manager_elsewhere_gets_404_for_norths_figures(refreshed: DataSet) -> None:
    client = client_of(refreshed, "outsider")
    assert client.get(reverse(DASHBOARD), {**refreshed.query, "facility": "NORTH"}).status_code == 404
    assert client.get(lst("judged"), {**refreshed.query, "facility": "NORTH"}).status_code == 404
    html = client.get(reverse(DASHBOARD), refreshed.query).content.decode()
    assert "NORTH" not in html
    assert record_count(client, f"{lst('judged')}?from={refreshed.query['from']}&to={refreshed.query['to']}") == 2


def test_the_catalogue_lists_the_dashboard_for_managers_and_auditors_only(refreshed: DataSet) -> None:
    keys = {who: [report.key for report in reports_for(refreshed.people[who])] for who in refreshed.people}
    assert "operations" in keys["manager"]
    assert "operations" in keys["auditor"]
    assert "operations" not in keys["clerk"]
    assert "operations" not in keys["nobody"]


def test_the_dashboard_says_how_fresh_it_is(dataset: DataSet) -> None:
    client = client_of(dataset, "manager")
    assert "have not been computed yet" in client.get(reverse(DASHBOARD), dataset.query).content.decode()
    operations_summary_refresh(actor="tests")
    html = client.get(reverse(DASHBOARD), dataset.query).content.decode()
    assert "refreshed every 15 minutes" in html
    assert "28.6 %" in html


@pytest.mark.parametrize(
    ("element_id", "expected"),
    [
        ("fig-open-items", 2),
        ("fig-open-exceptions", 1),
        ("fig-active-items", 3),
        ("fig-breaches", 1),
        ("fig-approvals", 1),
        ("fig-duplicates", 1),
    ],
)
def test_each_headline_figure_leads_to_a_list_of_that_many_records(
    refreshed: DataSet, element_id: str, expected: int
) -> None:
    client = client_of(refreshed, "manager")
    href, number = figure_link(client.get(reverse(DASHBOARD), refreshed.query).content.decode(), element_id)
    assert number == expected
    assert record_count(client, href) == expected


@pytest.mark.parametrize(
    ("figure", "params", "expected"),
    [
        ("judged", {}, 7),
        ("judged", {"touchless": "yes"}, 2),
        ("judged", {"touchless": "no"}, 5),
        ("exceptions", {"event": "opened"}, 5),
        ("exceptions", {"event": "resolved", "code": "duplicate_suspect"}, 2),
        ("cycle", {"stage": "received_approved"}, 7),
        ("cycle", {"stage": "received_paid"}, 2),
        ("duplicates", {"outcome": "dismissed"}, 1),
        ("accepted", {}, 1),
        ("recovered", {}, 1),
        ("escalated", {}, 1),
        ("work-items", {"bucket": "3-5"}, 1),
        ("work-items", {"view": "waiting"}, 1),
        ("work-items", {"queue": "none"}, 1),
        ("approvals-overdue", {"document_type": "invoice"}, 1),
    ],
)
def test_lists_hold_exactly_the_records_behind_their_figure(
    refreshed: DataSet, figure: str, params: dict[str, str], expected: int
) -> None:
    client = client_of(refreshed, "manager")
    assert record_count(client, f"{lst(figure)}?{urlencode({**refreshed.query, **params})}") == expected
    rows = csv_rows(client.get(lst(figure), {**refreshed.query, **params, "format": "csv"}))
    assert len(rows) == expected + 1


def test_a_week_on_the_chart_leads_to_that_weeks_invoices(refreshed: DataSet) -> None:
    client = client_of(refreshed, "manager")
    html = client.get(reverse(DASHBOARD), refreshed.query).content.decode()
    links = [
        unescape(href) for href in re.findall(r'<a href="([^"]*lists/judged/[^"]*touchless=yes[^"]*)">\s*<circle', html)
    ]
    assert len(links) == 2
    assert [record_count(client, link) for link in links] == [2, 0]


def test_auditors_read_the_dashboard_of_both_facilities(refreshed: DataSet) -> None:
    client = client_of(refreshed, "auditor")
    html = client.get(reverse(DASHBOARD), refreshed.query).content.decode()
    href, number = figure_link(html, "fig-approvals")
    assert number == 2
    assert record_count(client, href) == 2
    assert "integrations/runs/" in html or "No external system" in html


def test_unknown_figures_and_parameters_are_404(refreshed: DataSet) -> None:
    client = client_of(refreshed, "manager")
    assert client.get(lst("nothing")).status_code == 404
    assert client.get(lst("cycle"), {"stage": "bogus"}).status_code == 404
    assert client.get(lst("exceptions"), {"event": "opened", "code": "=cmd"}).status_code == 404


def test_the_dashboard_offers_every_csv_table_and_no_other(refreshed: DataSet) -> None:
    html = client_of(refreshed, "manager").get(reverse(DASHBOARD), refreshed.query).content.decode()
    assert set(re.findall(r"table=(\w+)", html)) == set(CSV_TABLES)
    response = client_of(refreshed, "manager").get(reverse(DASHBOARD), {"format": "csv", "table": "nothing"})
    assert response.status_code == 404


@pytest.mark.parametrize("table", CSV_TABLES)
def test_every_dashboard_table_downloads_as_csv(refreshed: DataSet, table: str) -> None:
    response = client_of(refreshed, "manager").get(
        reverse(DASHBOARD), {**refreshed.query, "format": "csv", "table": table}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert len(rows) >= 2 or table in ("approvals", "integrations")
    if table == "touchless":
        assert rows[1:] == [[refreshed.query["from"], "4", "2", "50.0"], [rows[2][0], "3", "0", "0.0"]]


def test_the_median_and_p90_are_rows_of_the_stage_list(refreshed: DataSet) -> None:
    client = client_of(refreshed, "manager")
    rows = csv_rows(client.get(lst("cycle"), {**refreshed.query, "stage": "received_approved", "format": "csv"}))
    hours = [int(row[-1]) for row in rows[1:]]
    assert hours == sorted(hours)  # shortest first
    assert (hours[-(-len(hours) // 2) - 1], hours[-(-len(hours) * 9 // 10) - 1]) == (48, 192)
    html = client.get(reverse(DASHBOARD), refreshed.query).content.decode()
    assert re.search(r'stage=received_approved">48</a></td><td class="num"><a href="[^"]+">192</a>', html)
