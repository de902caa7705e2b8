"""What a clerk reads through the workbench API: queue health, the item list and its filters, the item page, and
claiming the next item (200 with it, 204 when there is nothing to work)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from matching.models import WorkItem
from tests.factories import signed_in
from tests.matching.workbench.api.support import API, assert_problem, ingest, item_of, item_url, post

pytestmark = pytest.mark.django_db


def test_queues_show_their_health_to_a_clerk(clients, small, big) -> None:
    WorkItem.objects.filter(pk=big.pk).update(opened_at=timezone.now() - timedelta(days=4), due_at=timezone.now())
    response = clients["ap_clerk"].get(f"{API}queues/")
    assert response.status_code == 200, response.content
    queues = {queue["name"]: queue for queue in response.json()}
    variances = queues["NORTH · Price & quantity variances"]
    assert variances["id"] == small.queue_id
    assert (variances["open"], variances["claimed"], variances["waiting"], variances["on_hold"]) == (2, 0, 0, 0)
    assert (variances["breaches"], variances["oldest_age_days"]) == (1, 4)
    assert variances["buckets"] == {"0-2": 1, "3-5": 1, "6-10": 0, ">10": 0}
    assert (variances["facilities"], variances["group"], variances["priority"]) == (["NORTH"], "ap_clerk", "normal")
    assert "price_variance" in variances["exception_codes"]
    assert queues["NORTH · Duplicates"]["open"] == 0
    one = clients["ap_clerk"].get(f"{API}queues/{small.queue_id}/").json()
    assert (one["name"], one["open"], one["breaches"]) == ("NORTH · Price & quantity variances", 2, 1)


def test_a_missing_queue_is_a_problem_not_an_empty_page(clients, small) -> None:
    assert_problem(clients["ap_clerk"].get(f"{API}queues/999999/"), 404, "not_found")


def test_the_item_list_filters_by_view_queue_and_mine(clients, people, small, big, third) -> None:
    clerk = clients["ap_clerk"]
    listed = clerk.get(f"{API}items/").json()
    assert [row["id"] for row in listed["results"]] == [small.pk, big.pk, third.pk]  # oldest first
    row = listed["results"][0]
    assert (row["state"], row["facility"], row["queue"], row["claimed_by"]) == ("open", "NORTH", small.queue_id, None)
    assert (row["invoice"]["invoice_number"], row["invoice"]["status"]) == ("A-1", "exception")
    assert row["open_exception_codes"] == ["price_variance"]
    assert post(clerk, item_url(big, "claim")).status_code == 200
    assert (
        post(clerk, item_url(third, "hold"), {"reason_code": "investigation", "review_on": _in(5)}).status_code == 200
    )
    mine = clerk.get(f"{API}items/?mine=true").json()["results"]
    assert [row["id"] for row in mine] == [big.pk]
    assert mine[0]["claimed_by"] == "ap_clerk_user"
    assert [row["id"] for row in clerk.get(f"{API}items/?view=on_hold").json()["results"]] == [third.pk]
    assert [row["id"] for row in clerk.get(f"{API}items/?view=all").json()["results"]] == [small.pk, big.pk, third.pk]
    assert clerk.get(f"{API}items/?view=waiting").json()["results"] == []
    assert len(clerk.get(f"{API}items/?queue={small.queue_id}").json()["results"]) == 2
    paged = clerk.get(f"{API}items/?view=all&page_size=2").json()
    assert len(paged["results"]) == 2
    assert [row["id"] for row in clerk.get(paged["next"]).json()["results"]] == [third.pk]


def test_bad_list_filters_are_answered_field_by_field(clients, small) -> None:
    problem = assert_problem(
        clients["ap_clerk"].get(f"{API}items/?view=everything&queue=abc"), 400, "validation_failed"
    )
    assert {error["field"] for error in problem["errors"]} == {"view", "queue"}
    assert {error["pointer"] for error in problem["errors"]} == {"/view", "/queue"}
    problem = assert_problem(clients["outsider"].get(f"{API}items/?queue={small.queue_id}"), 400, "validation_failed")
    assert problem["errors"][0]["field"] == "queue"


def test_the_item_list_reads_a_constant_number_of_queries(clients, small, big, po_received, supplier, north) -> None:
    clerk = clients["ap_clerk"]
    with CaptureQueriesContext(connection) as two:
        assert len(clerk.get(f"{API}items/").json()["results"]) == 2
    for number in range(3, 8):
        ingest(supplier, north, (1, "1", "10.30"), number=f"A-{number}")
    with CaptureQueriesContext(connection) as seven:
        assert len(clerk.get(f"{API}items/").json()["results"]) == 7
    assert len(seven) == len(two)


def test_the_item_page_has_what_a_clerk_needs_to_decide(clients, small, supplier) -> None:
    response = clients["ap_clerk"].get(item_url(small))
    assert response.status_code == 200, response.content
    page = response.json()
    assert (page["item"]["id"], page["item"]["state"]) == (small.pk, "open")
    assert (page["invoice"]["invoice_number"], page["invoice"]["vendor"]) == ("A-1", supplier.number)
    assert page["invoice"]["vendor_status"] == "active"
    [line] = page["lines"]
    assert (line["quantity"], line["unit_price"], line["amount"]) == ("10.0000", "10.3000", "103.00")
    assert (line["po_line"]["line_number"], line["po_line"]["unit_price"]) == (1, "10.0000")
    assert (line["match"]["price_variance"], line["match"]["extended_price_variance"]) == ("0.3000", "3.00")
    assert (line["match"]["rule"]["name"], line["match"]["rule"]["version"]) == ("Network default (DESIGN.md)", 1)
    [exception] = page["open_exceptions"]
    assert (exception["code"], exception["line"], exception["state"]) == ("price_variance", 1, "open")
    assert exception["rule"] == line["match"]["rule"]
    assert line["exceptions"] == [exception]
    assert [po_line["line_number"] for po_line in page["po_lines"]] == [1, 2]
    assert page["receipts"][0]["number"] == "R-1"
    assert page["receipts"][0]["lines"] == [{"po_line_number": 1, "quantity": "100.0000"}]
    assert (page["vendor_flags"], page["duplicate"], page["variance_total"]) == ([], None, "3.00")
    assert any(entry["what"].startswith("Invoice exception") for entry in page["timeline"])
    assert (page["may_work"], page["holds_lease"]) == (True, False)


def test_the_item_page_shows_the_duplicate_it_resembles(clients, po_received, supplier, north) -> None:
    first = ingest(supplier, north, (1, "1", "10.00"), number="D-1")
    again = item_of(ingest(supplier, north, (1, "1", "10.00"), number="D-1"))
    page = clients["ap_clerk"].get(item_url(again)).json()
    assert page["duplicate"]["id"] == first.pk
    assert (page["duplicate"]["invoice_number"], len(page["duplicate"]["lines"])) == ("D-1", 1)
    assert page["open_exceptions"][0]["duplicate_of"] == first.pk


def test_next_claims_the_oldest_item_then_says_there_is_nothing_to_work(people, small, big, bob) -> None:
    clerk = signed_in(people["ap_clerk"])
    first = post(clerk, f"{API}next/")
    assert first.status_code == 200, first.content
    assert (first.json()["id"], first.json()["claimed_by"]) == (small.pk, "ap_clerk_user")
    assert first.json()["lease_expires_at"]
    second = post(clerk, f"{API}queues/{big.queue_id}/next/")
    assert second.json()["id"] == big.pk
    assert WorkItem.objects.get(pk=small.pk).claimed_by_id is None  # given back when the next one was taken
    assert post(clerk, item_url(small, "claim")).status_code == 200  # one item at a time: big is given back
    assert set(WorkItem.objects.filter(claimed_by=people["ap_clerk"]).values_list("pk", flat=True)) == {small.pk}
    other = signed_in(bob)
    assert post(other, f"{API}next/").json()["id"] == big.pk
    nothing = post(other, f"{API}next/")
    assert (nothing.status_code, nothing.content) == (204, b"")


def _in(days: int) -> str:
    return str(timezone.localdate() + timedelta(days=days))


def test_the_item_page_reads_a_constant_number_of_queries(clients, po_received, supplier, north) -> None:
    clerk = clients["ap_clerk"]
    one = item_of(ingest(supplier, north, (1, "1", "10.30"), number="Q-1"))
    three = item_of(ingest(supplier, north, (1, "1", "10.30"), (1, "1", "10.40"), (2, "1", "2.10"), number="Q-3"))
    with CaptureQueriesContext(connection) as single:
        assert len(clerk.get(item_url(one)).json()["lines"]) == 1
    with CaptureQueriesContext(connection) as several:
        assert len(clerk.get(item_url(three)).json()["lines"]) == 3
    assert len(several) == len(single)


def test_the_schema_documents_every_workbench_endpoint_for_signed_in_people(clients) -> None:
    schema = clients["ap_clerk"].get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = {path for path in schema["paths"] if path.startswith(API)}
    actions = ["accept-variance", "claim", "comment", "confirm-duplicate", "dismiss-duplicate", "hold", "reassign"]
    actions += ["reject", "release", "release-hold", "renew", "request-credit-memo", "route-for-receipt"]
    assert paths == {
        f"{API}queues/",
        f"{API}queues/{{id}}/",
        f"{API}queues/{{id}}/next/",
        f"{API}next/",
        f"{API}items/",
        f"{API}items/{{id}}/",
        f"{API}items/bulk/",
        *(f"{API}items/{{id}}/{name}/" for name in actions),
    }
    for path in paths:
        for operation in schema["paths"][path].values():
            assert operation["security"] == [{"session": []}], path
    next_answers = schema["paths"][f"{API}next/"]["post"]["responses"]
    assert set(next_answers) == {"200", "204"}
    assert "Nothing to work" in next_answers["204"]["description"]
