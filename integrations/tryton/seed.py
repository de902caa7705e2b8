"""Seed a freshly activated Tryton 8.2 database with what the P2P connector needs.

Runs inside the Tryton virtualenv (never the project's), in-process through proteus:

    <tryton venv>/bin/python integrations/tryton/seed.py <database> <trytond.conf>

It imports nothing from the project, so it must stay a stand-alone script. Not idempotent: the harness runs it
on a new database and snapshots the result. What it creates is listed in docs/tryton.md.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from decimal import Decimal
from typing import Any

from proteus import Model, Wizard  # type: ignore[import-not-found,unused-ignore]
from proteus import config as proteus_config  # type: ignore[import-not-found,unused-ignore]

STARTED = time.perf_counter()

COMPANY_NAME = "Acme Hospital Trust"
# (name, template code, list price, purchase price of the seeded PO)
PRODUCTS = (
    ("Nitrile gloves (box of 100)", "GLV-100", Decimal("12.00")),
    ("Surgical mask (box of 50)", "MSK-050", Decimal("8.50")),
    ("Saline 0.9% 500 ml", "SAL-500", Decimal("2.40")),
)
# (name, [(identifier type, code)], street, city)
SUPPLIERS = (
    ("MedSupply Ltd", [(None, "5790000000001"), ("us_ein", "91-1144442")], "1 Supply Road", "Springfield"),
    ("CareGoods Inc", [(None, "5790000000018")], "22 Harbour Street", "Shelbyville"),
)


def step(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.2f}s] {message}", flush=True)


def seed(database: str, config_file: str) -> None:
    config = proteus_config.set_trytond(database=database, config_file=config_file)
    step("connected in-process")
    today = dt.date.today()

    party_model = Model.get("party.party")
    currency_model = Model.get("currency.currency")
    usd_found = currency_model.find([("code", "=", "USD")])
    if usd_found:
        usd = usd_found[0]
    else:
        usd = currency_model(name="U.S. Dollar", symbol="$", code="USD", rounding=Decimal("0.01"))
        usd.save()
    rate_model = Model.get("currency.currency.rate")
    if not rate_model.find([("currency", "=", usd.id)]):
        rate_model(date=dt.date(2000, 1, 1), rate=Decimal(1), currency=usd).save()

    company_party = party_model(name=COMPANY_NAME)
    company_party.addresses[0].street = "100 Hospital Drive"
    company_party.addresses[0].city = "Springfield"
    company_party.save()
    company_config = Wizard("company.company.config")
    company_config.execute("company")
    company_config.form.party = company_party
    company_config.form.currency = usd
    company_config.execute("add")
    # The user's preferences now carry the company; proteus needs them in its context.
    config._context = Model.get("res.user").get_preferences(True, {})
    (company,) = Model.get("company.company").find()
    step(f"company {company.id} in USD")

    account_model = Model.get("account.account")
    chart_root = Model.get("ir.model.data").get_id("account.account_template_root_en", config.context)
    create_chart = Wizard("account.create_chart")
    create_chart.execute("account")
    create_chart.form.account_template = Model.get("account.account.template")(chart_root)
    create_chart.form.company = company
    create_chart.execute("create_account")

    def first_account(kind: str) -> Any:
        (account,) = account_model.find(
            [(f"type.{kind}", "=", True), ("company", "=", company.id), ("closed", "!=", True)], limit=1
        )
        return account

    payable, receivable = first_account("payable"), first_account("receivable")
    expense, revenue = first_account("expense"), first_account("revenue")
    (cash,) = account_model.find([("company", "=", company.id), ("code", "=", "1.1.1")])
    (tax_account,) = account_model.find([("company", "=", company.id), ("code", "=", "6.3.6")])
    create_chart.form.account_receivable = receivable
    create_chart.form.account_payable = payable
    create_chart.form.category_account_expense = expense
    create_chart.form.category_account_revenue = revenue
    create_chart.execute("create_properties")
    step(f"chart of accounts: payable {payable.code}, expense {expense.code}")

    sequence_type = Model.get("ir.sequence.type")
    strict_sequence = Model.get("ir.sequence.strict")
    fiscal_year = Model.get("account.fiscalyear")(
        name=str(today.year),
        company=company,
        start_date=dt.date(today.year, 1, 1),
        end_date=dt.date(today.year, 12, 31),
    )
    (move_type,) = sequence_type.find([("name", "=", "Account Move")], limit=1)
    fiscal_year.move_sequence = strict_sequence(name=f"Moves {today.year}", sequence_type=move_type, company=company)
    fiscal_year.move_sequence.save()
    (invoice_type,) = sequence_type.find([("name", "=", "Invoice")], limit=1)
    invoice_sequence = strict_sequence(name=f"Invoices {today.year}", sequence_type=invoice_type, company=company)
    invoice_sequence.save()
    (sequences,) = fiscal_year.invoice_sequences
    sequences.in_invoice_sequence = sequences.out_invoice_sequence = invoice_sequence
    sequences.in_credit_note_sequence = sequences.out_credit_note_sequence = invoice_sequence
    fiscal_year.save()
    fiscal_year.click("create_period")
    step(f"fiscal year {fiscal_year.name} with {len(fiscal_year.periods)} periods")

    payment_term = Model.get("account.invoice.payment_term")(name="Net 30")
    payment_term.lines.new(type="remainder").relativedeltas.new(days=30)
    payment_term.save()
    (cash_journal,) = Model.get("account.journal").find([("type", "=", "cash")])
    Model.get("account.invoice.payment.method")(
        name="Bank transfer", journal=cash_journal, credit_account=cash, debit_account=cash
    ).save()

    # Carries the UNECE codes so that UBL invoices with a 10 % "S"/"VAT" tax find it.
    tax = Model.get("account.tax")(
        name="Purchase tax 10%",
        description="Purchase tax 10%",
        type="percentage",
        rate=Decimal("0.10"),
        invoice_account=tax_account,
        credit_note_account=tax_account,
    )
    tax.unece_category_code = "S"
    tax.unece_code = "VAT"
    tax.save()
    step("payment term, payment method, purchase tax")

    suppliers = []
    for name, identifiers, street, city in SUPPLIERS:
        supplier = party_model(name=name)
        for identifier_type, code in identifiers:
            supplier.identifiers.new(type=identifier_type, code=code)
        supplier.addresses[0].street = street
        supplier.addresses[0].city = city
        supplier.save()
        suppliers.append(supplier)
    step(f"suppliers {[s.code for s in suppliers]}")

    category = Model.get("product.category")(
        name="Medical consumables", accounting=True, account_expense=expense, account_revenue=revenue
    )
    category.save()
    (unit,) = Model.get("product.uom").find([("name", "=", "Unit")])
    template_model = Model.get("product.template")
    products = []
    for name, code, list_price in PRODUCTS:
        template = template_model(
            name=name,
            code=code,  # product.product.code is computed from the template's code
            default_uom=unit,
            type="goods",
            purchasable=True,
            list_price=list_price,
            cost_price_method="fixed",
            account_category=category,
        )
        template.save()
        products.append(template.products[0])
    step(f"products {[p.code for p in products]}")

    # One open PO with its receipt done, so that a first pull has a purchase order and a receipt to find.
    purchase = Model.get("purchase.purchase")(
        party=suppliers[0], payment_term=payment_term, invoice_method="manual", reference="SEED-PO-1"
    )
    for product, quantity, price in ((products[0], 10, Decimal("9.50")), (products[1], 4, Decimal("7.25"))):
        purchase.lines.new(product=product, quantity=float(quantity), unit_price=price)
    purchase.click("quote")
    purchase.click("confirm")
    move_model = Model.get("stock.move")
    shipment = Model.get("stock.shipment.in")(supplier=suppliers[0], reference="SEED-ASN-1")
    for move in purchase.moves:
        shipment.incoming_moves.append(move_model(move.id))
    shipment.save()
    shipment.click("receive")
    shipment.click("do")
    purchase.reload()
    step(f"PO {purchase.number} {purchase.state}, receipt {shipment.number} {shipment.state}")
    step("done")


if __name__ == "__main__":
    seed(sys.argv[1], sys.argv[2])
