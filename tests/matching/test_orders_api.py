"""The procurement suite pushes purchase orders and receipts: scoped by client scope and facility, revisions on
re-post, received totals that stay right under concurrency, and precise problems for bad input."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from matching.models import PurchaseOrder, PurchaseOrderLine
from matching.services.orders import ReceiptLineData, receipt_record
from p2p_portal.roles import Role, Scope
from tests.factories import make_api_client, signed_in
from tests.vendors.factories import make_vendor
from vendors.services.imports import source_reference_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    vendor = make_vendor("Owens & Minor Distribution Inc")
    source_reference_record(actor="tests", vendor=vendor, system="GHX", external_id="OM-1", payload={})
    return vendor


@pytest.fixture
def suite(north):
    return make_api_client("procurement-suite", [Scope.ORDERS_WRITE], north)


def _order(supplier: Any, **changes: Any) -> dict[str, Any]:
    body = {
        "number": "PO-4500012",
        "facility": "NORTH",
        "vendor": supplier.number,
        "ordered_on": "2026-11-02",
        "source_system": "GHX",
        "lines": [
            {
                "line_number": 1,
                "item_code": "GL-100",
                "description": "Nitrile gloves, medium",
                "quantity": "100",
                "unit_of_measure": "BX",
                "unit_price": "8.50",
            },
            {
                "line_number": 2,
                "description": "Saline 0.9% 1L",
                "quantity": "40",
                "unit_price": "2.10",
                "category": "42131600",
            },
        ],
    }
    body.update(changes)
    return body


def _post(client_with_token: Any, path: str, body: Any, **headers: Any) -> Any:
    return Client().post(path, body, content_type="application/json", **client_with_token.headers, **headers)


def test_a_po_is_created_then_revised_by_number(suite, vendor) -> None:
    created = _post(suite, "/api/v1/purchase-orders/", _order(vendor))
    assert created.status_code == 201, created.json()
    assert created.json()["revision"] == 1
    assert [line["quantity_ordered"] for line in created.json()["lines"]] == ["100.0000", "40.0000"]

    revised_lines = _order(vendor)["lines"]
    revised_lines[1]["quantity"] = "60"
    revised = _post(suite, "/api/v1/purchase-orders/", _order(vendor, lines=revised_lines))
    assert revised.status_code == 200
    assert revised.json()["revision"] == 2
    line = PurchaseOrderLine.objects.get(line_number=2)
    assert line.quantity_ordered == Decimal("60")
    latest = line.history.latest()
    assert latest.history_api_client_id == suite.client.pk
    assert latest.history_change_reason == "PO PO-4500012 revision 2 from GHX"


def test_a_vendor_is_named_by_number_or_by_a_source_reference_and_must_exist(suite, vendor) -> None:
    by_ref = _order(vendor, vendor_ref={"system": "GHX", "id": "OM-1"})
    del by_ref["vendor"]
    assert _post(suite, "/api/v1/purchase-orders/", by_ref).status_code == 201
    unknown = _post(suite, "/api/v1/purchase-orders/", _order(vendor, vendor="V-999999", number="PO-2"))
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "vendor_unknown"
    assert unknown.json()["errors"][0]["field"] == "vendor"


def test_bad_lines_are_named_field_by_field(suite, vendor) -> None:
    lines = _order(vendor)["lines"]
    lines[0]["quantity"] = "-1"
    lines[1]["category"] = "4213"
    response = _post(suite, "/api/v1/purchase-orders/", _order(vendor, lines=lines))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert sorted(error["field"] for error in response.json()["errors"]) == ["lines.0.quantity", "lines.1.category"]


def test_clients_push_only_with_the_scope_and_only_at_their_facilities(north, south, vendor) -> None:
    elsewhere = make_api_client("south-suite", [Scope.ORDERS_WRITE], south)
    refused = _post(elsewhere, "/api/v1/purchase-orders/", _order(vendor))
    assert refused.status_code == 403
    assert refused.json()["code"] == "facility_not_allowed"
    reader = make_api_client("ocr", [Scope.INVOICES_WRITE], north)
    assert _post(reader, "/api/v1/purchase-orders/", _order(vendor)).status_code == 403
    assert not PurchaseOrder.objects.exists()


def test_people_read_their_facilities_orders_and_never_push(people, suite, vendor) -> None:
    order_id = _post(suite, "/api/v1/purchase-orders/", _order(vendor)).json()["id"]
    clerk = signed_in(people[Role.AP_CLERK])
    assert [po["number"] for po in clerk.get("/api/v1/purchase-orders/").json()["results"]] == ["PO-4500012"]
    assert signed_in(people["outsider"]).get(f"/api/v1/purchase-orders/{order_id}/").status_code == 404
    pushed = clerk.post("/api/v1/purchase-orders/", _order(vendor, number="PO-9"), content_type="application/json")
    assert pushed.status_code == 403
    assert Client().get("/api/v1/purchase-orders/").status_code == 401


def test_receipts_move_the_received_totals_and_returns_cannot_go_below_zero(suite, vendor) -> None:
    _post(suite, "/api/v1/purchase-orders/", _order(vendor))
    receipt = {"number": "GR-1", "facility": "NORTH", "po_number": "PO-4500012", "received_on": "2026-11-05"}
    first = _post(suite, "/api/v1/receipts/", {**receipt, "lines": [{"po_line_number": 1, "quantity": "60"}]})
    assert first.status_code == 201, first.json()
    back = _post(
        suite, "/api/v1/receipts/", {**receipt, "number": "GR-2", "lines": [{"po_line_number": 1, "quantity": "-10"}]}
    )
    assert back.status_code == 201
    assert PurchaseOrderLine.objects.get(line_number=1).quantity_received == Decimal("50")
    too_many = _post(
        suite, "/api/v1/receipts/", {**receipt, "number": "GR-3", "lines": [{"po_line_number": 1, "quantity": "-51"}]}
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["field"] == "lines.0.quantity"
    again = _post(suite, "/api/v1/receipts/", {**receipt, "lines": [{"po_line_number": 2, "quantity": "1"}]})
    assert again.status_code == 409
    assert again.json()["code"] == "receipt_exists"
    no_line = _post(
        suite, "/api/v1/receipts/", {**receipt, "number": "GR-4", "lines": [{"po_line_number": 7, "quantity": "1"}]}
    )
    assert no_line.status_code == 422
    assert no_line.json()["errors"][0]["field"] == "lines.0.po_line_number"


def test_a_revision_cannot_drop_a_line_that_was_received(suite, vendor) -> None:
    _post(suite, "/api/v1/purchase-orders/", _order(vendor))
    _post(
        suite,
        "/api/v1/receipts/",
        {
            "number": "GR-1",
            "facility": "NORTH",
            "po_number": "PO-4500012",
            "received_on": "2026-11-05",
            "lines": [{"po_line_number": 2, "quantity": "5"}],
        },
    )
    dropped = _post(suite, "/api/v1/purchase-orders/", _order(vendor, lines=_order(vendor)["lines"][:1]))
    assert dropped.status_code == 409
    assert dropped.json()["code"] == "po_line_in_use"
    assert PurchaseOrder.objects.get().revision == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_on_one_line_both_count(suite, vendor) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every write transaction, so there is no race to test")
    _post(suite, "/api/v1/purchase-orders/", _order(vendor))
    order = PurchaseOrder.objects.get()
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def receive(number: str) -> None:
        try:
            barrier.wait(timeout=10)
            receipt_record(
                actor="tests",
                facility=order.facility,
                number=number,
                purchase_order=order,
                received_on=order.ordered_on,
                lines=[ReceiptLineData(1, Decimal("3"))],
            )
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=receive, args=(f"GR-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert PurchaseOrderLine.objects.get(line_number=1).quantity_received == Decimal("12")
