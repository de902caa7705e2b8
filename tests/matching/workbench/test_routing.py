"""Routing: work items follow matching into the right queue, move when their codes change, close when the invoice
moves on and reopen when it comes back; default queues per facility, unless the network has its own."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from matching.models import InvoiceStatus, PurchaseOrder, WorkItemState, WorkQueue
from matching.services.intake import invoice_ingest
from matching.services.orders import ReceiptLineData, receipt_record
from matching.services.rematch import invoices_rematch
from matching.services.work_items import work_queue_defaults_ensure
from p2p_portal.audit.context import acting_as
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from tests.matching.conftest import canonical
from tests.matching.workbench.conftest import Ingest, item_of, open_codes
from tests.vendors.factories import make_vendor
from vendors.models import Vendor

Capture = Callable[..., AbstractContextManager[Any]]


def _receive(order: PurchaseOrder, quantity: str, number: str = "GR-9") -> None:
    receipt_record(
        actor="dock",
        facility=order.facility,
        number=number,
        purchase_order=order,
        received_on=date(2026, 11, 12),
        lines=[ReceiptLineData(1, Decimal(quantity))],
    )


def test_a_price_variance_lands_in_the_variances_queue_due_by_its_priority(ingest: Ingest, received: object) -> None:
    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    assert open_codes(invoice) == {"price_variance"}
    assert item.queue is not None
    assert item.queue.name == "NORTH · Price & quantity variances"
    assert item.state == WorkItemState.OPEN
    assert item.due_at - item.opened_at == timedelta(hours=72), "normal priority"


def test_a_duplicate_goes_to_the_duplicates_queue_before_its_variance(ingest: Ingest, received: object) -> None:
    ingest("V-111", (1, "10", "10.30"))
    repeat = ingest("V-111", (1, "10", "10.30"))
    assert open_codes(repeat) == {"duplicate_suspect", "price_variance"}
    item = item_of(repeat)
    assert item.queue is not None
    assert item.queue.name == "NORTH · Duplicates"
    assert item.due_at - item.opened_at == timedelta(hours=24), "urgent priority"


def test_an_item_moves_when_its_codes_change_and_closes_when_the_invoice_is_approved(
    ingest: Ingest, order: PurchaseOrder, django_capture_on_commit_callbacks: Capture
) -> None:
    invoice = ingest("V-111", (1, "10", "10.00"))
    item = item_of(invoice)
    assert item.queue is not None
    assert item.queue.name == "NORTH · Waiting for receipt"
    assert item.due_at - item.opened_at == timedelta(hours=120), "low priority"
    with django_capture_on_commit_callbacks(execute=True):
        _receive(order, "4")  # only part arrived: now more is billed than received
    item = item_of(invoice)
    assert open_codes(invoice) == {"qty_over_received"}
    assert item.queue is not None
    assert item.queue.name == "NORTH · Price & quantity variances"
    assert item.state == WorkItemState.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        _receive(order, "6", number="GR-10")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    item = item_of(invoice)
    assert item.state == WorkItemState.CLOSED
    assert item.closed_at is not None


def test_a_closed_item_reopens_when_its_invoice_falls_back_into_exception(north: Facility) -> None:
    vendor = make_vendor("Hold Me Supply Inc", status="on_hold")
    document = canonical(vendor, (None, "1", "5.00"), number="NP-1", po_number="")
    invoice = invoice_ingest(actor="tests", document=document, channel="api_json", facility=north)
    first_opened = item_of(invoice).opened_at
    Vendor.objects.filter(pk=vendor.pk).update(status="active")
    invoices_rematch(actor="tests", invoice_ids=[invoice.pk])
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING_APPROVAL, "no PO: people approve it next"
    assert item_of(invoice).state == WorkItemState.CLOSED
    Vendor.objects.filter(pk=vendor.pk).update(status="on_hold")
    invoices_rematch(actor="tests", invoice_ids=[invoice.pk])
    item = item_of(invoice)
    assert item.state == WorkItemState.OPEN
    assert item.closed_at is None
    assert item.queue is not None
    assert item.queue.name == "NORTH · Vendor issues"
    assert item.opened_at > first_opened, "its age counts from the reopening"


def test_default_queues_are_made_once_per_facility(
    ingest: Ingest, received: object, supplier: Vendor, south: Facility
) -> None:
    ingest("V-111", (1, "10", "10.30"))
    ingest("V-222", (1, "20", "10.00"))
    north_queues = set(WorkQueue.objects.filter(facilities__code="NORTH").values_list("name", flat=True))
    assert north_queues == {
        "NORTH · Duplicates",
        "NORTH · Vendor issues",
        "NORTH · Missing or closed PO",
        "NORTH · Price & quantity variances",
        "NORTH · Waiting for receipt",
    }
    assert work_queue_defaults_ensure(facility=Facility.objects.get(code="NORTH")) == []
    elsewhere = invoice_ingest(
        actor="tests",
        document=canonical(supplier, (1, "1", "10.00"), number="S-1", facility="SOUTH"),
        channel="api_json",
        facility=south,
    )
    item = item_of(elsewhere)
    assert item.queue is not None
    assert item.queue.name == "SOUTH · Missing or closed PO"
    assert WorkQueue.objects.count() == 10


def test_a_network_wide_queue_takes_the_place_of_the_defaults(ingest: Ingest, received: object) -> None:
    with acting_as("tests", reason="network queue"):
        network = WorkQueue.objects.create(
            code="all-variances",
            name="Variances, every hospital",
            exception_codes=["price_variance"],
            priority="high",
            group=Group.objects.get(name=Role.AP_CLERK),
        )
    invoice = ingest("V-111", (1, "10", "10.30"))
    item = item_of(invoice)
    assert item.queue == network
    assert item.due_at - item.opened_at == timedelta(hours=48)
    assert list(WorkQueue.objects.all()) == [network], "no defaults when a network queue serves the facility"
    stray = ingest("V-222", (1, "10", "10.00"), po_number="PO-404")
    assert open_codes(stray) == {"po_not_found"}
    assert item_of(stray).queue is None, "no queue takes it: it waits where managers see it"
    assert item_of(stray).due_at <= timezone.now() + timedelta(hours=72)
