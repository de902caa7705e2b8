"""The outbox dispatcher in-process against real PostgreSQL (row locks, advisory-lock slots) and the live Tryton."""

from __future__ import annotations

import random
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from integrations.models import DeadLetter, DeliveryStatus, Direction, OutboxDelivery
from integrations.services.outbox import (
    ADVISORY_NAMESPACE,
    MAX_SLOTS,
    outbox_deliver_due,
    outbox_delivery_retry,
    outbox_fanout,
    retry_delay,
)
from matching.models import InvoiceStatus
from p2p_portal.models import OutboxEvent
from p2p_portal.services import outbox_event_record
from tests.integrations.outbox_support import (
    approved_invoice,
    closed_port,
    erp_system,
    erp_vendor,
    tryton_client,
    two_way_order,
    vendor_event,
)

NOWHERE = SimpleNamespace(url="http://127.0.0.1:1", database="p2p", login="admin", password="x")


def make_due(delivery: OutboxDelivery) -> None:
    """Let the backoff run out now instead of waiting for it."""
    OutboxDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


@pytest.mark.django_db
def test_fanout_owes_each_event_to_the_enabled_systems_that_take_its_topic() -> None:
    erp = erp_system(NOWHERE, code="erp")
    erp_system(NOWHERE, code="erp-off", enabled=False)
    erp_system(NOWHERE, code="suite", kind="procurement", connector="sandbox")
    vendor = erp_vendor("Fanout Supplies Inc")
    approved = vendor_event(vendor)
    bank = outbox_event_record(
        actor="tests", topic="vendor.bank_changed", subject="vendor:1", payload={"vendor": "V-1"}
    )
    fanout = outbox_fanout()
    assert (fanout.events, fanout.deliveries) == (2, 1)
    (delivery,) = OutboxDelivery.objects.all()
    assert (delivery.event_id, delivery.system_id, delivery.status) == (approved.pk, erp.pk, DeliveryStatus.PENDING)
    assert OutboxEvent.objects.get(pk=bank.pk).dispatched_at is not None
    assert outbox_fanout().events == 0  # dispatched events are not owed twice


def test_backoff_is_full_jitter_under_an_exponential_ceiling_and_honours_retry_after(settings) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 300
    rng = random.Random(7)  # noqa: S311 - a seeded jitter source, not a secret
    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (6, 300), (20, 300)):
        delays = [retry_delay(attempts, rng=rng) for _ in range(200)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling / 2  # spread over the range, not a fixed step
    assert all(retry_delay(1, retry_after=120, rng=rng) >= 120 for _ in range(50))


@pytest.mark.django_db(transaction=True)
def test_a_system_that_stays_down_dead_letters_the_delivery_within_its_budget(settings) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    port = closed_port()
    system = erp_system(NOWHERE, code="down", base_url=f"http://127.0.0.1:{port}")
    event = vendor_event(erp_vendor("Never Reached Inc"))
    outbox_fanout()
    delivery = OutboxDelivery.objects.get()
    for attempt in (1, 2):
        run = outbox_deliver_due(system=system)
        assert (run.delivered, run.retried, run.dead) == (0, 1, 0)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, attempt)
        assert delivery.next_attempt_at > timezone.now() - timezone.timedelta(seconds=1)
        assert "connection failed" in delivery.last_error
        make_due(delivery)
    assert outbox_deliver_due(system=system).dead == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 3)
    letter = DeadLetter.objects.get()
    assert (letter.direction, letter.entity, letter.delivery_id, letter.attempts) == (
        Direction.OUTBOUND,
        "vendor.changed" if event.topic == "vendor.changed" else "vendor.created",
        delivery.pk,
        3,
    )
    assert letter.payload == event.payload
    assert "connection failed" in letter.error
    # Replay after the fix: pending again with a fresh budget; replaying again changes nothing.
    assert outbox_delivery_retry(actor="tests", delivery=delivery, reason="endpoint fixed")
    assert not outbox_delivery_retry(actor="tests", delivery=delivery, reason="endpoint fixed")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)


@pytest.mark.django_db(transaction=True)
def test_a_poison_event_is_dead_lettered_at_once_and_the_others_go_on(tryton) -> None:
    system = erp_system(tryton)
    poison = outbox_event_record(
        actor="tests", topic="invoice.approved", subject="invoice:987654321", payload={"invoice": 987654321}
    )
    vendor = erp_vendor("After The Poison Inc")
    vendor_event(vendor)
    outbox_fanout()
    run = outbox_deliver_due(system=system)
    assert (run.delivered, run.dead, run.retried) == (1, 1, 0)
    dead = OutboxDelivery.objects.get(event=poison)
    assert (dead.status, dead.attempts) == (DeliveryStatus.DEAD, 1)
    assert "No invoice 987654321" in DeadLetter.objects.get(delivery=dead).error
    with tryton_client(tryton) as erp:
        assert len(erp.search("party.party", [("code", "=", vendor.number)])) == 1


@pytest.mark.django_db(transaction=True)
def test_a_delivered_invoice_is_posted_here_with_the_erp_reference(tryton, north) -> None:
    system = erp_system(tryton)
    vendor = erp_vendor("Posted Here Medical Inc")
    invoice = approved_invoice(vendor, north, two_way_order(north, vendor, "PO-DISPATCH-1"), "INV-DISPATCH-1")
    outbox_fanout()
    assert outbox_deliver_due(system=system).delivered == 1
    delivery = OutboxDelivery.objects.get(event__topic="invoice.approved")
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.external_reference.startswith("account.invoice,")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.POSTED
    assert delivery.external_reference in invoice.history.latest().history_change_reason


@pytest.mark.django_db(transaction=True)
def test_no_more_dispatchers_than_the_systems_concurrency_run_at_once(tryton) -> None:
    system = erp_system(tryton, max_concurrency=1)
    vendor_event(erp_vendor("Slot Holder Supplies Inc"))
    outbox_fanout()
    settings = connection.settings_dict
    # Another worker's dispatcher, on its own connection, holds the system's only slot.
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, system.pk * MAX_SLOTS])
        run = outbox_deliver_due(system=system)
        assert run.busy
        assert OutboxDelivery.objects.get().attempts == 0
    # Its connection is gone (a killed worker's would be too): the slot is free again.
    run = outbox_deliver_due(system=system)
    assert (run.busy, run.delivered) == (False, 1)
