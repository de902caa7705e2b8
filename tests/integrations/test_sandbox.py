"""The procurement sandbox over real HTTP: seeded data, paging, filters, auth, control endpoint, faults."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests
from stdnum.us import ein, rtn

from integrations.sandbox.process import REPOSITORY, SandboxProcess
from tests.integrations.sandbox_fixtures import (
    API_KEY,
    ENTITIES,
    HEADERS,
    api_get,
    order_key,
    read_by_offset,
    sandbox_factory_fixture,
)

CENT = Decimal("0.01")
SUPPLIERS = 150
SHAPE = {"seed": 7, "suppliers": SUPPLIERS, "orders": 600, "receipts_ratio": 0.6}


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(api_key=API_KEY, **SHAPE) as process:
        yield process


@pytest.fixture
def sandbox_factory():
    yield from sandbox_factory_fixture()


@pytest.fixture(scope="module")
def everything(sandbox):
    return {entity: read_by_offset(sandbox, entity) for entity in ENTITIES}


def test_the_sandbox_and_the_client_import_without_django():
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys\n"
        "import integrations.sandbox.__main__, integrations.sandbox.process, integrations.procurement.client\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'celery'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, env=environment, check=True, timeout=60)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(sandbox_factory, everything):
    again = sandbox_factory(**SHAPE)
    other = sandbox_factory(**{**SHAPE, "seed": 8})
    for entity in ENTITIES:
        assert read_by_offset(again, entity) == everything[entity]
    assert read_by_offset(other, "suppliers") != everything["suppliers"]
    assert read_by_offset(other, "purchase_orders") != everything["purchase_orders"]


def test_suppliers_carry_what_a_supplier_master_needs(everything):
    suppliers = everything["suppliers"]
    assert [s["id"] for s in suppliers] == list(range(1, SUPPLIERS + 1))
    assert len({s["external-id"] for s in suppliers}) == len(suppliers)
    assert {s["status"] for s in suppliers} <= {"active", "inactive", "on_hold"}
    assert sum(s["status"] == "active" for s in suppliers) > len(suppliers) * 0.75
    for supplier in suppliers:
        assert supplier["name"]
        assert re.fullmatch(r"\d{2}-\d{7}", supplier["tax-id"])
        assert ein.is_valid(supplier["tax-id"]), supplier["tax-id"]
        address = supplier["primary-address"]
        assert address["street1"]
        assert address["city"]
        assert re.fullmatch(r"[A-Z]{2}", address["state"])
        assert re.fullmatch(r"\d{5}", address["postal-code"])
        contact = supplier["primary-contact"]
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", contact["email"])
        assert re.fullmatch(r"\+1-\d{3}-555-\d{4}", contact["phone-work"])
        assert supplier["remit-to-addresses"]
        for remit_to in supplier["remit-to-addresses"]:
            bank = remit_to["bank-account"]
            assert rtn.is_valid(bank["routing-number"]), bank["routing-number"]
            assert bank["account-number"].isdigit()
            assert remit_to["address"]["postal-code"]


def test_purchase_orders_have_lines_with_items_categories_and_match_types(everything, sandbox):
    orders = everything["purchase_orders"]
    assert len(orders) == SHAPE["orders"]
    match_types = set()
    for order in orders:
        assert order["po-number"] == f"PO-{order['id']:07d}"
        assert 1 <= order["supplier"]["id"] <= SUPPLIERS
        lines = order["order-lines"]
        assert [line["line-num"] for line in lines] == [1, 2, 3, 4, 5]
        for line in lines:
            quantity, price = Decimal(line["quantity"]), Decimal(line["price"])
            assert quantity > 0
            assert price > 0
            assert Decimal(line["total"]) == (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
            assert re.fullmatch(r"\d{8}", line["unspsc"])
            assert line["uom"] in {"EA", "BX", "CS", "PK", "HR", "MO", "LB"}
            assert line["cost-center"].startswith("CC-")
            assert line["item-code"]
            assert line["description"]
            match_types.add(line["match-type"])
        assert Decimal(order["total"]) == sum(Decimal(line["total"]) for line in lines)
    assert match_types == {"two_way", "three_way"}
    assert api_get(sandbox, "/api/purchase_orders/3").json() == orders[2]


def test_receipts_are_against_goods_po_lines_some_partial_some_returns(everything):
    lines = {line["id"]: (order, line) for order in everything["purchase_orders"] for line in order["order-lines"]}
    received: defaultdict[int, Decimal] = defaultdict(Decimal)
    kinds: defaultdict[str, int] = defaultdict(int)
    for receipt in everything["receipts"]:
        order, line = lines[receipt["order-line"]["id"]]
        assert receipt["order-line"]["po-number"] == order["po-number"]
        assert receipt["order-line"]["line-num"] == line["line-num"]
        assert line["match-type"] == "three_way"
        assert receipt["uom"] == line["uom"]
        assert receipt["transaction-date"] >= order["order-date"]
        quantity = Decimal(receipt["quantity"])
        received[line["id"]] += quantity
        if receipt["type"] == "return":
            assert quantity < 0
            kinds["return"] += 1
        elif quantity < Decimal(line["quantity"]):
            kinds["partial"] += 1
        else:
            kinds["full"] += 1
    for line_id, quantity in received.items():
        assert 0 <= quantity <= Decimal(lines[line_id][1]["quantity"])
    assert kinds["full"] > kinds["partial"] > kinds["return"] > 0


def test_paging_caps_the_limit_and_says_so(sandbox, everything):
    capped = api_get(sandbox, "/api/suppliers", limit=500)
    assert capped.status_code == 200
    assert len(capped.json()) == 50
    assert capped.headers["X-Page-Limit"] == "50"
    assert capped.headers["X-Page-Limit-Capped"] == "500"
    assert capped.headers["X-Total-Count"] == str(SUPPLIERS)
    small = api_get(sandbox, "/api/suppliers", limit=20, offset=40)
    assert "X-Page-Limit-Capped" not in small.headers
    assert small.json() == everything["suppliers"][40:60]
    for entity in ENTITIES:
        records = everything[entity]
        assert len({r["id"] for r in records}) == len(records)
        assert records == sorted(records, key=order_key)
    stamps = [r["updated-at"] for r in everything["purchase_orders"]]
    assert len(set(stamps)) < len(stamps), "base records share updated-at in small groups (ties)"


def test_single_records_unknown_things_and_bad_parameters(sandbox, everything):
    assert api_get(sandbox, "/api/suppliers/1").json() == everything["suppliers"][0]
    assert api_get(sandbox, "/api/suppliers/9999").status_code == 404
    assert api_get(sandbox, "/api/invoices").status_code == 404
    for params, field in (
        ({"limit": "ten"}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"updated-at[gt]": "yesterday"}, "updated-at[gt]"),
        ({"colour": "blue"}, "colour"),
    ):
        answer = api_get(sandbox, "/api/suppliers", **params)
        assert answer.status_code == 400, params
        assert answer.json()["field"] == field


def test_the_api_key_is_required(sandbox):
    url = sandbox.base_url
    for path in ("/api/suppliers", "/api/suppliers/1", "/_control/stats"):
        assert requests.get(f"{url}{path}", timeout=10).status_code == 401
        assert requests.get(f"{url}{path}", headers={"X-COUPA-API-KEY": "wrong"}, timeout=10).status_code == 401
    assert requests.post(f"{url}/_control", json={"action": "reset_counters"}, timeout=10).status_code == 401
    assert requests.get(f"{url}/_health", timeout=10).status_code == 200


def test_the_updated_at_filter_is_exact_across_pages_while_records_change(sandbox_factory):
    sandbox = sandbox_factory(seed=3, suppliers=90, orders=120, max_limit=7)
    before = read_by_offset(sandbox, "suppliers")
    middle = before[40]["updated-at"]
    expected_after = [r for r in before if r["updated-at"] > middle]
    assert [r["id"] for r in read_by_offset(sandbox, "suppliers", **{"updated-at[gt]": middle})] == [
        r["id"] for r in expected_after
    ]
    inclusive = read_by_offset(sandbox, "suppliers", **{"updated-at[gte]": middle})
    assert [r["id"] for r in inclusive] == [r["id"] for r in before if r["updated-at"] >= middle]

    newest = before[-1]["updated-at"]
    changed = sandbox.control("change", entity="suppliers", ids=[5, 60, 61, 89], kind="bank")["changed"]
    added = sandbox.control("add", entity="suppliers", count=3)["added"]
    changed += sandbox.control("change", entity="suppliers", ids=[61], kind="name")["changed"]
    after = read_by_offset(sandbox, "suppliers", **{"updated-at[gt]": newest})
    assert [r["id"] for r in after] == [5, 60, 89, *added, 61]
    assert [r["updated-at"] for r in after] == sorted(r["updated-at"] for r in after)
    assert {r["id"]: r["updated-at"] for r in after}[61] == changed[-1]["updated-at"]
    old = {r["id"]: r for r in before}
    assert after[0]["remit-to-addresses"][0]["bank-account"] != old[5]["remit-to-addresses"][0]["bank-account"]
    assert after[-1]["name"] != old[61]["name"]
    assert after[-1]["remit-to-addresses"][0]["bank-account"] != old[61]["remit-to-addresses"][0]["bank-account"]

    # A changed record left its old place: the middle filter now finds it at the end, once.
    again = read_by_offset(sandbox, "suppliers", **{"updated-at[gt]": middle})
    assert [r["id"] for r in again] == [r["id"] for r in expected_after if r["id"] not in (60, 61, 89)] + [
        r["id"] for r in after
    ]
    everything_now = read_by_offset(sandbox, "suppliers")
    assert sorted(r["id"] for r in everything_now) == list(range(1, 94))
    assert everything_now == sorted(everything_now, key=order_key)


def test_control_changes_purchase_orders_and_receipts_and_resets(sandbox_factory):
    sandbox = sandbox_factory(seed=4, suppliers=20, orders=30)
    order = api_get(sandbox, "/api/purchase_orders/8").json()
    changed = sandbox.control("change", entity="purchase_orders", ids=[8], kind="price")["changed"][0]
    now = api_get(sandbox, "/api/purchase_orders/8").json()
    assert now["updated-at"] == changed["updated-at"] > order["updated-at"]
    differing = [n for n, (a, b) in enumerate(zip(order["order-lines"], now["order-lines"], strict=True)) if a != b]
    assert len(differing) == 1
    line = now["order-lines"][differing[0]]
    assert Decimal(line["price"]) > Decimal(order["order-lines"][differing[0]]["price"])
    assert Decimal(line["total"]) == (Decimal(line["quantity"]) * Decimal(line["price"])).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    assert Decimal(now["total"]) == sum(Decimal(x["total"]) for x in now["order-lines"])

    picked = sandbox.control("change", entity="receipts", count=5)["changed"]
    assert len({c["id"] for c in picked}) == 5
    new_ids = sandbox.control("add", entity="purchase_orders", count=2)["added"]
    assert new_ids == [31, 32]
    assert api_get(sandbox, "/api/purchase_orders/32").json()["order-lines"]
    assert sandbox.stats()["counts"]["purchase_orders"] == 32

    sandbox.control("reset_data")
    assert sandbox.stats()["counts"]["purchase_orders"] == 30
    assert api_get(sandbox, "/api/purchase_orders/8").json() == order
    for bad in (
        {"action": "explode"},
        {"action": "change", "entity": "invoices", "count": 1},
        {"action": "change", "entity": "suppliers", "count": 0},
        {"action": "change", "entity": "suppliers", "count": 1, "kind": "colour"},
        {"action": "configure", "switches": {"colour": 1}},
        {"action": "configure", "switches": {"error_rate": 0.7, "rate_limit_rate": 0.5}},
        {"action": "configure", "switches": {"error_rate": "high"}},
    ):
        answer = requests.post(f"{sandbox.base_url}/_control", json=bad, headers=HEADERS, timeout=10)
        assert answer.status_code == 400, bad
    missing = requests.post(
        f"{sandbox.base_url}/_control",
        json={"action": "change", "entity": "suppliers", "ids": [99]},
        headers=HEADERS,
        timeout=10,
    )
    assert missing.status_code == 404


def test_each_fault_switch_and_the_counters(sandbox_factory):
    sandbox = sandbox_factory(suppliers=20, orders=10, switches={"retry_after": 7})
    url = f"{sandbox.base_url}/api/suppliers"

    sandbox.configure(error_rate=1.0)
    assert requests.get(url, headers=HEADERS, timeout=10).status_code in (500, 502, 503)
    sandbox.configure(error_rate=0.0, rate_limit_rate=1.0)
    limited = requests.get(url, headers=HEADERS, timeout=10)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    sandbox.configure(rate_limit_rate=0.0, reset_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=HEADERS, timeout=10)
    sandbox.configure(reset_rate=0.0, latency_ms=300)
    started = time.monotonic()
    assert requests.get(url, headers=HEADERS, timeout=10).status_code == 200
    assert time.monotonic() - started >= 0.3

    stats = sandbox.stats()
    assert stats["faults"] == {"latency": 1, "error": 1, "rate_limited": 1, "reset": 1, "malformed_records": 0}
    assert stats["requests"] == 4
    assert stats["by_status"]["429"] == 1
    assert stats["by_status"]["reset"] == 1
    assert stats["switches"]["latency_ms"] == 300
    sandbox.control("reset_counters")
    assert sandbox.stats()["requests"] == 0


def test_fault_rates_are_the_shares_asked_for(sandbox_factory):
    sandbox = sandbox_factory(
        suppliers=10, orders=5, fault_seed=5, switches={"error_rate": 0.2, "rate_limit_rate": 0.1, "retry_after": 0}
    )
    with requests.Session() as session:
        statuses = [api_get(sandbox, "/api/suppliers", session=session, limit=1).status_code for _ in range(400)]
    errors = sum(s >= 500 for s in statuses) / len(statuses)
    limited = statuses.count(429) / len(statuses)
    assert 0.13 < errors < 0.27
    assert 0.05 < limited < 0.15
    assert sandbox.stats()["faults"]["error"] == sum(s >= 500 for s in statuses)


def test_malformed_records_stay_poison_until_fixed(sandbox_factory):
    sandbox = sandbox_factory(seed=9, suppliers=200, orders=100, switches={"malformed_rate": 0.05})
    first = read_by_offset(sandbox, "suppliers")
    second = read_by_offset(sandbox, "suppliers")
    assert first == second

    def broken(record: dict) -> bool:
        return (
            record["name"] is None
            or not ein.is_valid(record["tax-id"])
            or "@" not in record["primary-contact"]["email"]
        )

    poison = sorted(r["id"] for r in first if broken(r))
    assert 2 <= len(poison) <= 25
    assert broken(api_get(sandbox, f"/api/suppliers/{poison[0]}").json())
    orders = read_by_offset(sandbox, "purchase_orders")
    assert any(
        o["supplier"] is None or "twelve" in o["order-lines"][0]["quantity"] or o["order-lines"][0]["price"] == "1.2.3"
        for o in orders
    )
    assert sandbox.stats()["faults"]["malformed_records"] >= 2 * len(poison)

    fixed = sandbox.control("fix_malformed", entity="suppliers")["fixed"]["suppliers"]
    assert fixed == poison
    newest = first[-1]["updated-at"]
    repaired = read_by_offset(sandbox, "suppliers", **{"updated-at[gt]": newest})
    assert sorted(r["id"] for r in repaired) == poison
    assert not any(broken(r) for r in read_by_offset(sandbox, "suppliers"))
    assert sandbox.stats()["switches"]["malformed_rate"] == 0.05


def test_concurrent_clients_read_the_same_pages(sandbox, everything):
    results: list[list[dict]] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            results.append(read_by_offset(sandbox, "purchase_orders", limit=25))
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    assert len(results) == 8
    assert all(result == everything["purchase_orders"] for result in results)
