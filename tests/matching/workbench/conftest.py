"""Workbench service-test fixtures: clerks and managers at NORTH, a receipt on PO-100, invoices through intake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User

from matching.models import Invoice, PurchaseOrder, Receipt, WorkAction, WorkItem
from matching.services.intake import invoice_ingest
from matching.services.orders import ReceiptLineData, receipt_record
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from tests.factories import make_user_with_role
from tests.matching.conftest import canonical
from vendors.models import Vendor
from vendors.services.records import ContactData, vendor_contacts_replace

Ingest = Callable[..., Invoice]


@pytest.fixture
def ann(north: Facility) -> User:
    """An AP clerk at NORTH."""
    return make_user_with_role("ann", Role.AP_CLERK, north)


@pytest.fixture
def bob(north: Facility) -> User:
    """A second AP clerk at NORTH."""
    return make_user_with_role("bob", Role.AP_CLERK, north)


@pytest.fixture
def maria(north: Facility) -> User:
    """An AP manager at NORTH."""
    return make_user_with_role("maria", Role.AP_MANAGER, north)


@pytest.fixture
def received(north: Facility, order: PurchaseOrder) -> Receipt:
    """All 100 gloves of PO-100 line 1 received (so a line-1 invoice is judged on price and quantity only)."""
    return receipt_record(
        actor="tests",
        facility=north,
        number="GR-1",
        purchase_order=order,
        received_on=date(2026, 11, 5),
        lines=[ReceiptLineData(1, Decimal("100"))],
    )


@pytest.fixture
def contacts(supplier: Vendor) -> list[str]:
    """The supplier's active contacts (who rejections and credit-memo requests are mailed to)."""
    vendor_contacts_replace(
        actor="tests",
        vendor=supplier,
        contacts=[ContactData("Billing", "billing@medline.example"), ContactData("Rep", "rep@medline.example")],
        reason="test data",
    )
    return ["billing@medline.example", "rep@medline.example"]


@pytest.fixture
def ingest(north: Facility, supplier: Vendor, order: PurchaseOrder) -> Ingest:
    """Bring an invoice on PO-100 in through intake: `ingest("V-111", (1, "10", "10.30"), keyed_by=...)`."""

    def bring(number: str, *lines: tuple[Any, str, str], keyed_by: User | None = None, **header: Any) -> Invoice:
        document = canonical(supplier, *lines, number=number, **header)
        channel = "manual" if keyed_by is not None else "api_json"
        return invoice_ingest(actor="tests", document=document, channel=channel, facility=north, keyed_by=keyed_by)

    return bring


def item_of(invoice: Invoice) -> WorkItem:
    """The work item matching opened for an invoice (fresh from the database)."""
    return WorkItem.objects.select_related("queue").get(invoice=invoice)


def open_codes(invoice: Invoice) -> set[str]:
    """The codes of the invoice's open exceptions."""
    return set(invoice.exceptions.filter(state="open").values_list("code", flat=True))


def actions(item: WorkItem, kind: str) -> list[WorkAction]:
    """The item's log entries of one kind, oldest first."""
    return list(WorkAction.objects.filter(item=item, kind=kind).order_by("occurred_at", "id"))
