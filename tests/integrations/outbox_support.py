"""Helpers for the outbox and Tryton push tests: an ERP system row, approved invoices, outbox events, a Tryton
client, and a real Celery worker process (started in its own process group so that SIGKILL takes all of it)."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection

from integrations.models import ExternalSystem, OutboxDelivery
from integrations.tryton.client import TrytonClient
from matching.intake.canonical import CanonicalInvoice, CanonicalLine
from matching.models import Invoice, InvoiceStatus, PurchaseOrder
from matching.services.intake import BatchItem, invoice_ingest, invoices_ingest_batch
from matching.services.orders import OrderLineData, purchase_order_upsert
from p2p_portal.audit.context import acting_as
from p2p_portal.models import Facility, OutboxEvent
from p2p_portal.services import outbox_event_record
from tests.vendors.factories import make_vendor
from vendors.models import Vendor

ROOT = Path(__file__).resolve().parents[2]
LOGIN_ENV = "P2P_TEST_TRYTON_LOGIN"
PASSWORD_ENV = "P2P_TEST_TRYTON_PASSWORD"


_numbers = itertools.count(500001)


def erp_vendor(legal_name: str, **fields: Any) -> Vendor:
    """A vendor with a number no other test of this session used: the live Tryton lives for the whole session
    while our database is rolled back after each test, so the master's own numbering would repeat."""
    vendor = make_vendor(legal_name, **fields)
    Vendor.objects.filter(pk=vendor.pk).update(number=f"V-{next(_numbers)}")
    vendor.refresh_from_db()
    return vendor


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def erp_system(tryton: Any, *, code: str = "tryton", base_url: str | None = None, **fields: Any) -> ExternalSystem:
    """The Tryton ERP as an ExternalSystem, its credentials in environment variables the config names."""
    os.environ[LOGIN_ENV] = tryton.login
    os.environ[PASSWORD_ENV] = tryton.password
    values: dict[str, Any] = {"kind": "erp", "connector": "tryton", **fields}
    system = ExternalSystem(
        code=code,
        name=f"Tryton ({code})",
        base_url=base_url or tryton.url,
        config={"database": tryton.database, "login_env": LOGIN_ENV, "password_env": PASSWORD_ENV, "read_timeout": 30},
        **values,
    )
    system.full_clean()
    with acting_as("tests", reason="test system"):
        system.save()
    return system


def system_move(system: ExternalSystem, base_url: str) -> None:
    """Point the system somewhere else (the ERP going down or coming back)."""
    system.base_url = base_url
    with acting_as("tests", reason="test: endpoint moved"):
        system.save(update_fields=["base_url"])


def tryton_client(tryton: Any) -> TrytonClient:
    """A client of our own, to look at what landed in Tryton."""
    return TrytonClient(tryton.url, tryton.database, tryton.login, tryton.password)


def vendor_event(vendor: Vendor, topic: str = "vendor.created") -> OutboxEvent:
    """The event the vendor master writes when a vendor is created or changed."""
    return outbox_event_record(
        actor="tests", topic=topic, subject=f"vendor:{vendor.pk}", payload={"vendor": vendor.number, "fields": []}
    )


def two_way_order(facility: Facility, vendor: Vendor, number: str) -> PurchaseOrder:
    """A PO whose lines match two-way: an invoice on it is approved without a receipt."""
    order, _ = purchase_order_upsert(
        actor="tests",
        facility=facility,
        number=number,
        vendor=vendor,
        ordered_on=date.today(),
        lines=[
            OrderLineData(1, "Exam gloves", Decimal("1000"), Decimal("2.50"), match_type="two_way"),
            OrderLineData(2, "Swabs", Decimal("1000"), Decimal("4.00"), match_type="two_way"),
        ],
    )
    return order


def invoice_document(
    vendor: Vendor,
    facility: Facility,
    po_number: str,
    number: str,
    lines: list[tuple[int, str, str]],
    *,
    unit_of_measure: str = "EA",
    **header: Any,
) -> CanonicalInvoice:
    """A canonical invoice dated today (inside Tryton's fiscal year) with lines (po line, quantity, unit price)."""
    built = tuple(
        CanonicalLine(
            line_number=position,
            po_line_number=po_line,
            item_code="",
            gtin="",
            description=f"line {position}",
            quantity=Decimal(quantity),
            unit_of_measure=unit_of_measure,
            unit_price=Decimal(price),
            amount=(Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01")),
        )
        for position, (po_line, quantity, price) in enumerate(lines, start=1)
    )
    subtotal = sum((line.amount for line in built), Decimal(0))
    values: dict[str, Any] = {
        "document_type": "invoice",
        "invoice_number": number,
        "invoice_date": date.today(),
        "due_date": None,
        "currency": "USD",
        "vendor_number": vendor.number,
        "vendor_ref_system": "",
        "vendor_ref_id": "",
        "vendor_tax_id": "",
        "vendor_gln": "",
        "vendor_name": "",
        "facility": facility.code,
        "po_number": po_number,
        "original_invoice_number": "",
        "subtotal": subtotal,
        "tax_amount": Decimal(0),
        "freight_amount": Decimal(0),
        "total_amount": subtotal,
        "lines": built,
        "source_format": "api_json",
    }
    values.update(header)
    return CanonicalInvoice(**values)


def approved_invoice(
    vendor: Vendor, facility: Facility, order: PurchaseOrder, number: str, *, quantity: str = "4", **header: Any
) -> Invoice:
    """An invoice matched against the two-way PO and approved here (which writes its invoice.approved event); give
    invoices of one vendor different quantities or far-apart numbers, or duplicate detection holds them."""
    lines = [(1, quantity, "2.50"), (2, "1", "4.00")]
    if "total_amount" not in header:
        header["subtotal"] = header["total_amount"] = Decimal(quantity) * Decimal("2.50") + Decimal("4.00")
    document = invoice_document(vendor, facility, order.number, number, lines, **header)
    invoice = invoice_ingest(actor="tests", document=document, channel="api_json", facility=facility)
    assert invoice.status == InvoiceStatus.APPROVED, list(invoice.exceptions.values_list("code", flat=True))
    return invoice


def approved_invoices(
    vendor: Vendor, facility: Facility, order: PurchaseOrder, count: int, *, prefix: str
) -> list[Invoice]:
    """`count` invoices of one unit each on the two-way PO, ingested in batches as the bulk API does, all approved
    (numbers far apart, so duplicate detection holds none)."""
    total = Decimal("2.50") + Decimal("4.00")
    documents = [
        invoice_document(
            vendor,
            facility,
            order.number,
            f"{prefix}-{uuid.uuid4().hex[:12]}",
            [(1, "1", "2.50"), (2, "1", "4.00")],
            subtotal=total,
            total_amount=total,
        )
        for _ in range(count)
    ]
    invoices: list[Invoice] = []
    for start in range(0, count, 200):
        items = [BatchItem(document, facility) for document in documents[start : start + 200]]
        for result in invoices_ingest_batch(actor="tests", items=items, channel="api_json"):
            assert isinstance(result, Invoice), result
            assert result.status == InvoiceStatus.APPROVED, list(result.exceptions.values_list("code", flat=True))
            invoices.append(result)
    return invoices


def wait_for(
    condition: Callable[[], bool], *, timeout: float, every: float = 0.5, tick: Callable[[], None] | None = None
) -> bool:
    """Poll until `condition` holds (a bounded wait for workers, never a speed assertion); `tick` plays beat."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if tick is not None:
            tick()
        time.sleep(every)
    return condition()


def pending_count(system: ExternalSystem) -> int:
    return OutboxDelivery.objects.filter(system=system, status="pending").count()


class WorkerProcess:
    """`celery worker` as a separate process on its own queue, against the test database and Redis db."""

    def __init__(self, *, queue: str, extra_env: dict[str, str] | None = None, concurrency: int = 2) -> None:
        self.queue = queue
        self.extra_env = extra_env or {}
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.gettempdir()) / f"outbox-worker-{uuid.uuid4().hex[:8]}.log"

    def start(self) -> WorkerProcess:
        settings = connection.settings_dict
        database_url = (
            f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            f"/{settings['NAME']}"
        )
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "P2P_ENV": "test",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "PYTHONPATH": str(ROOT),
            **self.extra_env,
        }
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "p2p_portal",
                    "worker",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{self.queue}@%h",
                    "--pool=prefork",
                    f"--concurrency={self.concurrency}",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: no shutdown, no acks, no commits."""
        if self.process is not None and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it lingers."""
        if self.process is not None and self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
