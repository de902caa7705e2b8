"""The invoices API by role and format: what clients and clerks can submit and read, every body kept raw, bad
documents answered field by field, bulk items judged one by one."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from matching.models import InboundDocument, InboundOutcome, Invoice, InvoiceStatus
from matching.services.orders import ReceiptLineData, receipt_record
from p2p_portal.models import Facility
from p2p_portal.roles import Role, Scope
from tests.factories import make_api_client, signed_in

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


@pytest.fixture
def ocr(north):
    return make_api_client("ocr-service", [Scope.INVOICES_WRITE, Scope.INVOICES_READ], north)


def _invoice(supplier: Any, number: str = "INV-9001", **changes: Any) -> dict[str, Any]:
    body = {
        "vendor": supplier.number,
        "invoice_number": number,
        "invoice_date": "2026-11-10",
        "currency": "USD",
        "facility": "NORTH",
        "po_number": "PO-100",
        "tax_amount": "0",
        "freight_amount": "0",
        "total_amount": "100.00",
        "lines": [
            {
                "line_number": 1,
                "po_line_number": 1,
                "item_code": "GL-100",
                "description": "Nitrile gloves",
                "quantity": "10",
                "unit_of_measure": "EA",
                "unit_price": "10.00",
                "amount": "100.00",
            },
        ],
    }
    body.update(changes)
    return body


def _post(who: Any, path: str, body: Any, content_type: str = "application/json", **headers: Any) -> Any:
    data = json.dumps(body) if not isinstance(body, (bytes, str)) else body
    return Client().post(path, data, content_type=content_type, **who.headers, **headers)


def test_a_json_invoice_is_matched_and_answered_with_its_status_and_exceptions(ocr, supplier, order) -> None:
    receipt_record(
        actor="dock",
        facility=order.facility,
        number="GR-1",
        purchase_order=order,
        received_on=order.ordered_on,
        lines=[ReceiptLineData(1, Decimal("10"))],
    )
    response = _post(ocr, "/api/v1/invoices/", _invoice(supplier))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["exceptions"], body["vendor"]) == ("approved", [], supplier.number)
    inbound = InboundDocument.objects.get()
    assert inbound.outcome == InboundOutcome.ACCEPTED
    assert bytes(inbound.raw) == json.dumps(_invoice(supplier)).encode()
    assert inbound.api_client == ocr.client


def test_an_unknown_vendor_is_accepted_and_flagged(ocr, supplier, order) -> None:
    response = _post(ocr, "/api/v1/invoices/", _invoice(supplier, vendor="V-777777"))
    assert response.status_code == 201
    codes = {exception["code"] for exception in response.json()["exceptions"]}
    assert "vendor_unknown" in codes
    assert response.json()["vendor"] is None


def test_bad_json_fields_are_named_and_the_body_is_still_kept(ocr, supplier, order) -> None:
    response = _post(ocr, "/api/v1/invoices/", _invoice(supplier, invoice_date="10/11/2026", currency="usd"))
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"invoice_date", "currency"}
    inbound = InboundDocument.objects.get()
    assert inbound.outcome == InboundOutcome.REJECTED
    assert "invoice_date" in json.dumps(inbound.errors)
    assert not Invoice.objects.exists()


def test_a_ubl_invoice_is_read_by_content_type(ocr, north) -> None:
    from tests.vendors.factories import make_vendor

    # The sample names the facility by NORTH's GLN and the supplier by a tax id the master knows.
    known = make_vendor("Lakeshore Surgical Supply Inc", tax_id="123456789", tax_id_kind="ein")
    raw = (DATA / "ubl_invoice.xml").read_bytes()
    response = _post(ocr, "/api/v1/invoices/", raw, content_type="application/xml")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["facility"], body["vendor"], body["channel"], body["total_amount"]) == (
        "NORTH",
        known.number,
        "ubl",
        "835.67",
    )
    assert [exception["code"] for exception in body["exceptions"]] == ["po_not_found"]
    inbound = InboundDocument.objects.get()
    assert (inbound.channel, inbound.outcome, bytes(inbound.raw)) == ("ubl", InboundOutcome.ACCEPTED, raw)


def test_a_broken_ubl_invoice_is_answered_by_xml_path_and_kept(ocr, north) -> None:
    raw = (DATA / "ubl_invoice.xml").read_bytes().replace(b"<cbc:IssueDate>", b"<cbc:IssueDate>not-a-date", 1)
    response = _post(ocr, "/api/v1/invoices/", raw, content_type="application/xml")
    assert response.status_code == 422, response.content
    fields = [error["field"] for error in response.json()["errors"]]
    assert any("IssueDate" in field for field in fields), fields
    assert InboundDocument.objects.get().outcome == InboundOutcome.REJECTED


def test_an_xxe_document_is_refused_and_kept(ocr) -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Invoice>&xxe;</Invoice>'
    )
    response = _post(ocr, "/api/v1/invoices/", evil, content_type="application/xml")
    assert response.status_code == 400
    assert response.json()["code"] == "unsafe_xml"
    inbound = InboundDocument.objects.get()
    assert (inbound.outcome, bytes(inbound.raw)) == (InboundOutcome.REJECTED, evil)


def test_clients_submit_only_at_their_facilities_and_with_the_scope(south, supplier, order) -> None:
    elsewhere = make_api_client("south-ocr", [Scope.INVOICES_WRITE], south)
    refused = _post(elsewhere, "/api/v1/invoices/", _invoice(supplier))
    assert refused.status_code == 403
    assert refused.json()["code"] == "facility_not_allowed"
    reader = make_api_client("reader", [Scope.INVOICES_READ], south)
    assert _post(reader, "/api/v1/invoices/", _invoice(supplier)).status_code == 403
    assert not Invoice.objects.exists()
    assert InboundDocument.objects.count() == 1  # the refused body is kept; the scope-less one never got in


def test_people_read_their_facilities_invoices_with_filters(people, ocr, supplier, order) -> None:
    _post(ocr, "/api/v1/invoices/", _invoice(supplier))
    _post(ocr, "/api/v1/invoices/", _invoice(supplier, number="INV-9002", po_number=""))
    clerk = signed_in(people[Role.AP_CLERK])
    listed = clerk.get("/api/v1/invoices/", {"exception": "no_receipt"}).json()["results"]
    assert [invoice["invoice_number"] for invoice in listed] == ["INV-9001"]
    assert len(clerk.get("/api/v1/invoices/", {"vendor": supplier.number}).json()["results"]) == 2
    invoice_id = listed[0]["id"]
    assert signed_in(people["outsider"]).get(f"/api/v1/invoices/{invoice_id}/").status_code == 404
    assert signed_in(people["nobody"]).get("/api/v1/invoices/").status_code == 403
    assert Client().get("/api/v1/invoices/").status_code == 401


def test_a_clerk_keys_an_invoice_and_is_recorded_as_its_keyer(people, supplier, order) -> None:
    clerk = people[Role.AP_CLERK]
    response = signed_in(clerk).post(
        "/api/v1/invoices/", json.dumps(_invoice(supplier)), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert Invoice.objects.get().keyed_by == clerk
    manager = signed_in(people[Role.AUDITOR]).post(
        "/api/v1/invoices/", json.dumps(_invoice(supplier, number="X")), content_type="application/json"
    )
    assert manager.status_code == 403


def test_bulk_keeps_the_good_items_and_answers_each(ocr, supplier, order) -> None:
    items = [_invoice(supplier, number=f"B-{n}") for n in range(3)]
    items[1]["total_amount"] = "abc"
    items.append("not an object")
    response = _post(ocr, "/api/v1/invoices/bulk/", {"invoices": items})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    assert [result["status"] for result in body["results"]] == ["created", "rejected", "created", "rejected"]
    assert "total_amount" in body["results"][1]["errors"]
    assert Invoice.objects.count() == 2
    assert set(Invoice.objects.values_list("inbound_document__channel", flat=True)) == {"bulk"}
    too_many = _post(ocr, "/api/v1/invoices/bulk/", {"invoices": [items[0]] * 1001})
    assert too_many.status_code == 400


def test_an_idempotent_replay_is_not_a_duplicate(ocr, supplier, order) -> None:
    first = _post(ocr, "/api/v1/invoices/", _invoice(supplier), HTTP_IDEMPOTENCY_KEY="k-1")
    again = _post(ocr, "/api/v1/invoices/", _invoice(supplier), HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.content == first.content
    assert Invoice.objects.count() == 1
    assert not Invoice.objects.get().exceptions.filter(code="duplicate_suspect").exists()
    assert Invoice.objects.get().status != InvoiceStatus.APPROVED  # nothing received yet


@pytest.mark.parametrize(
    ("sample", "content_type", "channel", "number", "total"),
    [
        ("cxml_invoice.xml", "text/xml", "cxml", "NW-INV-2025-10488", "969.80"),
        ("x12_810.edi", "application/edi-x12", "x12", "NW-INV-2025-10501", "833.92"),
    ],
)
def test_cxml_and_x12_invoices_are_read_by_content_type(sample, content_type, channel, number, total) -> None:
    from tests.factories import make_facility
    from tests.vendors.factories import make_vendor

    make_facility("NGH", "North General Hospital")
    client = make_api_client("network", [Scope.INVOICES_WRITE], *Facility.objects.filter(code="NGH"))
    known = make_vendor("Northwind Medical Supply Inc", tax_id="123456789", tax_id_kind="ein")
    raw = (DATA / sample).read_bytes()
    response = _post(client, "/api/v1/invoices/", raw, content_type=content_type)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["invoice_number"], body["vendor"], body["channel"], body["total_amount"]) == (
        number,
        known.number,
        channel,
        total,
    )
    assert [exception["code"] for exception in body["exceptions"]] == ["po_not_found"]
    assert bytes(InboundDocument.objects.get().raw) == raw


def test_a_broken_x12_invoice_names_the_segment_and_is_kept(north) -> None:
    client = make_api_client("edi", [Scope.INVOICES_WRITE], north)
    raw = (DATA / "x12_810.edi").read_bytes().replace(b"CTT*3", b"CTT*4")
    response = _post(client, "/api/v1/invoices/", raw, content_type="application/edi-x12")
    assert response.status_code == 422, response.content
    assert any("CTT" in error["field"] for error in response.json()["errors"])
    inbound = InboundDocument.objects.get()
    assert inbound.outcome == InboundOutcome.REJECTED
    assert bytes(inbound.raw) == raw
    assert any("CTT" in error["path"] for error in inbound.errors)


def test_an_oversized_body_is_refused_and_its_hash_kept(north, settings) -> None:
    client = make_api_client("big", [Scope.INVOICES_WRITE], north)
    raw = b"<Invoice>" + b" " * (5 * 1024 * 1024) + b"</Invoice>"
    response = _post(client, "/api/v1/invoices/", raw, content_type="application/xml")
    assert response.status_code == 413
    inbound = InboundDocument.objects.get()
    assert (inbound.outcome, inbound.size) == (InboundOutcome.REJECTED, len(raw))
