"""The vendor governance dashboard: each figure equals a direct count on a known master, change requests are scoped
to the facility they were raised at, and every figure leads to a list with exactly that many rows."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from p2p_portal.roles import Role
from tests.conftest import make_user
from tests.factories import make_user_with_role, signed_in
from tests.insights.governance.conftest import Master

pytestmark = pytest.mark.django_db

DASHBOARD = "insights:governance:dashboard"


def _figure(html: str, name: str) -> tuple[str, int]:
    """The link and the number of the figure marked data-figure=name."""
    found = re.search(rf'<a href="([^"]+)" data-figure="{re.escape(name)}">(\d+)</a>', html)
    assert found, f"no figure {name}"
    return found.group(1).replace("&amp;", "&"), int(found.group(2))


def _list_count(client: Client, href: str) -> int:
    """How many rows the list a figure leads to says it holds."""
    response = client.get(href)
    assert response.status_code == 200, href
    html = response.content.decode()
    if "data-count" in html:
        return int(re.search(r"<span data-count>(\d+)</span>", html).group(1))
    return int(response.context["page"].paginator.count)


@pytest.fixture
def admin_north(north):
    return make_user_with_role("gov-admin-n", Role.PROCUREMENT_ADMIN, north)


def test_anonymous_readers_are_sent_to_sign_in() -> None:
    response = Client().get(reverse(DASHBOARD))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("page", [DASHBOARD, "insights:governance:changes", "insights:governance:cooling_off"])
def test_someone_without_a_governance_role_is_refused(north, page) -> None:
    nobody = make_user("gov-nobody")
    manager = make_user_with_role("gov-manager", Role.AP_MANAGER, north)
    clerk = make_user_with_role("gov-clerk", Role.AP_CLERK, north)
    for person in (nobody, manager, clerk):
        assert signed_in(person).get(reverse(page)).status_code == 403


def test_the_figures_equal_direct_counts_for_an_admin_at_north(master: Master, admin_north, north) -> None:
    response = signed_in(admin_north).get(reverse(DASHBOARD))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.pending_total == 5  # South's and the applied request are not counted
    assert [(bucket.key, bucket.count) for bucket in figures.pending_by_age] == [
        ("0-2", 2),
        ("3-7", 1),  # exactly 3 days old falls into 3-7
        ("8-14", 1),
        ("15-30", 0),
        ("31+", 1),
    ]
    assert {tally.value: tally.count for tally in figures.pending_by_kind} == {
        "create": 0,
        "update": 4,
        "bank_account": 1,
    }
    assert figures.cooling_off == 2  # 1 day and 4 days 23 hours in; 5 days 1 hour out
    assert {tally.value: tally.count for tally in figures.duplicates} == {"open": 3, "merged": 1, "dismissed": 1}
    assert figures.screening_open == 2
    statuses = {tally.value: tally.count for tally in figures.vendors_by_status}
    assert (statuses["active"], statuses["on_hold"], statuses["blocked"], statuses["draft"]) == (4, 1, 1, 0)
    assert figures.vendors_total == 6
    assert {tally.value: tally.count for tally in figures.vendors_by_source} == {"ERP": 3, "GHX": 2, "none": 2}


@pytest.mark.parametrize("role", [Role.VENDOR_STEWARD, Role.AUDITOR])
def test_stewards_and_auditors_read_the_same_figures(master: Master, north, role) -> None:
    reader = make_user_with_role(f"gov-{role}", role, north)
    response = signed_in(reader).get(reverse(DASHBOARD))
    assert response.status_code == 200
    assert response.context["figures"].pending_total == 5


def test_a_reader_at_south_only_sees_none_of_norths_change_requests(master: Master, north, south) -> None:
    admin_south = make_user_with_role("gov-admin-s", Role.PROCUREMENT_ADMIN, south)
    client = signed_in(admin_south)
    figures = client.get(reverse(DASHBOARD)).context["figures"]
    assert figures.pending_total == 1
    assert {tally.value: tally.count for tally in figures.pending_by_kind}["bank_account"] == 1
    assert client.get(reverse(DASHBOARD), {"facility": north.code}).status_code == 404
    assert client.get(reverse("insights:governance:changes"), {"facility": north.code}).status_code == 404
    # The network-wide figures are the same for everyone who reads vendor governance.
    assert figures.screening_open == 2
    assert figures.cooling_off == 2


def test_a_reader_of_both_facilities_counts_both_or_one_when_chosen(master: Master, north, south) -> None:
    auditor = make_user_with_role("gov-auditor-2", Role.AUDITOR, north, south)
    client = signed_in(auditor)
    assert client.get(reverse(DASHBOARD)).context["figures"].pending_total == 6
    assert client.get(reverse(DASHBOARD), {"facility": south.code}).context["figures"].pending_total == 1


FIGURES = [
    "pending",
    "age-0-2",
    "age-3-7",
    "age-8-14",
    "age-15-30",
    "age-31+",
    "kind-update",
    "kind-bank_account",
    "cooling-off",
    "screening-open",
    "duplicates-open",
    "duplicates-merged",
    "duplicates-dismissed",
    "status-active",
    "status-on_hold",
    "source-ERP",
    "source-GHX",
    "source-none",
]


@pytest.mark.parametrize("query", [{}, {"facility": "NORTH"}])
def test_every_figure_leads_to_a_list_of_exactly_that_many_rows(master: Master, admin_north, query) -> None:
    client = signed_in(admin_north)
    html = client.get(reverse(DASHBOARD), query).content.decode()
    for name in FIGURES:
        href, count = _figure(html, name)
        assert _list_count(client, href) == count, name


def test_pending_figures_lead_to_the_vendors_queue_when_it_lists_the_same(master: Master, admin_north) -> None:
    html = signed_in(admin_north).get(reverse(DASHBOARD)).content.decode()
    assert _figure(html, "pending")[0] == reverse("vendors:changes") + "?status=pending"
    assert _figure(html, "age-3-7")[0].startswith(reverse("insights:governance:changes"))
    chosen = signed_in(admin_north).get(reverse(DASHBOARD), {"facility": "NORTH"}).content.decode()
    assert _figure(chosen, "pending")[0].startswith(reverse("insights:governance:changes"))


def test_the_drill_down_lists_the_requests_of_the_bucket(master: Master, admin_north) -> None:
    response = signed_in(admin_north).get(reverse("insights:governance:changes"), {"bucket": "3-7"})
    rows = response.context["rows"]
    assert [(change.vendor_id, age) for change, age in rows] == [(master.vendors[2].pk, 3)]
    assert signed_in(admin_north).get(reverse("insights:governance:changes"), {"bucket": "99"}).status_code == 404


def test_csv_downloads_hold_the_same_rows(master: Master, admin_north) -> None:
    client = signed_in(admin_north)
    response = client.get(reverse("insights:governance:changes"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "request"
    assert len(rows) == 1 + 5
    response = client.get(reverse("insights:governance:cooling_off"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in rows[1:]] == [master.vendors[0].number, master.vendors[1].number]
    response = client.get(reverse(DASHBOARD), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert ["screening hits open", "open", "2"] in rows
    response = client.get(reverse("insights:governance:sources"), {"system": "ERP", "format": "csv"})
    assert len(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))) == 1 + 3


def test_the_report_is_listed_for_governance_roles_only(master: Master, admin_north, north) -> None:
    index = signed_in(admin_north).get(reverse("insights:index")).content.decode()
    assert reverse(DASHBOARD) in index
    manager = make_user_with_role("gov-manager-2", Role.AP_MANAGER, north)
    assert reverse(DASHBOARD) not in signed_in(manager).get(reverse("insights:index")).content.decode()


def test_the_dashboard_reads_in_a_constant_number_of_queries(master: Master, admin_north, north) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.insights.governance.conftest import _change
    from tests.vendors.factories import make_vendor

    client = signed_in(admin_north)
    client.get(reverse(DASHBOARD))  # the first request of a session does one-off work (session, navigation)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse(DASHBOARD))
    for index in range(5):
        _change(make_vendor(f"More Vendor {index} Inc"), north, master.steward_north, timedelta(days=index * 9))
    with CaptureQueriesContext(connection) as after:
        client.get(reverse(DASHBOARD))
    assert len(after) == len(before)
