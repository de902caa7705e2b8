"""The finance pages by role, their figures on the known data set, the lists behind the figures and the CSVs."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from insights.finance.services import finance_summaries_refresh
from p2p_portal.roles import Role
from tests.conftest import make_user
from tests.factories import make_user_with_role
from tests.insights.finance.conftest import AS_OF, FinanceData

pytestmark = pytest.mark.django_db

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
PAGES = [
    ("insights:finance:accruals", {"to": AS_OF.isoformat()}),
    ("insights:finance:accrual_lines", {"to": AS_OF.isoformat()}),
    ("insights:finance:spend", NOVEMBER),
    ("insights:finance:spend_lines", NOVEMBER),
    ("insights:finance:leakage_lines", NOVEMBER),
]
ACCRUAL_PAGES = PAGES[:2]
SPEND_PAGES = PAGES[2:]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def summarised(finance_data: FinanceData) -> FinanceData:
    finance_summaries_refresh(actor="tests")
    return finance_data


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_anonymous_readers_are_sent_to_sign_in(name: str, query: dict[str, str]) -> None:
    response = Client().get(reverse(name), query)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_someone_without_a_role_or_with_another_role_is_refused(name: str, query: dict[str, str], north) -> None:
    assert signed_in(make_user("nobody")).get(reverse(name), query).status_code == 403
    clerk = make_user_with_role("clerk", Role.AP_CLERK, north)
    assert signed_in(clerk).get(reverse(name), query).status_code == 403


@pytest.mark.parametrize(("name", "query"), ACCRUAL_PAGES)
def test_procurement_admins_do_not_read_accruals(name: str, query: dict[str, str], north) -> None:
    admin = make_user_with_role("buyer", Role.PROCUREMENT_ADMIN, north)
    assert signed_in(admin).get(reverse(name), query).status_code == 403


@pytest.mark.parametrize(("name", "query"), SPEND_PAGES)
def test_procurement_admins_read_spend(name: str, query: dict[str, str], summarised: FinanceData) -> None:
    admin = make_user_with_role("buyer", Role.PROCUREMENT_ADMIN, summarised.north)
    assert signed_in(admin).get(reverse(name), query).status_code == 200


@pytest.mark.parametrize(("name", "query"), PAGES)
def test_a_reader_of_another_facility_sees_none_of_norths_numbers(
    name: str, query: dict[str, str], summarised: FinanceData
) -> None:
    outsider = signed_in(make_user_with_role("south-manager", Role.AP_MANAGER, summarised.south))
    assert outsider.get(reverse(name), {**query, "facility": "NORTH"}).status_code == 404
    response = outsider.get(reverse(name), query)
    assert response.status_code == 200
    assert response.context["filters"].facility_ids == [summarised.south.pk]


def test_the_accrual_report_shows_norths_figures_to_its_ap_manager(summarised: FinanceData) -> None:
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, summarised.north))
    response = manager.get(reverse("insights:finance:accruals"), {"to": AS_OF.isoformat()})
    report = response.context["report"]
    assert (report.amount, report.lines) == (Decimal("628.00"), 3)
    assert {g.label: g.amount for g in report.by_cost_center} == {
        "ICU": Decimal("200.00"),
        "OR": Decimal("248.00"),
        "No cost center": Decimal("180.00"),
    }
    assert {g.label: g.amount for g in report.by_vendor} == {
        "Medline Industries LP": Decimal("448.00"),
        "Cardinal Health Inc": Decimal("180.00"),
    }
    assert b"$628.00" in response.content
    assert b"Figures from the summary built" in response.content


def test_an_auditor_of_both_facilities_sees_both_and_each_figure_leads_to_its_lines(summarised: FinanceData) -> None:
    auditor = signed_in(make_user_with_role("auditor", Role.AUDITOR, summarised.north, summarised.south))
    report = auditor.get(reverse("insights:finance:accruals"), {"to": AS_OF.isoformat()}).context
    assert report["report"].amount == Decimal("828.00")  # SOUTH's PO-3: 30 received - 10 invoiced, x 10.00
    for table in ("facility", "cost_center", "vendor"):
        for group, href in report["tables"][table]:
            listing = auditor.get(href)
            assert listing.status_code == 200, href
            assert (listing.context["count"], listing.context["amount"]) == (group.count, group.amount), href


def test_the_accrual_csvs_have_every_row(summarised: FinanceData) -> None:
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, summarised.north))
    url = reverse("insights:finance:accruals")
    for table, rows in (("facility", 1), ("cost_center", 3), ("vendor", 2)):
        response = manager.get(url, {"to": AS_OF.isoformat(), "format": "csv", "table": table})
        assert response["Content-Type"].startswith("text/csv")
        assert len(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))) == rows + 1
    lines = manager.get(reverse("insights:finance:accrual_lines"), {"to": AS_OF.isoformat(), "format": "csv"})
    parsed = list(csv.DictReader(io.StringIO(b"".join(lines.streaming_content).decode())))
    assert sorted(row["Amount"] for row in parsed) == ["180.00", "200.00", "248.00"]


def test_the_spend_report_shows_novembers_figures(summarised: FinanceData) -> None:
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, summarised.north))
    response = manager.get(reverse("insights:finance:spend"), NOVEMBER)
    report = response.context["report"]
    assert (report.amount, report.po_backed, report.non_po) == (
        Decimal("532.50"),
        Decimal("432.50"),
        Decimal("100.00"),
    )
    assert report.po_backed_share == Decimal("81.2")
    assert report.leakage == Decimal("2.50")
    assert {g.label: g.amount for g in report.leakage_by_item} == {"GL-1": Decimal("1.50"), "DR-1": Decimal("1.00")}
    assert {g.label: g.amount for g in report.by_category}["Uncategorised"] == Decimal("100.00")
    assert [month.month for month in report.months] == [date(2026, 11, 1)]


def test_every_spend_figure_leads_to_lines_that_add_up_to_it(summarised: FinanceData) -> None:
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, summarised.north))
    context = manager.get(reverse("insights:finance:spend"), {"from": "2026-11-01", "to": "2026-12-31"}).context
    figures = [
        (context["report"].amount, context["report"].lines, context["links"]["all"]),
        (context["report"].non_po, context["report"].non_po_lines, context["links"]["non_po"]),
        (context["report"].leakage, context["report"].leakage_lines, context["links"]["leakage"]),
    ]
    for table in ("vendors", "facilities", "categories", "leakage_vendors", "leakage_items"):
        figures.extend((group.amount, group.count, href) for group, href in context[table])
    for month, href, po_href, non_po_href in context["months"]:
        figures.extend(
            [(month.amount, None, href), (month.po_backed, None, po_href), (month.non_po, None, non_po_href)]
        )
    assert len(figures) > 12
    for amount, count, href in figures:
        listing = manager.get(href)
        assert listing.status_code == 200, href
        assert listing.context["amount"] == amount, href
        if count is not None:
            assert listing.context["count"] == count, href
        # The page's count may come from the summary; the CSV reads the lines themselves.
        exported = manager.get(f"{href}&format=csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
        column = "Leakage" if "leakage" in href else "Paid spend"
        assert sum((Decimal(row[column]) for row in rows), Decimal(0)) == amount, href
        assert len(rows) == listing.context["count"], href
        assert len(listing.context["rows"]) == min(len(rows), 50), href


def test_the_spend_csvs(summarised: FinanceData) -> None:
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, summarised.north))
    url = reverse("insights:finance:spend")
    for table in ("months", "vendors", "facilities", "categories", "leakage_vendors", "leakage_items"):
        response = manager.get(url, {**NOVEMBER, "format": "csv", "table": table})
        assert response.status_code == 200, table
        assert response["Content-Type"].startswith("text/csv"), table
    lines = manager.get(reverse("insights:finance:spend_lines"), {**NOVEMBER, "format": "csv"})
    parsed = list(csv.DictReader(io.StringIO(b"".join(lines.streaming_content).decode())))
    assert sum(Decimal(row["Paid spend"]) for row in parsed) == Decimal("532.50")
    assert Decimal("-50") in [Decimal(row["Paid spend"]) for row in parsed]  # the credit memo
    assert manager.get(url, {**NOVEMBER, "format": "csv", "table": "secrets"}).status_code == 404


def test_a_page_says_when_its_summary_was_never_built(finance_data: FinanceData) -> None:
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, finance_data.north))
    response = manager.get(reverse("insights:finance:accruals"))
    assert b"has not been built yet" in response.content


def test_the_insights_index_lists_the_finance_reports_by_role(north) -> None:
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, north))
    buyer = signed_in(make_user_with_role("buyer", Role.PROCUREMENT_ADMIN, north))
    accruals, spend = reverse("insights:finance:accruals"), reverse("insights:finance:spend")
    listed = manager.get(reverse("insights:index")).content.decode()
    assert accruals in listed
    assert spend in listed
    listed = buyer.get(reverse("insights:index")).content.decode()
    assert accruals not in listed
    assert spend in listed


def test_a_list_over_part_of_a_month_counts_the_lines_themselves(summarised: FinanceData) -> None:
    """10-20 November: INV-1 300.00, INV-6 61.00, INV-8 20.00, INV-9 100.00 (not whole months: no summary)."""
    manager = signed_in(make_user_with_role("north-manager", Role.AP_MANAGER, summarised.north))
    listing = manager.get(reverse("insights:finance:spend_lines"), {"from": "2026-11-10", "to": "2026-11-20"})
    assert (listing.context["count"], listing.context["amount"]) == (4, Decimal("481.00"))
    listing = manager.get(
        reverse("insights:finance:spend_lines"), {"from": "2026-11-10", "to": "2026-11-20", "po": "no"}
    )
    assert (listing.context["count"], listing.context["amount"]) == (1, Decimal("100.00"))
