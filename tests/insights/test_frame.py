"""The insights frame every report shares: the index by role, filters, charts and CSV export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from insights.charts import Series, build_chart
from insights.export import cell, csv_lines
from insights.filters import report_filters
from p2p_portal.roles import Role
from p2p_portal.services import role_grant
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_index_is_refused_to_someone_without_a_reporting_role(clerk_client) -> None:
    assert clerk_client.get(reverse("insights:index")).status_code == 403


def test_the_index_sends_anonymous_readers_to_sign_in() -> None:
    response = Client().get(reverse("insights:index"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("role", [Role.AP_MANAGER, Role.PROCUREMENT_ADMIN, Role.VENDOR_STEWARD, Role.AUDITOR])
def test_the_index_opens_for_each_reporting_role(role, north) -> None:
    reader = make_user(f"reader-{role}")
    role_grant(actor="tests", user=reader, role=role, facility=north)
    assert signed_in(reader).get(reverse("insights:index")).status_code == 200


def test_filters_refuse_a_facility_the_reader_may_not_see_and_explain_a_bad_date(north, south) -> None:
    manager = make_user("filter-manager")
    role_grant(actor="tests", user=manager, role=Role.AP_MANAGER, facility=north)
    request = RequestFactory().get("/", {"from": "not-a-date", "to": "2026-03-31"})
    request.user = manager
    filters = report_filters(request, roles=[Role.AP_MANAGER], default_days=31)
    assert filters.facilities == (north,)
    assert (filters.date_from, filters.date_to) == (date(2026, 3, 1), date(2026, 3, 31))
    assert "not a date" in filters.errors["from"]
    request = RequestFactory().get("/", {"facility": south.code})
    request.user = manager
    from django.http import Http404

    with pytest.raises(Http404):
        report_filters(request, roles=[Role.AP_MANAGER])


def test_a_chart_scales_its_bars_and_keeps_the_numbers_for_its_table() -> None:
    chart = build_chart(
        key="t",
        title="Invoices",
        summary="Rising",
        categories=["Jan", "Feb"],
        series=[Series("Received", (50, 100)), Series("Touchless", (25, None))],
        links=["/a", "/b"],
    )
    received, touchless = chart.series
    assert received.marks[1].height == pytest.approx(2 * received.marks[0].height, abs=0.2)
    assert [mark.href for mark in received.marks] == ["/a", "/b"]
    assert len(touchless.marks) == 1  # no bar where there is no value
    assert chart.table == (("Received", ("50", "100")), ("Touchless", ("25", "—")))
    with pytest.raises(ValueError, match="2 categories"):
        build_chart(key="x", title="x", summary="x", categories=["a", "b"], series=[Series("s", (1,))])


def test_csv_cells_defuse_formulas_but_keep_negative_numbers() -> None:
    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell("-12.50") == "-12.50"
    assert cell(Decimal("3.10")) == "3.10"
    assert cell(None) == ""
    assert "".join(csv_lines(["a", "b"], [[1, "x,y"]])) == 'a,b\r\n1,"x,y"\r\n'


def test_an_insights_dashboard_marks_insights_as_the_current_section_not_the_home_dashboard(north) -> None:
    manager = make_user("nav-manager")
    role_grant(actor="tests", user=manager, role=Role.AP_MANAGER, facility=north)
    page = signed_in(manager).get(reverse("insights:operations:dashboard")).content.decode()
    assert page.count('aria-current="page"') == 1
    assert f'<a href="{reverse("insights:index")}" aria-current="page">' in page


def test_a_chart_of_small_counts_has_whole_number_ticks() -> None:
    chart = build_chart(key="c", title="Requests", summary="Few", categories=["a", "b"], series=[Series("n", (2, 1))])
    assert [tick.label for tick in chart.ticks] == ["0", "1", "2"]
    five = build_chart(key="f", title="n", summary="n", categories=["a"], series=[Series("n", (5,))])
    assert [tick.label for tick in five.ticks] == ["0", "2", "4", "6", "8"]
    many = build_chart(key="g", title="n", summary="n", categories=["a"], series=[Series("n", (193,))])
    assert [tick.label for tick in many.ticks] == ["0", "50", "100", "150", "200"]
    money = build_chart(key="m", title="Spend", summary="s", categories=["a"], series=[Series("n", (432.5,))], unit="$")
    assert [tick.label for tick in money.ticks] == ["$0", "$100", "$200", "$300", "$400", "$500"]
    wide = build_chart(key="w", title="Spend", summary="s", categories=["a"], series=[Series("n", (9e5,))], unit="$")
    assert wide.ticks[-1].label == "$1,000,000"
    assert wide.left > money.left  # room for the longer labels
