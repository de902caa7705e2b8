"""Workbench pages by role: who sees the overview, a queue and an item, who may claim and act (anonymous, outsider at
another facility, clerk, AP manager, auditor); the overview's health and "Next"; the queue page's constant queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from matching.models import Invoice, PurchaseOrder, WorkItem, WorkItemState, WorkQueue
from matching.services.intake import invoice_ingest
from matching.services.orders import ReceiptLineData, receipt_record
from p2p_portal.models import Facility
from tests.factories import signed_in
from tests.matching.conftest import canonical
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


def ingest(supplier: Vendor, north: Facility, number: str, quantity: str, price: str, **header: Any) -> Invoice:
    """An invoice of `supplier` on PO-100 line 1, matched on arrival."""
    document = canonical(supplier, (1, quantity, price), number=number, **header)
    return invoice_ingest(actor="tests", document=document, channel="api_json", facility=north)


@pytest.fixture
def received(order: PurchaseOrder, north: Facility) -> PurchaseOrder:
    """PO-100 with its first line fully received."""
    receipt_record(
        actor="tests",
        facility=north,
        number="R-1",
        purchase_order=order,
        received_on=date(2026, 11, 5),
        lines=[ReceiptLineData(1, Decimal("100"))],
    )
    return order


@pytest.fixture
def invoices(people: dict[str, User], supplier: Vendor, north: Facility, received: PurchaseOrder) -> list[Invoice]:
    """Three price variances at NORTH, oldest first: $3.00 (within a clerk's authority), $300.00 (above), $10.00."""
    made = [
        ingest(supplier, north, "A1", "10", "10.30"),
        ingest(supplier, north, "B2", "60", "15.00"),
        ingest(supplier, north, "C3", "5", "12.00"),
    ]
    assert all(invoice.status == "exception" for invoice in made)
    return made


def item_of(invoice: Invoice) -> WorkItem:
    """The work item of an invoice, as stored now."""
    return WorkItem.objects.select_related("queue").get(invoice=invoice)


def variances_queue() -> WorkQueue:
    """NORTH's price and quantity variances queue (made with the first item)."""
    return WorkQueue.objects.get(code="north-variances")


def client_for(people: dict[str, User], who: str) -> Client:
    """A signed-in client for a persona, or an anonymous one."""
    return Client() if who == "anonymous" else signed_in(people[who])


# --- permissions ------------------------------------------------------------------------------------------------
def urls(item: WorkItem) -> dict[str, str]:
    """Every page and POST endpoint of the workbench for one item."""
    return {
        "index": "/workbench/",
        "queue": f"/workbench/queues/{item.queue_id}/",
        "item": f"/workbench/items/{item.pk}/",
        "next": "/workbench/next/",
        "renew": f"/workbench/items/{item.pk}/renew/",
        "comment": f"/workbench/items/{item.pk}/comment/",
        "accept": f"/workbench/items/{item.pk}/accept/",
        "reassign": f"/workbench/items/{item.pk}/reassign/",
    }


@pytest.mark.parametrize("page", ["index", "queue", "item"])
def test_anonymous_visitors_are_sent_to_log_in(invoices: list[Invoice], page: str) -> None:
    path = urls(item_of(invoices[0]))[page]
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("endpoint", ["next", "renew", "comment", "accept", "reassign", "queue"])
def test_anonymous_posts_are_sent_to_log_in_and_change_nothing(invoices: list[Invoice], endpoint: str) -> None:
    item = item_of(invoices[0])
    response = Client().post(urls(item)[endpoint], {"comment-note": "hello", "items": [item.pk], "action": "comment"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert item.actions.count() == 0
    assert item_of(invoices[0]).claimed_by is None


def test_an_outsider_does_not_see_another_facilitys_queues_or_items(people, invoices) -> None:
    outsider = client_for(people, "outsider")
    item = item_of(invoices[0])
    overview = outsider.get("/workbench/")
    assert overview.status_code == 200
    assert "NORTH · Price" not in overview.content.decode()
    for page in ("queue", "item"):
        assert outsider.get(urls(item)[page]).status_code == 404
    for endpoint in ("renew", "comment", "accept", "reassign", "queue"):
        response = outsider.post(urls(item)[endpoint], {"comment-note": "x", "items": [item.pk], "action": "comment"})
        assert response.status_code == 404, endpoint
    assert outsider.post("/workbench/next/", {"queue": item.queue_id}).status_code == 404
    # "Next" without a queue finds nothing of NORTH for them.
    response = outsider.post("/workbench/next/")
    assert response.status_code == 302
    assert response["Location"] == "/workbench/"
    assert item_of(invoices[0]).claimed_by is None
    assert item.actions.count() == 0


def test_someone_without_a_workbench_role_is_refused(people, invoices) -> None:
    nobody = client_for(people, "nobody")
    item = item_of(invoices[0])
    assert nobody.get("/workbench/").status_code == 403
    assert nobody.get(urls(item)["item"]).status_code == 404
    assert nobody.post("/workbench/next/").status_code == 403


def test_an_auditor_reads_everything_and_changes_nothing(people, invoices) -> None:
    auditor = client_for(people, "auditor")
    item = item_of(invoices[0])
    overview = auditor.get("/workbench/").content.decode()
    assert "NORTH · Price &amp; quantity variances" in overview
    assert "Next item" not in overview
    queue = auditor.get(urls(item)["queue"]).content.decode()
    assert "A1" in queue
    assert 'type="checkbox"' not in queue
    assert "Next in this queue" not in queue
    page = auditor.get(urls(item)["item"]).content.decode()
    assert "Invoice A1" in page
    assert "Read-only" in page
    assert "<form" not in page.split('id="item-actions"')[1].split("</section>")[0]
    assert item_of(invoices[0]).claimed_by is None  # reading does not claim
    for endpoint in ("next", "renew", "comment", "accept", "reassign", "queue"):
        response = auditor.post(
            urls(item)[endpoint],
            {"comment-note": "x", "accept-reason_code": "rounding", "items": [item.pk], "action": "comment"},
        )
        assert response.status_code == 403, endpoint
    assert item.actions.count() == 0
    assert item_of(invoices[0]).state == WorkItemState.OPEN


def test_the_overview_shows_each_queues_health_and_the_clerks_items(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    page = clerk.get("/workbench/")
    assert page.status_code == 200
    health = {row.queue.code if row.queue else None: row for row in page.context["health"]}
    assert health["north-variances"].open == 3
    assert health["north-variances"].buckets["0-2"] == 3
    text = page.content.decode()
    assert "Next item" in text
    assert "You hold no item" in text
    assert 'href="/workbench/tolerances/"' in text  # tolerances stay reachable
    response = clerk.post("/workbench/next/")
    first = item_of(invoices[0])
    assert response.status_code == 302
    assert response["Location"] == f"/workbench/items/{first.pk}/"
    assert first.claimed_by == people["ap_clerk"]
    mine = clerk.get("/workbench/").content.decode()
    assert "You hold no item" not in mine
    assert f"/workbench/items/{first.pk}/" in mine


def test_next_with_nothing_to_work_goes_back_with_a_message(people, invoices) -> None:
    queue = variances_queue()
    WorkItem.objects.filter(invoice__in=invoices[1:]).update(state=WorkItemState.ON_HOLD)
    manager = client_for(people, "ap_manager")
    taken = manager.post("/workbench/next/", {"queue": queue.pk})
    assert taken["Location"] == f"/workbench/items/{item_of(invoices[0]).pk}/"
    response = client_for(people, "ap_clerk").post("/workbench/next/", {"queue": queue.pk}, follow=True)
    assert response.redirect_chain[-1][0] == f"/workbench/queues/{queue.pk}/"
    assert "Nothing to work in NORTH · Price &amp; quantity variances right now" in response.content.decode()
    assert item_of(invoices[0]).claimed_by == people["ap_manager"]


def test_a_manager_works_every_queue_of_their_facility(people, invoices) -> None:
    manager = client_for(people, "ap_manager")
    item = item_of(invoices[0])
    page = manager.get(urls(item)["item"]).content.decode()
    assert 'data-action="reassign"' in page
    assert 'data-action="accept"' in page
    assert item_of(invoices[0]).claimed_by == people["ap_manager"]
    assert 'type="checkbox"' in manager.get(urls(item)["queue"]).content.decode()


# --- the queue page ------------------------------------------------------------------------------------------------
def test_the_queue_page_lists_items_by_tab_with_breaches_and_holders(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[1])
    WorkItem.objects.filter(pk=item.pk).update(due_at=item.opened_at.replace(year=2000))
    clerk.get(urls(item)["item"])  # opening claims it
    page = clerk.get(urls(item)["queue"]).content.decode()
    assert page.count("data-item-link") == 3
    assert "overdue" in page
    assert "is-breached" in page
    assert "price_variance" in page
    assert "Medline Industries LP" in page
    assert "NORTH" in page
    assert ">you<" in page
    WorkItem.objects.filter(pk=item_of(invoices[2]).pk).update(state=WorkItemState.ON_HOLD)
    on_hold = clerk.get(urls(item)["queue"] + "?view=on_hold").content.decode()
    assert on_hold.count("data-item-link") == 1
    assert "C3" in on_hold


def test_the_queue_page_runs_the_same_number_of_queries_for_5_and_50_items(people, supplier, north, received) -> None:
    clerk = signed_in(people["ap_clerk"])
    for number in range(5):
        ingest(supplier, north, f"Q{number:03d}", str(number + 1), "10.30")
    path = f"/workbench/queues/{variances_queue().pk}/"
    clerk.get(path)  # warm the session and the content types
    with CaptureQueriesContext(connection) as five:
        assert clerk.get(path).context["page"].paginator.count == 5
    for number in range(5, 50):
        ingest(supplier, north, f"Q{number:03d}", str(number + 1), "10.30")
    with CaptureQueriesContext(connection) as fifty:
        response = clerk.get(path)
    assert len(response.context["rows"]) == 50
    assert len(fifty.captured_queries) == len(five.captured_queries), [q["sql"] for q in fifty.captured_queries]


def test_bulk_hold_reports_each_items_result(people, invoices) -> None:
    clerk, manager = client_for(people, "ap_clerk"), client_for(people, "ap_manager")
    taken = item_of(invoices[2])
    manager.get(urls(taken)["item"])  # the manager holds C3
    items = [item_of(invoice).pk for invoice in invoices]
    response = clerk.post(
        urls(taken)["queue"],
        {"action": "hold", "items": items, "reason_code": "awaiting_vendor", "review_on": "2099-01-01"},
    )
    assert response.status_code == 200
    # The review date is too far ahead for every item: each refused on its own, with the service's message.
    results = response.context["results"]
    assert [result["ok"] for result in results] == [False, False, False]
    assert "review date" in results[0]["message"]
    review_on = date.today() + timedelta(days=5)
    response = clerk.post(
        urls(taken)["queue"],
        {"action": "hold", "items": items, "reason_code": "awaiting_vendor", "review_on": review_on.isoformat()},
    )
    results = response.context["results"]
    assert [result["ok"] for result in results] == [True, True, False]
    page = response.content.decode()
    assert "A1</strong>: done" in page
    assert "is working on this item until" in page
    assert item_of(invoices[0]).state == WorkItemState.ON_HOLD
    assert item_of(invoices[2]).state == WorkItemState.OPEN


def test_bulk_without_a_reason_is_refused_next_to_the_field(people, invoices) -> None:
    clerk = client_for(people, "ap_clerk")
    item = item_of(invoices[0])
    response = clerk.post(urls(item)["queue"], {"action": "accept_variance", "items": [item.pk]})
    assert response.status_code == 422
    assert "Choose a reason for" in response.content.decode()
    assert item_of(invoices[0]).state == WorkItemState.OPEN
    htmx = clerk.post(
        urls(item)["queue"], {"action": "accept_variance", "items": [item.pk]}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 200
    assert "Choose a reason for" in htmx.content.decode()
