"""Helpers of the inbound sync tests: a sandbox system, runs until caught up, and the source read without faults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from integrations.models import ExternalSystem, SyncRun, SyncRunStatus
from integrations.procurement.client import ProcurementClient, RetryPolicy
from integrations.sandbox.process import SandboxProcess
from integrations.services.sync import ENTITIES, sync_entity_run
from matching.models import PurchaseOrder, Receipt
from tests.integrations.sandbox_fixtures import API_KEY
from vendors.models import SourceReference

KEY_VARIABLE = "P2P_TEST_SANDBOX_API_KEY"
# Small delays: the tests' budget is attempts, not seconds (Retry-After is still honoured).
FAST_RETRY = {"max_attempts": 4, "base_delay": 0.01, "max_delay": 0.05}
PATIENT = RetryPolicy(max_attempts=60, base_delay=0.01, max_delay=0.05)


def sandbox_system(sandbox: SandboxProcess, facility: Any, *, code: str = "coupa", **config: Any) -> ExternalSystem:
    """An ExternalSystem for the sandbox (saved without a service: test set-up of configuration)."""
    system = ExternalSystem(
        code=code,
        name=f"Procurement sandbox {code}",
        kind="procurement",
        connector="sandbox",
        base_url=sandbox.base_url,
        config={"api_key_env": KEY_VARIABLE, "retry": FAST_RETRY, **config},
        facility=facility,
        rate_limit_per_second=1000.0,
    )
    system.full_clean()
    system.save()
    return system


def run(system: ExternalSystem, entity: str, *, triggered_by: str = "tests") -> SyncRun:
    """One sync run of an entity."""
    return sync_entity_run(actor="tests", system=system, entity=entity, triggered_by=triggered_by)


def sync_until_caught_up(system: ExternalSystem, *, rounds: int = 40) -> list[SyncRun]:
    """Run supplier, PO and receipt syncs in order until a run of each succeeds (or ends partial) in one round."""
    runs: list[SyncRun] = []
    for _ in range(rounds):
        finished = [run(system, entity) for entity in ENTITIES]
        runs += finished
        if all(r.status in (SyncRunStatus.SUCCEEDED, SyncRunStatus.PARTIAL) and r.fetched == 0 for r in finished):
            return runs
    raise AssertionError(f"not caught up after {rounds} rounds: {[(r.entity, r.status, r.error) for r in runs[-3:]]}")


def source(sandbox: SandboxProcess, entity: str) -> dict[int, dict[str, Any]]:
    """The source's latest version of every record, read patiently (whatever faults are switched on)."""
    with ProcurementClient(sandbox.base_url, api_key=API_KEY) as client:
        latest, _ = client.read_all(entity, retry=PATIENT)
    return latest


def assert_mirrors_source(
    sandbox: SandboxProcess, system: ExternalSystem, *, skip: frozenset[str] = frozenset()
) -> None:
    """Every supplier, PO (with lines) and receipt here says exactly what the source says (ids in `skip` aside)."""
    suppliers = source(sandbox, "suppliers")
    references = {r.external_id: r.vendor for r in SourceReference.objects.filter(system=system.code)}
    assert set(references) == {str(i) for i in suppliers} - skip
    for supplier_id, supplier in suppliers.items():
        if str(supplier_id) in skip:
            continue
        vendor = references[str(supplier_id)]
        assert (vendor.legal_name, vendor.dba_name) == (supplier["name"], supplier["display-name"])
        assert vendor.tax_id == supplier["tax-id"].replace("-", "")
    orders = source(sandbox, "purchase_orders")
    ours = {o.number: o for o in PurchaseOrder.objects.filter(source_system=system.code).prefetch_related("lines")}
    assert set(ours) == {o["po-number"] for i, o in orders.items() if f"po:{i}" not in skip}
    for order_id, order in orders.items():
        if f"po:{order_id}" in skip:
            continue
        mine = ours[order["po-number"]]
        assert mine.vendor.source_references.get(system=system.code).external_id == str(order["supplier"]["id"])
        assert mine.status == {"issued": "open", "closed": "closed"}[order["status"]]
        assert str(mine.ordered_on) == order["order-date"]
        lines = {line.line_number: line for line in mine.lines.all()}
        assert sorted(lines) == [line["line-num"] for line in order["order-lines"]]
        for line in order["order-lines"]:
            stored = lines[line["line-num"]]
            assert (stored.quantity_ordered, stored.unit_price) == (Decimal(line["quantity"]), Decimal(line["price"]))
            assert (stored.item_code, stored.description, stored.unit_of_measure, stored.match_type) == (
                line["item-code"], line["description"], line["uom"], line["match-type"],
            )  # fmt: skip
    receipts = source(sandbox, "receipts")
    mine_receipts = {
        r.number: r for r in Receipt.objects.filter(source_system=system.code).prefetch_related("lines__po_line")
    }
    assert set(mine_receipts) == {r["receipt-number"] for r in receipts.values()}
    received: dict[tuple[str, int], Decimal] = {}
    for receipt in receipts.values():
        stored_receipt = mine_receipts[receipt["receipt-number"]]
        (line,) = stored_receipt.lines.all()
        assert line.quantity == Decimal(receipt["quantity"])
        assert line.po_line.line_number == receipt["order-line"]["line-num"]
        assert stored_receipt.purchase_order.number == receipt["order-line"]["po-number"]
        key = (receipt["order-line"]["po-number"], receipt["order-line"]["line-num"])
        received[key] = received.get(key, Decimal(0)) + Decimal(receipt["quantity"])
    for (number, line_number), quantity in received.items():
        assert ours[number].lines.get(line_number=line_number).quantity_received == quantity
