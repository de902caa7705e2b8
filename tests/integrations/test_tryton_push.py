"""The Tryton connector's push side against the live trytond: parties, merges, posted supplier invoices, payments.

Every delivery is made twice (a redelivery after a lost acknowledgement): Tryton must show one effect."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from integrations.errors import PermanentError
from integrations.tryton.connector import TrytonConnector
from integrations.tryton.mapping_outbound import invoice_reference
from integrations.tryton.push import _invoice_create, party_upsert
from matching.models import Invoice
from tests.integrations.outbox_support import approved_invoice, erp_system, erp_vendor, tryton_client, two_way_order
from vendors.services.records import SiteData

pytestmark = pytest.mark.django_db


@pytest.fixture
def connector(tryton):
    system = erp_system(tryton)
    connector = TrytonConnector(system)
    yield connector
    connector.close()


@pytest.fixture
def erp(tryton):
    with tryton_client(tryton) as client:
        yield client


def parties(erp, code: str) -> list[dict]:
    return erp.search_read(
        "party.party",
        [("code", "=", code)],
        ["id", "name", "active", "identifiers", "addresses"],
        context={"active_test": False},
    )


def test_a_vendor_becomes_one_party_with_its_identifiers_and_address_however_often_it_is_sent(connector, erp) -> None:
    vendor = erp_vendor("Push Medical Supply LLC", tax_id="912345678", tax_id_kind="ein", duns="123456789")
    first = connector.deliver("vendor.created", {"vendor": vendor.number})
    again = connector.deliver("vendor.created", {"vendor": vendor.number})
    assert first == again
    (party,) = parties(erp, vendor.number)
    assert first == f"party.party,{party['id']}"
    assert party["name"] == "Push Medical Supply LLC"
    identifiers = {
        (row["type"], row["code"]) for row in erp.read("party.identifier", party["identifiers"], ["type", "code"])
    }
    assert identifiers == {("us_ein", "91-2345678"), (None, "123456789")}
    (address,) = erp.read("party.address", party["addresses"], ["street", "city", "postal_code"])
    assert (address["street"], address["city"], address["postal_code"]) == ("100 Main St", "Springfield", "62701")


def test_a_changed_vendor_updates_its_party_in_place(connector, erp) -> None:
    vendor = erp_vendor("Change Me Surgical Inc", duns="987654321")
    connector.deliver("vendor.created", {"vendor": vendor.number})
    vendor.legal_name = "Changed Surgical Inc"
    vendor.duns = ""
    vendor.gln = "0614141000012"
    vendor.save()
    vendor.sites.update(city="Shelbyville")
    connector.deliver("vendor.changed", {"vendor": vendor.number})
    (party,) = parties(erp, vendor.number)
    assert party["name"] == "Changed Surgical Inc"
    codes = {row["code"] for row in erp.read("party.identifier", party["identifiers"], ["code"])}
    assert codes == {"0614141000012"}
    (address,) = erp.read("party.address", party["addresses"], ["city"])
    assert address["city"] == "Shelbyville"


def test_a_merge_deactivates_the_merged_party_and_keeps_the_survivor(connector, erp) -> None:
    loser = erp_vendor("Merged Away Supplies Inc")
    survivor = erp_vendor("Surviving Supplies Inc", sites=[SiteData(address_line1="9 Dock Rd", city="Ogdenville")])
    connector.deliver("vendor.created", {"vendor": loser.number})
    payload = {"merged": loser.number, "survivor": survivor.number}
    connector.deliver("vendor.merged", payload)
    connector.deliver("vendor.merged", payload)
    (merged,) = parties(erp, loser.number)
    (kept,) = parties(erp, survivor.number)
    assert not merged["active"]
    assert kept["active"]


def test_an_unknown_vendor_or_topic_is_permanent(connector) -> None:
    with pytest.raises(PermanentError):
        connector.deliver("vendor.created", {"vendor": "V-999999"})
    with pytest.raises(PermanentError):
        connector.deliver("vendor.bank_changed", {"vendor": "V-000001"})


def test_an_approved_invoice_is_posted_once_with_our_reference(connector, erp, north) -> None:
    vendor = erp_vendor("Invoice Push Medical Inc")
    order = two_way_order(north, vendor, "PO-PUSH-1")
    invoice = approved_invoice(
        vendor, north, order, "INV-PUSH-1", tax_amount=Decimal("1.40"), total_amount=Decimal("15.40")
    )
    first = connector.deliver("invoice.approved", {"invoice": invoice.pk})
    again = connector.deliver("invoice.approved", {"invoice": invoice.pk})
    assert first == again
    found = erp.search_read(
        "account.invoice",
        [("reference", "=", invoice_reference(invoice.pk))],
        ["id", "state", "type", "total_amount", "description", "party.code"],
    )
    assert [f"account.invoice,{row['id']}" for row in found] == [first]
    (posted,) = found
    assert posted["state"] == "posted"
    assert posted["type"] == "in"
    assert posted["total_amount"] == Decimal("15.40")
    assert posted["party."]["code"] == vendor.number
    assert "INV-PUSH-1" in posted["description"]


def test_a_redelivery_finishes_a_draft_an_interrupted_attempt_left(connector, erp, north) -> None:
    vendor = erp_vendor("Half Done Medical Inc")
    order = two_way_order(north, vendor, "PO-PUSH-2")
    invoice = approved_invoice(vendor, north, order, "INV-PUSH-2")
    # What a worker killed between create and post leaves behind in Tryton.
    party_id = party_upsert(connector.client, invoice.vendor)
    draft_id = _invoice_create(connector.client, connector.system, invoice, party_id, connector.lookups)
    reference = connector.deliver("invoice.approved", {"invoice": invoice.pk})
    assert reference == f"account.invoice,{draft_id}"
    rows = erp.search_read("account.invoice", [("reference", "=", invoice_reference(invoice.pk))], ["state"])
    assert [row["state"] for row in rows] == ["posted"]


def test_a_total_tryton_computes_differently_is_refused_and_leaves_nothing(connector, erp, north) -> None:
    vendor = erp_vendor("Odd Totals Medical Inc")
    order = two_way_order(north, vendor, "PO-PUSH-3")
    invoice = approved_invoice(vendor, north, order, "INV-PUSH-3")
    Invoice.objects.filter(pk=invoice.pk).update(total_amount=Decimal("99.99"))  # a header Tryton cannot reproduce
    with pytest.raises(PermanentError, match=r"99\.99"):
        connector.deliver("invoice.approved", {"invoice": invoice.pk})
    assert erp.search("account.invoice", [("reference", "=", invoice_reference(invoice.pk))]) == []


def test_an_invoice_that_is_not_here_or_not_approved_is_permanent(connector, north) -> None:
    with pytest.raises(PermanentError, match="No invoice"):
        connector.deliver("invoice.approved", {"invoice": 987654321})
    vendor = erp_vendor("Not Approved Medical Inc")
    order = two_way_order(north, vendor, "PO-PUSH-4")
    invoice = approved_invoice(vendor, north, order, "INV-PUSH-4")
    Invoice.objects.filter(pk=invoice.pk).update(status="rejected")
    with pytest.raises(PermanentError, match="rejected"):
        connector.deliver("invoice.approved", {"invoice": invoice.pk})


def test_payment_state_is_pulled_for_our_invoices_paid_in_tryton(connector, erp, north) -> None:
    vendor = erp_vendor("Paid Pull Medical Inc")
    order = two_way_order(north, vendor, "PO-PUSH-5")
    paid = approved_invoice(vendor, north, order, "INV-PUSH-5")
    unpaid = approved_invoice(vendor, north, order, "INV-PUSH-6", quantity="2")
    for invoice in (paid, unpaid):
        connector.deliver("invoice.approved", {"invoice": invoice.pk})
    (tryton_id,) = erp.search("account.invoice", [("reference", "=", invoice_reference(paid.pk))])
    (method_id,) = erp.search("account.invoice.payment.method", [("name", "=", "Bank transfer")])
    erp.run_wizard(
        "account.invoice.pay",
        model="account.invoice",
        ids=[tryton_id],
        steps=[("choice", {"payment_method": method_id})],
    )
    records = [record for page in connector.pull("payment", "") for record in page.records]
    by_reference = Counter(record.reference for record in records)
    assert by_reference[invoice_reference(paid.pk)] == 1
    states = {record.reference: record for record in records}
    assert states[invoice_reference(paid.pk)].paid
    assert states[invoice_reference(paid.pk)].amount_paid == Decimal("14.00")
    assert states[invoice_reference(paid.pk)].paid_on is not None
    assert not states[invoice_reference(unpaid.pk)].paid
