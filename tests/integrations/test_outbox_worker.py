"""Outbound reliability with a real Celery worker process, Redis, PostgreSQL and the live Tryton: 1,000 approved
invoices posted as real supplier invoices after an outage, and a worker SIGKILLed mid-delivery; every effect is
counted on Tryton's side."""

from __future__ import annotations

import uuid
import warnings
from collections import Counter
from collections.abc import Iterator

import pytest
from celery.exceptions import AlwaysEagerIgnored
from django.db.models import Sum

from integrations.models import DeadLetter, DeliveryStatus, OutboxDelivery
from integrations.tryton.mapping_outbound import invoice_reference
from matching.models import Invoice, InvoiceStatus
from p2p_portal.celery import app
from p2p_portal.services import outbox_event_record
from tests.integrations.outbox_support import (
    WorkerProcess,
    approved_invoices,
    closed_port,
    erp_system,
    erp_vendor,
    system_move,
    tryton_client,
    two_way_order,
    vendor_event,
    wait_for,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue() -> str:
    return f"outbox-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def worker(queue: str) -> Iterator[WorkerProcess]:
    process = WorkerProcess(queue=queue, extra_env={"OUTBOX_RETRY_BASE_SECONDS": "1", "OUTBOX_RETRY_MAX_SECONDS": "5"})
    try:
        yield process
    finally:
        process.stop()  # before the test database is flushed under it


def beat(queue: str) -> None:
    """What celery beat sends every 15 s, sent more often here."""
    with warnings.catch_warnings():  # the test settings' eager mode does not apply to a message sent by name
        warnings.simplefilter("ignore", AlwaysEagerIgnored)
        app.send_task("integrations.outbox_fanout", queue=queue)


def party_codes(tryton, numbers: list[str]) -> Counter[str]:
    with tryton_client(tryton) as erp:
        rows = erp.search_read("party.party", [("code", "in", numbers)], ["code"], context={"active_test": False})
    return Counter(row["code"] for row in rows)


def vendors(count: int, prefix: str) -> list[str]:
    """`count` vendors with a vendor.created event each (as the vendor master writes them); their numbers."""
    numbers = []
    for index in range(count):
        vendor = erp_vendor(f"{prefix} Supplier {index:04d} Inc")
        vendor_event(vendor)
        numbers.append(vendor.number)
    return numbers


INVOICE_VENDORS = 10
INVOICES_EACH = 100


def test_a_thousand_invoice_events_while_the_erp_is_down_are_posted_once_each_when_it_is_back(
    tryton, north, worker: WorkerProcess, queue: str
) -> None:
    system = erp_system(tryton, code="tryton-outage", base_url=f"http://127.0.0.1:{closed_port()}", max_concurrency=2)
    billed = [erp_vendor(f"Outage Medical Supply {index:02d} Inc") for index in range(INVOICE_VENDORS)]
    invoices = [
        invoice
        for index, vendor in enumerate(billed)
        for invoice in approved_invoices(
            vendor, north, two_way_order(north, vendor, f"PO-OUTAGE-{index}"), INVOICES_EACH, prefix=f"OUT{index}"
        )
    ]
    assert len(invoices) == 1000
    poison = outbox_event_record(
        actor="tests", topic="invoice.approved", subject="invoice:987654321", payload={"invoice": 987654321}
    )
    worker.start()

    def failed_attempts() -> int:
        pending = OutboxDelivery.objects.filter(system=system, status=DeliveryStatus.PENDING)
        return pending.aggregate(total=Sum("attempts"))["total"] or 0

    assert wait_for(lambda: failed_attempts() >= 3, timeout=180, every=1, tick=lambda: beat(queue)), worker.tail()
    assert OutboxDelivery.objects.filter(system=system).count() == 1001  # 1,000 invoices and the poison
    assert not OutboxDelivery.objects.filter(system=system, status=DeliveryStatus.DELIVERED).exists()
    assert (
        "connection failed"
        in OutboxDelivery.objects.filter(status=DeliveryStatus.PENDING, attempts__gt=0).first().last_error
    )

    system_move(system, tryton.url)  # the ERP is back
    done = wait_for(
        lambda: not OutboxDelivery.objects.filter(system=system, status=DeliveryStatus.PENDING).exists(),
        timeout=1500,
        every=2,
        tick=lambda: beat(queue),
    )
    worker.stop()
    assert done, worker.tail()

    statuses = Counter(OutboxDelivery.objects.filter(system=system).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.DELIVERED: 1000, DeliveryStatus.DEAD: 1}, [
        (letter.entity, letter.error) for letter in DeadLetter.objects.filter(system=system)
    ]
    (letter,) = DeadLetter.objects.filter(system=system)
    assert letter.delivery.event_id == poison.pk
    assert letter.attempts == 1  # permanent: not retried
    # Exactly one effect each, counted in Tryton: one posted supplier invoice per reference, one party per vendor.
    references = [invoice_reference(invoice.pk) for invoice in invoices]
    with tryton_client(tryton) as erp:
        posted = erp.search_read("account.invoice", [("reference", "in", references)], ["reference", "state"])
    assert Counter(row["reference"] for row in posted) == Counter(references)
    assert {row["state"] for row in posted} == {"posted"}
    numbers = [vendor.number for vendor in billed]
    assert party_codes(tryton, numbers) == Counter(dict.fromkeys(numbers, 1))
    assert set(Invoice.objects.filter(pk__in=[i.pk for i in invoices]).values_list("status", flat=True)) == {
        InvoiceStatus.POSTED
    }


def test_a_worker_killed_mid_delivery_loses_nothing_and_duplicates_nothing(
    tryton, north, worker: WorkerProcess, queue: str
) -> None:
    system = erp_system(tryton, code="tryton-kill", max_concurrency=2)
    numbers = vendors(240, "Killed")
    worker.start()

    def delivered() -> int:
        return OutboxDelivery.objects.filter(system=system, status=DeliveryStatus.DELIVERED).count()

    assert wait_for(lambda: delivered() >= 40, timeout=300, every=0.2, tick=lambda: beat(queue)), worker.tail()
    worker.kill()  # SIGKILL to the worker and its pool children, mid-batch
    at_kill = delivered()
    assert at_kill < 240, "the kill came too late to interrupt anything"

    worker.start()
    done = wait_for(
        lambda: not OutboxDelivery.objects.filter(system=system, status=DeliveryStatus.PENDING).exists(),
        timeout=600,
        every=1,
        tick=lambda: beat(queue),
    )
    worker.stop()
    assert done, worker.tail()
    assert delivered() == 240
    assert not DeadLetter.objects.filter(system=system).exists()
    assert party_codes(tryton, numbers) == Counter(dict.fromkeys(numbers, 1))
