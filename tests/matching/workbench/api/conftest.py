"""Fixtures of the workbench API tests: invoices in exception at NORTH, one at SOUTH, a second clerk, clients."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from matching.models import PurchaseOrder, WorkItem
from matching.services.orders import OrderLineData, ReceiptLineData, purchase_order_upsert, receipt_record
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from tests.factories import make_user_with_role, signed_in
from tests.matching.workbench.api.support import ingest, item_of
from vendors.models import Vendor


@pytest.fixture
def po_received(order: PurchaseOrder, north: Facility) -> PurchaseOrder:
    """PO-100 with its 100 gloves received."""
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
def small(po_received: PurchaseOrder, supplier: Vendor, north: Facility) -> WorkItem:
    """A price variance of $3.00 (within a clerk's $250 authority)."""
    return item_of(ingest(supplier, north, (1, "10", "10.30"), number="A-1"))


@pytest.fixture
def big(po_received: PurchaseOrder, supplier: Vendor, north: Facility) -> WorkItem:
    """A price variance of $300.00 (above a clerk's authority: an AP manager approves it)."""
    return item_of(ingest(supplier, north, (1, "60", "15.00"), number="A-2"))


@pytest.fixture
def third(po_received: PurchaseOrder, supplier: Vendor, north: Facility) -> WorkItem:
    """Another price variance ($2.50)."""
    return item_of(ingest(supplier, north, (1, "5", "10.50"), number="A-3"))


@pytest.fixture
def southern(south: Facility, supplier: Vendor) -> WorkItem:
    """An item at SOUTH (a PO there with nothing received: no_receipt)."""
    purchase_order_upsert(
        actor="tests",
        facility=south,
        number="PO-100",
        vendor=supplier,
        ordered_on=date(2026, 11, 1),
        lines=[OrderLineData(1, "Gauze", Decimal("10"), Decimal("3.00"))],
    )
    return item_of(ingest(supplier, south, (1, "2", "3.00"), number="S-1"))


@pytest.fixture
def bob(north: Facility) -> User:
    """A second AP clerk at NORTH."""
    return make_user_with_role("bob", Role.AP_CLERK, north)


@pytest.fixture
def clients(people: dict[str, User]) -> dict[str, Client]:
    """A signed-in test client per persona of `people`, and `anonymous`."""
    signed = {name: signed_in(user) for name, user in people.items()}
    signed["anonymous"] = Client()
    return signed
