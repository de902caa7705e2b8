"""The Tryton JSON-RPC client against a live trytond 8.2 serving a copy of the seeded snapshot."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from decimal import Decimal

import pytest
import requests

from integrations.errors import AuthenticationError, PermanentError, RateLimitedError, TransientError
from integrations.tryton.client import (
    TrytonClient,
    TrytonError,
    TrytonWarningError,
    decode,
    encode,
    error_from_payload,
)

SEEDED_SUPPLIERS = {"MedSupply Ltd", "CareGoods Inc"}


@pytest.fixture
def client(tryton):
    with TrytonClient(tryton.url, tryton.database, tryton.login, tryton.password) as client:
        yield client


@pytest.fixture
def no_throttling(tryton):
    tryton.server.clear_login_attempts()
    yield
    tryton.server.clear_login_attempts()


def changed_since(cursor: dt.datetime) -> list:
    # write_date is set on create too (8.2), so one condition is enough for a cursor.
    return [("write_date", ">=", cursor)]


# --- values ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (["ConcurrencyException", ["Records were modified in the meanwhile"]], True),
        (["database is locked", "Traceback ..."], True),
        (["could not serialize access due to concurrent update", "Traceback ..."], True),
        (["UserError", ["The amount must be positive.", ""]], False),
        (["KeyError: 'no_such_field'", "Traceback ..."], False),
    ],
)
def test_a_busy_erp_is_worth_retrying_and_a_refusal_is_not(error: list, retryable: bool) -> None:
    assert error_from_payload(error).retryable is retryable


def test_values_round_trip_through_trytons_json_classes() -> None:
    values = {
        "amount": Decimal("9.5000"),
        "day": dt.date(2025, 2, 28),
        "at": dt.datetime(2025, 2, 28, 13, 45, 1, 250),
        "hour": dt.time(8, 30),
        "span": dt.timedelta(hours=2),
        "file": b"<Invoice/>",
        "ids": (1, 2),
    }
    encoded = encode(values)
    assert encoded["amount"] == {"__class__": "Decimal", "decimal": "9.5000"}
    assert encoded["day"] == {"__class__": "date", "year": 2025, "month": 2, "day": 28}
    assert decode(encoded) == {**values, "ids": [1, 2]}


def test_an_aware_cursor_is_sent_as_naive_utc_like_trytons_write_date() -> None:
    aware = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert decode(encode(aware)) == dt.datetime(2025, 6, 1, 10, 0)


# --- session --------------------------------------------------------------------------------------------------------
def test_login_opens_a_session_with_the_users_company_context(client: TrytonClient) -> None:
    assert client.server_version().startswith("8.2")
    user_id = client.login()
    assert user_id == client.user_id
    assert client.context["company"]
    (company,) = client.read("company.company", [client.context["company"]], ["rec_name", "currency.code"])
    assert company["rec_name"] == "Acme Hospital Trust"
    assert company["currency."]["code"] == "USD"


def test_a_wrong_password_is_an_authentication_error_not_a_retry(tryton, no_throttling) -> None:
    wrong = TrytonClient(tryton.url, tryton.database, tryton.login, "not-the-password")
    with pytest.raises(AuthenticationError) as refused:
        wrong.login()
    assert not refused.value.retryable
    assert refused.value.status == 401
    assert "credentials" in refused.value.message


def test_trytons_login_throttling_is_rate_limited_with_a_retry_after(tryton, no_throttling) -> None:
    # Six recent failures (what Tryton itself records) make the next login answer 429 straight away;
    # producing them through the API would take ~30 s of Tryton's growing per-failure delays.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(" ")
    with sqlite3.connect(tryton.server.database_file) as database:
        database.executemany(
            "INSERT INTO res_user_login_attempt (login, create_date) VALUES (?, ?)", [("throttled", now)] * 6
        )
    throttled = TrytonClient(tryton.url, tryton.database, "throttled", "whatever", default_retry_after=42)
    with pytest.raises(RateLimitedError) as limited:
        throttled.login()
    assert limited.value.retryable
    assert limited.value.status == 429
    assert limited.value.retry_after == 42


def test_a_session_dropped_server_side_logs_in_again_transparently(client: TrytonClient, tryton) -> None:
    client.login()
    first_header = client._session_header
    tryton.server.drop_sessions()
    count = client.call("party.party", "search_count", [])
    assert count >= len(SEEDED_SUPPLIERS)
    assert client._session_header != first_header


def test_a_session_logged_out_elsewhere_logs_in_again_transparently(client: TrytonClient, tryton) -> None:
    client.login()
    # Another holder of the same token logs it out, as an admin killing sessions would.
    response = requests.post(
        f"{tryton.url}/{tryton.database}/rpc/",
        json={"id": 1, "method": "common.db.logout", "params": []},
        headers={"Authorization": client._session_header},
        timeout=10,
    )
    assert response.status_code == 200
    assert client.search("party.party", [("name", "=", "MedSupply Ltd")])


def test_an_unreachable_tryton_is_transient() -> None:
    nowhere = TrytonClient("http://127.0.0.1:9", "p2p", "admin", "x", connect_timeout=0.5, read_timeout=0.5)
    with pytest.raises(TransientError) as unreachable:
        nowhere.server_version()
    assert unreachable.value.retryable


# --- reads and writes -----------------------------------------------------------------------------------------------
def test_search_read_suppliers_incrementally_with_a_write_date_cursor(client: TrytonClient) -> None:
    fields = ["name", "code", "write_date", "identifiers"]
    everything = client.search_read(
        "party.party", changed_since(dt.datetime(2000, 1, 1)), fields, order=[("id", "ASC")]
    )
    assert {party["name"] for party in everything} >= SEEDED_SUPPLIERS
    assert all(isinstance(party["write_date"], dt.datetime) for party in everything)
    cursor = max(party["write_date"] for party in everything)

    (supplier,) = client.search_read("party.party", [("name", "=", "CareGoods Inc")], ["id"])
    try:
        client.write("party.party", [supplier["id"]], {"name": "CareGoods Inc."})
        # Strictly after the cursor: the party written last before it (whichever test wrote it) is not a change.
        changed = client.search_read("party.party", [("write_date", ">", cursor)], fields)
        assert [party["name"] for party in changed] == ["CareGoods Inc."]
        assert changed[0]["write_date"] > cursor

        page = client.search_read("party.party", [], ["id"], offset=1, limit=1, order=[("id", "ASC")])
        assert page == [{"id": everything[1]["id"]}]
    finally:
        client.write("party.party", [supplier["id"]], {"name": "CareGoods Inc"})  # other tests look it up by name


def test_create_a_supplier_with_an_identifier_and_read_it_back(client: TrytonClient) -> None:
    (party_id,) = client.create(
        "party.party",
        [
            {
                "name": "Northwind Surgical",
                "identifiers": [("create", [{"type": "us_ein", "code": "04-2103594"}])],
                "addresses": [("create", [{"street": "5 Mill Lane", "city": "Ogdenville"}])],
            }
        ],
    )
    (party,) = client.read("party.party", [party_id], ["name", "code", "identifiers", "addresses.city"])
    assert party["name"] == "Northwind Surgical"
    assert party["code"]
    assert [address["city"] for address in party["addresses."]] == ["Ogdenville"]
    (identifier,) = client.read("party.identifier", party["identifiers"], ["type", "code"])
    assert identifier["type"] == "us_ein"
    assert identifier["code"] == "04-2103594"
    found = client.search("party.party", [("identifiers.code", "=", "04-2103594")])
    assert found == [party_id]


def test_a_domain_error_is_permanent_with_its_name_and_a_short_message(client: TrytonClient) -> None:
    with pytest.raises(TrytonError) as refused:
        client.create("party.identifier", [{"type": "us_ein", "code": "not-an-ein", "party": 1}])
    assert isinstance(refused.value, PermanentError)
    assert not refused.value.retryable
    assert refused.value.name == "UserError"
    assert "not-an-ein" in refused.value.message
    assert len(refused.value.message) < 700


def test_a_record_outside_a_fields_domain_is_permanent(client: TrytonClient) -> None:
    (product_id,) = client.search("product.product", [("code", "=", "GLV-100")])
    (service_uom,) = client.search("product.uom", [("name", "=", "Hour")])
    (supplier_id,) = client.search("party.party", [("name", "=", "MedSupply Ltd")])
    with pytest.raises(PermanentError) as refused:
        client.create(
            "purchase.purchase",
            [
                {
                    "party": supplier_id,
                    "lines": [("create", [{"product": product_id, "quantity": 1.0, "unit": service_uom}])],
                }
            ],
        )
    assert refused.value.name == "UserError"


def test_an_unexpected_server_exception_is_permanent_and_named(client: TrytonClient) -> None:
    with pytest.raises(TrytonError) as refused:
        client.search("party.party", [("no_such_field", "=", 1)])
    assert refused.value.name == "ServerError"
    assert "no_such_field" in refused.value.message
    assert not refused.value.retryable


def test_a_method_tryton_does_not_expose_is_permanent(client: TrytonClient) -> None:
    with pytest.raises(PermanentError) as refused:
        client.call("party.party", "no_such_method")
    assert refused.value.status == 403


# --- the whole procure-to-pay flow the connector relies on ----------------------------------------------------------
def test_po_receipt_supplier_invoice_post_and_payment_over_json_rpc(client: TrytonClient) -> None:
    (supplier,) = client.search_read("party.party", [("name", "=", "MedSupply Ltd")], ["id", "addresses"])
    (product,) = client.search_read(
        "product.product", [("code", "=", "MSK-050")], ["id", "default_uom", "account_category"]
    )
    (category,) = client.read("product.category", [product["account_category"]], ["account_expense"])
    (term_id,) = client.search("account.invoice.payment_term", [("name", "=", "Net 30")])

    # 1. purchase order: draft -> quotation -> confirmed (manual invoicing: the invoice comes from us)
    reference = f"P2P-PO-{uuid.uuid4().hex[:8]}"
    (po_id,) = client.create(
        "purchase.purchase",
        [
            {
                "party": supplier["id"],
                "invoice_address": supplier["addresses"][0],
                "payment_term": term_id,
                "invoice_method": "manual",
                "reference": reference,
                "lines": [
                    (
                        "create",
                        [
                            {
                                "product": product["id"],
                                "quantity": 6.0,
                                "unit": product["default_uom"],
                                "unit_price": Decimal("7.2500"),
                            }
                        ],
                    )
                ],
            }
        ],
    )
    client.call("purchase.purchase", "quote", [po_id])
    client.call("purchase.purchase", "confirm", [po_id])
    (po,) = client.read("purchase.purchase", [po_id], ["number", "state", "moves", "lines", "total_amount"])
    assert po["state"] == "processing"
    assert po["total_amount"] == Decimal("43.50")

    # 2. goods receipt: raw create skips on_change, so the warehouse's locations are sent explicitly
    warehouse_id = client.call("stock.shipment.in", "default_get", ["warehouse"])["warehouse"]
    (warehouse,) = client.read("stock.location", [warehouse_id], ["input_location", "storage_location"])
    (shipment_id,) = client.create(
        "stock.shipment.in",
        [
            {
                "supplier": supplier["id"],
                "warehouse": warehouse_id,
                "warehouse_input": warehouse["input_location"],
                "warehouse_storage": warehouse["storage_location"],
                "reference": f"ASN-{po['number']}",
                "incoming_moves": [("add", po["moves"])],
            }
        ],
    )
    client.call("stock.shipment.in", "receive", [shipment_id])
    client.call("stock.shipment.in", "do", [shipment_id])
    (shipment,) = client.read("stock.shipment.in", [shipment_id], ["state", "effective_date"])
    assert shipment["state"] == "done"
    assert isinstance(shipment["effective_date"], dt.date)
    (po,) = client.read("purchase.purchase", [po_id], ["shipment_state", "lines", "moves"])
    assert po["shipment_state"] == "received"
    (po_line_id,), move_ids = po["lines"], po["moves"]

    # 3. supplier invoice linked to the PO line and the received move (what makes it 3-way in Tryton)
    (payable_id,) = client.search("account.account", [("type.payable", "=", True), ("closed", "!=", True)], limit=1)
    (journal_id,) = client.search("account.journal", [("type", "=", "expense")], limit=1)
    our_reference = f"P2P-INV-{uuid.uuid4().hex[:8]}"
    invoice_values = {
        "type": "in",
        "party": supplier["id"],
        "invoice_address": supplier["addresses"][0],
        "journal": journal_id,
        "account": payable_id,
        "payment_term": term_id,
        "invoice_date": dt.date.today(),
        "reference": our_reference,
        "lines": [
            (
                "create",
                [
                    {
                        "type": "line",
                        "product": product["id"],
                        "quantity": 6.0,
                        "unit": product["default_uom"],
                        "unit_price": Decimal("7.2500"),
                        "account": category["account_expense"],
                        "origin": f"purchase.line,{po_line_id}",
                        "stock_moves": [("add", move_ids)],
                    }
                ],
            )
        ],
    }
    (invoice_id,) = client.create("account.invoice", [invoice_values])
    (invoice,) = client.read("account.invoice", [invoice_id], ["state", "total_amount", "lines"])
    assert invoice["state"] == "draft"
    assert invoice["total_amount"] == Decimal("43.50")

    # 4. validate + post
    client.call("account.invoice", "validate_invoice", [invoice_id])
    client.call("account.invoice", "post", [invoice_id])
    (invoice,) = client.read("account.invoice", [invoice_id], ["state", "number", "amount_to_pay"])
    assert invoice["state"] == "posted"
    assert invoice["number"]
    assert invoice["amount_to_pay"] == Decimal("43.50")
    assert client.search("account.invoice", [("reference", "=", our_reference)]) == [invoice_id]

    # 5. payment through the account.invoice.pay wizard, then the state the connector pulls back
    (method_id,) = client.search("account.invoice.payment.method", [("name", "=", "Bank transfer")])
    result = client.run_wizard(
        "account.invoice.pay",
        model="account.invoice",
        ids=[invoice_id],
        steps=[("choice", {"payment_method": method_id})],
    )
    assert "view" not in result
    (invoice,) = client.read("account.invoice", [invoice_id], ["state", "amount_to_pay", "payment_lines"])
    assert invoice["state"] == "paid"
    assert invoice["amount_to_pay"] == Decimal(0)
    assert invoice["payment_lines"]
    (po,) = client.read("purchase.purchase", [po_id], ["state", "invoice_state", "shipment_state"])
    assert po["invoice_state"] == "paid"
    assert po["shipment_state"] == "received"


def test_a_user_warning_is_acknowledged_only_through_the_explicit_helper(client: TrytonClient) -> None:
    (supplier,) = client.search_read("party.party", [("name", "=", "CareGoods Inc")], ["id", "addresses"])
    (payable_id,) = client.search("account.account", [("type.payable", "=", True), ("closed", "!=", True)], limit=1)
    (journal_id,) = client.search("account.journal", [("type", "=", "expense")], limit=1)
    reference = f"DUP-{uuid.uuid4().hex[:8]}"
    header = {
        "type": "in",
        "party": supplier["id"],
        "invoice_address": supplier["addresses"][0],
        "journal": journal_id,
        "account": payable_id,
        "invoice_date": dt.date.today(),
        "reference": reference,
    }
    (first,) = client.create("account.invoice", [header])
    client.call("account.invoice", "validate_invoice", [first])
    (second,) = client.create("account.invoice", [header])

    # Same supplier, same reference: Tryton's "similar invoice" confirm dialog.
    with pytest.raises(TrytonWarningError) as warned:
        client.call("account.invoice", "validate_invoice", [second])
    assert warned.value.key.endswith(".invoice_similar")
    assert not warned.value.retryable

    _, acknowledged = client.call_acknowledging_warnings("account.invoice", "validate_invoice", [second])
    assert acknowledged == [warned.value.key]
    states = {invoice["id"]: invoice["state"] for invoice in client.read("account.invoice", [first, second], ["state"])}
    assert states == {first: "validated", second: "validated"}
