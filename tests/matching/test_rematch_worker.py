"""A receipt arriving re-matches the invoices waiting on it, through Redis and a real Celery worker."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker

from matching.models import ExceptionState, InvoiceStatus
from matching.services.intake import invoice_ingest
from matching.services.orders import ReceiptLineData, receipt_record
from matching.services.rematch import invoices_rematch
from p2p_portal.celery import app
from tests.matching.conftest import canonical
from vendors.services.changes import VendorProposal

pytestmark = pytest.mark.django_db


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_receipt_clears_no_receipt_through_a_real_worker(north, supplier, order) -> None:
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping, which start_worker waits for)

    invoice = invoice_ingest(
        actor="tests", document=canonical(supplier, (1, "10", "10")), channel="api_json", facility=north
    )
    assert invoice.status == InvoiceStatus.EXCEPTION
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="INFO"):
            receipt_record(
                actor="dock",
                facility=north,
                number="GR-9",
                purchase_order=order,
                received_on=order.ordered_on,
                lines=[ReceiptLineData(1, Decimal("10"))],
            )
            deadline = time.monotonic() + 30  # a bounded wait for the worker, not a speed assertion
            while time.monotonic() < deadline:
                invoice.refresh_from_db()
                if invoice.status != InvoiceStatus.EXCEPTION:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    assert invoice.status == InvoiceStatus.APPROVED
    cleared = invoice.exceptions.get(code="no_receipt")
    assert cleared.state == ExceptionState.RESOLVED
    assert cleared.history.latest().history_actor_label == "task: matching.rematch_invoices"


def test_a_vendor_made_active_releases_its_held_invoices(people, north, order) -> None:
    from approvals.models import ApprovalRequest
    from approvals.services import approval_request_approve
    from tests.vendors.factories import make_vendor
    from vendors.services.changes import vendor_change_request_submit

    held = make_vendor("Hold Me Supply Inc", status="on_hold")
    invoice = invoice_ingest(
        actor="tests", document=canonical(held, (None, "1", "5.00"), po_number=""), channel="api_json", facility=north
    )
    assert invoice.exceptions.filter(code="vendor_not_active", state=ExceptionState.OPEN).exists()
    change = vendor_change_request_submit(
        actor=people["vendor_steward"],
        vendor=held,
        facility=north,
        proposal=VendorProposal(fields={"status": "active"}),
        reason="W-9 received",
    )
    approval_request_approve(
        actor=people["procurement_admin"], request=ApprovalRequest.objects.get(pk=change.approval_request_id)
    )
    from matching.tasks import rematch_vendor_holds

    rematch_vendor_holds()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING_APPROVAL
    assert not invoice.exceptions.filter(state=ExceptionState.OPEN).exists()
    assert invoices_rematch(actor="tests", invoice_ids=[invoice.pk]).cleared == 0
