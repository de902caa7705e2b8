"""Helpers shared by the workbench API tests: JSON posts, problem+json checks, invoices in exception."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from matching.models import Invoice, WorkItem
from matching.services.intake import invoice_ingest
from p2p_portal.models import Facility
from tests.matching.conftest import canonical
from vendors.models import Vendor

API = "/api/v1/workbench/"
PROBLEM = "application/problem+json"


def item_url(item: WorkItem | int, action: str = "") -> str:
    pk = item if isinstance(item, int) else item.pk
    return f"{API}items/{pk}/" + (f"{action}/" if action else "")


def post(client: Client, url: str, body: dict[str, Any] | None = None, **headers: Any) -> Any:
    return client.post(url, json.dumps(body or {}), "application/json", **headers)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """A problem+json answer with this status and code; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:p2p-portal:problem:{code}")
    return body


def ingest(supplier: Vendor, facility: Facility, *lines: tuple[int, str, str], number: str, **extra: Any) -> Invoice:
    """Receive an invoice as an API client would send it, and match it."""
    keyed_by = extra.pop("keyed_by", None)
    document = canonical(supplier, *lines, number=number, facility=facility.code, **extra)
    return invoice_ingest(actor="tests", document=document, channel="api_json", facility=facility, keyed_by=keyed_by)


def item_of(invoice: Invoice) -> WorkItem:
    return WorkItem.objects.get(invoice=invoice)
