"""Rows the console, API and metrics tests read: two systems, runs, deliveries and dead letters, made directly
(the sync and outbox services have their own tests; here only what people see of their rows matters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from integrations.models import (
    ConnectorName,
    DeadLetter,
    DeadLetterStatus,
    DeliveryStatus,
    Direction,
    ExternalSystem,
    OutboxDelivery,
    SyncRun,
    SyncRunStatus,
    SystemKind,
)
from p2p_portal.models import OutboxEvent
from p2p_portal.roles import Role, Scope
from tests.factories import make_api_client

POISON = {"id": 7, "name": "<script>alert('x')</script>", "number": "PO-7", "lines": [{"qty": "NaN"}]}


@dataclass
class Console:
    """What the tests look at."""

    erp: ExternalSystem
    sandbox: ExternalSystem
    now: datetime
    last_success: dict[tuple[str, str], datetime]
    failed_run: SyncRun
    poison: DeadLetter
    outbound_letter: DeadLetter
    dead_delivery: OutboxDelivery


def make_system(code: str, *, kind: str, connector: str, base_url: str = "http://127.0.0.1:9/") -> ExternalSystem:
    """A system row (enabled, default limits)."""
    return ExternalSystem.objects.create(
        code=code, name=f"{code.title()} system", kind=kind, connector=connector, base_url=base_url
    )


def make_run(system: ExternalSystem, entity: str, status: str, started: datetime, **counts: int | str) -> SyncRun:
    """A finished run a minute long."""
    return SyncRun.objects.create(
        system=system,
        entity=entity,
        status=status,
        started_at=started,
        finished_at=started + timedelta(minutes=1),
        triggered_by="beat",
        **counts,
    )


def make_delivery(
    system: ExternalSystem, status: str, topic: str = "invoice.approved", **fields: object
) -> OutboxDelivery:
    """An outbox event and its delivery to the system."""
    event = OutboxEvent.objects.create(topic=topic, subject=f"invoice:{OutboxEvent.objects.count() + 1}", payload={})
    return OutboxDelivery.objects.create(
        event=event, system=system, status=status, next_attempt_at=timezone.now(), **fields
    )


def build_console() -> Console:
    """Tryton ERP and the sandbox with runs two hours and ten minutes old, deliveries in every state, dead letters."""
    now = timezone.now()
    erp = make_system("tryton", kind=SystemKind.ERP, connector=ConnectorName.TRYTON)
    sandbox = make_system("coupa", kind=SystemKind.PROCUREMENT, connector=ConnectorName.SANDBOX)
    make_run(erp, "supplier", SyncRunStatus.SUCCEEDED, now - timedelta(hours=2), fetched=4, created=4)
    make_run(erp, "supplier", SyncRunStatus.PARTIAL, now - timedelta(minutes=10), fetched=3, updated=2, failed=1)
    failed = make_run(
        erp,
        "purchase_order",
        SyncRunStatus.FAILED,
        now - timedelta(minutes=5),
        error="TransientError: 503 <b>down</b>",
        cursor_before="2026-11-01T00:00:00|12",
    )
    make_run(sandbox, "purchase_order", SyncRunStatus.SUCCEEDED, now - timedelta(minutes=30), fetched=50, created=50)
    make_run(sandbox, "receipt", SyncRunStatus.FAILED, now - timedelta(days=3), error="old failure")
    last_success = {
        ("tryton", "supplier"): now - timedelta(minutes=9),
        ("coupa", "purchase_order"): now - timedelta(minutes=29),
    }
    for _ in range(3):
        make_delivery(erp, DeliveryStatus.PENDING, attempts=1, last_error="ConnectionError")
    make_delivery(erp, DeliveryStatus.DELIVERED, delivered_at=now, external_reference="INV-1")
    dead = make_delivery(erp, DeliveryStatus.DEAD, attempts=8, last_error="PermanentError: 422 unknown party")
    make_delivery(sandbox, DeliveryStatus.PENDING, topic="vendor.created")
    poison = DeadLetter.objects.create(
        system=erp,
        direction=Direction.INBOUND,
        entity="purchase_order",
        external_id="PO-7",
        payload=POISON,
        error="MalformedRecordError: quantity is not a number",
        sync_run=failed,
        created_at=now - timedelta(minutes=5),
    )
    outbound = DeadLetter.objects.create(
        system=erp,
        direction=Direction.OUTBOUND,
        entity="invoice.approved",
        external_id=dead.event.subject,
        payload={"invoice": 1},
        error=dead.last_error,
        attempts=8,
        delivery=dead,
        created_at=now - timedelta(minutes=1),
    )
    DeadLetter.objects.create(
        system=sandbox,
        direction=Direction.INBOUND,
        entity="supplier",
        external_id="S-1",
        payload={},
        error="gone",
        status=DeadLetterStatus.DISCARDED,
        resolution="test data",
        created_at=now - timedelta(days=1),
        resolved_at=now,
    )
    return Console(erp, sandbox, now, last_success, failed, poison, outbound, dead)


@pytest.fixture
def console(db: None) -> Console:
    """The console's rows."""
    return build_console()


@pytest.fixture
def scoped_client(north):
    """An API client holding `integrations:admin`."""
    return make_api_client("ops-robot", [Scope.INTEGRATIONS_ADMIN], north)


@pytest.fixture
def unscoped_client(north):
    """An API client with other scopes only."""
    return make_api_client("invoice-robot", [Scope.INVOICES_READ, Scope.AUDIT_READ], north)


READ_ONLY = Role.AUDITOR
OPERATOR = Role.INTEGRATION_ADMIN
