"""UBL 2.1 Invoice and CreditNote (PEPPOL BIS Billing 3.0 style) parsed into a CanonicalInvoice.

Decisions where UBL leaves room:
- the root decides the document type (CreditNote -> credit_memo); amounts are taken as given, since UBL credit
  notes already state them positive;
- every amount must carry a currencyID equal to DocumentCurrencyCode (the UBL XSD requires the attribute). The one
  exception is a TaxTotal stated in cbc:TaxCurrencyCode (PEPPOL's second TaxTotal, in the tax accounting currency):
  it is skipped, not added to the tax amount;
- due date: cbc:DueDate, else cac:PaymentMeans/cbc:PaymentDueDate (UBL 2.1 CreditNote has no header DueDate);
- vendor_ref: the supplier's EndpointID (its address on the PEPPOL network), else its first PartyIdentification/ID;
  vendor_gln: whichever of those carries schemeID 0088;
- facility: the delivery location ID (the ship-to, the most specific place), else the customer's
  PartyIdentification/ID, else the customer's EndpointID;
- freight: the sum of document-level AllowanceCharge with ChargeIndicator true; document-level allowances are not
  mapped (they are already reflected in PayableAmount);
- total: PayableAmount, else TaxInclusiveAmount;
- line IDs and OrderLineReference/LineID must be whole numbers (the portal numbers lines); a non-numeric one is an
  error, not silently renumbered;
- gtin: StandardItemIdentification/ID with schemeID 0160 (GS1) or GTIN; any other scheme is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element

from matching.intake.canonical import (
    CREDIT_MEMO,
    INVOICE,
    CanonicalInvoice,
    CanonicalLine,
    Problems,
    decimal_or_none,
    echo,
    portal_vendor_number,
    price_per_unit,
    total,
)
from matching.intake.xml_safety import DEFAULT_MAX_BYTES, XmlNode, parse_xml, unsupported_root

INVOICE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
PREFIXES = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
GLN_SCHEME = "0088"
GTIN_SCHEMES = frozenset({"0160", "GTIN"})

_XSD_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


@dataclass(frozen=True, slots=True)
class _Kind:
    """What differs between the Invoice and CreditNote roots."""

    document_type: str
    line: str
    quantity: str


_KINDS = {
    f"{{{INVOICE_NAMESPACE}}}Invoice": _Kind(INVOICE, "cac:InvoiceLine", "cbc:InvoicedQuantity"),
    f"{{{CREDIT_NOTE_NAMESPACE}}}CreditNote": _Kind(CREDIT_MEMO, "cac:CreditNoteLine", "cbc:CreditedQuantity"),
}


def is_ubl_root(root: Element) -> bool:
    """Whether a parsed root is a UBL Invoice or CreditNote."""
    return root.tag in _KINDS


def parse_ubl(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CanonicalInvoice:
    """Parse a UBL 2.1 Invoice or CreditNote, or raise DocumentError listing every problem found."""
    return ubl_invoice(parse_xml(data, max_bytes=max_bytes).root)


class _Reader:
    """Reads one document's values, recording problems instead of stopping at the first."""

    def __init__(self, problems: Problems) -> None:
        """Start with no document currency known."""
        self.problems = problems
        self.currency = ""

    def optional_date(self, node: XmlNode, name: str) -> date | None:
        """An optional xsd:date child (a time zone suffix is allowed and ignored)."""
        text = node.text_at(name)
        if not text:
            return None
        match = _XSD_DATE.fullmatch(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        self.problems.add(node.path_to(name), f"{echo(text)} is not a date (YYYY-MM-DD)")
        return None

    def required_date(self, node: XmlNode, name: str) -> date:
        """A required xsd:date child; a missing or bad one is recorded and stands in as date.min."""
        if not node.text_at(name):
            self.problems.add(node.path_to(name), "is required")
        return self.optional_date(node, name) or date.min

    def amount(self, node: XmlNode | None, path: str, *, required: bool) -> Decimal:
        """An amount whose currencyID must be the document currency; zero when absent."""
        if node is None:
            if required:
                self.problems.add(path, "is required")
            return Decimal(0)
        value = self.problems.decimal(node.text, node.path)
        currency_id = node.attribute("currencyID")
        if not currency_id:
            self.problems.add(node.attribute_path("currencyID"), "is required")
        elif self.currency and currency_id.upper() != self.currency:
            self.problems.add(
                node.attribute_path("currencyID"),
                f"{echo(currency_id)} differs from the document currency {self.currency}",
            )
        return value

    def optional_whole_number(self, node: XmlNode | None, *names: str) -> int | None:
        """A whole number that may be absent (a PO line reference)."""
        found = node.find(*names) if node is not None else None
        if found is None or not found.text:
            return None
        return self.problems.whole_number(found.text, found.path)


def ubl_invoice(root: Element) -> CanonicalInvoice:
    """Map a parsed UBL root to the canonical record, or raise DocumentError."""
    kind = _KINDS.get(root.tag)
    if kind is None:
        raise unsupported_root(root, "a UBL 2.1 Invoice or CreditNote")
    document = XmlNode.root_of(root, PREFIXES)
    problems = Problems()
    reader = _Reader(problems)

    invoice_number = problems.required(document.text_at("cbc:ID"), document.path_to("cbc:ID"))
    invoice_date = reader.required_date(document, "cbc:IssueDate")
    due_date = reader.optional_date(document, "cbc:DueDate")
    payment_means = document.child("cac:PaymentMeans")
    if due_date is None and payment_means is not None:
        due_date = reader.optional_date(payment_means, "cbc:PaymentDueDate")
    currency_path = document.path_to("cbc:DocumentCurrencyCode")
    reader.currency = problems.currency(document.text_at("cbc:DocumentCurrencyCode"), currency_path)

    supplier = _party(document, "cac:AccountingSupplierParty", problems)
    customer = _party(document, "cac:AccountingCustomerParty", problems)
    # The buyer's own number for the supplier sits beside cac:Party, not inside it.
    account = document.text_at("cac:AccountingSupplierParty", "cbc:CustomerAssignedAccountID")
    vendor = _vendor(supplier, account)
    customer_ids = [node.text for node in _party_ids(customer)]
    facility = (
        document.text_at("cac:Delivery", "cac:DeliveryLocation", "cbc:ID")
        or next(iter(customer_ids), "")
        or (customer.text_at("cbc:EndpointID") if customer is not None else "")
    )

    tax_amount = _tax_amount(document, reader)
    freight_amount = _freight_amount(document, reader)
    subtotal, total_amount = _monetary_total(document, reader)
    lines = tuple(_line(node, kind, reader) for node in document.children(kind.line))
    if not lines:
        problems.add(document.path_to(kind.line), "a document needs at least one line")
    _check_line_numbers(document.children(kind.line), lines, problems)

    problems.raise_if_any()
    return CanonicalInvoice(
        document_type=kind.document_type,
        invoice_number=invoice_number,
        invoice_date=invoice_date,
        due_date=due_date,
        currency=reader.currency,
        vendor_number=vendor.number,
        vendor_ref_system=vendor.ref_system,
        vendor_ref_id=vendor.ref_id,
        vendor_tax_id=vendor.tax_id,
        vendor_gln=vendor.gln,
        vendor_name=vendor.name,
        facility=facility,
        po_number=document.text_at("cac:OrderReference", "cbc:ID"),
        original_invoice_number=(
            document.text_at("cac:BillingReference", "cac:InvoiceDocumentReference", "cbc:ID")
            if kind.document_type == CREDIT_MEMO
            else ""
        ),
        subtotal=subtotal,
        tax_amount=tax_amount,
        freight_amount=freight_amount,
        total_amount=total_amount,
        lines=lines,
        source_format="ubl",
    )


def _party(document: XmlNode, role: str, problems: Problems) -> XmlNode | None:
    """The cac:Party of a required party role."""
    party = document.find(role, "cac:Party")
    if party is None:
        problems.add(document.path_to(role, "cac:Party"), "is required")
    return party


def _party_ids(party: XmlNode | None) -> list[XmlNode]:
    """A party's PartyIdentification/ID elements that have a value."""
    if party is None:
        return []
    found = (identification.child("cbc:ID") for identification in party.children("cac:PartyIdentification"))
    return [node for node in found if node is not None and node.text]


@dataclass(frozen=True, slots=True)
class _Vendor:
    """How the document names its supplier."""

    number: str = ""
    ref_system: str = ""
    ref_id: str = ""
    tax_id: str = ""
    gln: str = ""
    name: str = ""


def _vendor(supplier: XmlNode | None, account: str) -> _Vendor:
    """The supplier's identifiers and name (`account`: the ID the buyer assigned it, when given)."""
    if supplier is None:
        return _Vendor()
    endpoint = supplier.child("cbc:EndpointID")
    identifiers = ([endpoint] if endpoint is not None and endpoint.text else []) + _party_ids(supplier)
    reference = identifiers[0] if identifiers else None
    scheme = reference.attribute("schemeID") if reference is not None else ""
    glns = [node.text for node in identifiers if node.attribute("schemeID") == GLN_SCHEME]
    tax_ids = [node.text_at("cbc:CompanyID") for node in supplier.children("cac:PartyTaxScheme")]
    return _Vendor(
        number=portal_vendor_number([account, *(node.text for node in identifiers)]),
        ref_system=f"ubl:{scheme}" if scheme else "ubl",
        ref_id=reference.text if reference is not None else "",
        tax_id=next((tax_id for tax_id in tax_ids if tax_id), ""),
        gln=glns[0] if glns else "",
        name=supplier.text_at("cac:PartyLegalEntity", "cbc:RegistrationName")
        or supplier.text_at("cac:PartyName", "cbc:Name"),
    )


def _tax_amount(document: XmlNode, reader: _Reader) -> Decimal:
    """The document's tax, in the document currency."""
    tax_currency = document.text_at("cbc:TaxCurrencyCode").upper()
    amounts = []
    for tax_total in document.children("cac:TaxTotal"):
        node = tax_total.child("cbc:TaxAmount")
        stated_in = node.attribute("currencyID").upper() if node is not None else ""
        if tax_currency and tax_currency != reader.currency and stated_in == tax_currency:
            continue
        amounts.append(reader.amount(node, tax_total.path_to("cbc:TaxAmount"), required=True))
    return total(amounts)


def _freight_amount(document: XmlNode, reader: _Reader) -> Decimal:
    """The sum of document-level charges."""
    amounts = []
    for charge in document.children("cac:AllowanceCharge"):
        indicator = charge.text_at("cbc:ChargeIndicator").lower()
        if indicator in _TRUE:
            amounts.append(reader.amount(charge.child("cbc:Amount"), charge.path_to("cbc:Amount"), required=True))
        elif indicator not in _FALSE:
            reader.problems.add(charge.path_to("cbc:ChargeIndicator"), f"{echo(indicator)} is not true or false")
    return total(amounts)


def _monetary_total(document: XmlNode, reader: _Reader) -> tuple[Decimal, Decimal]:
    """(subtotal, total) from LegalMonetaryTotal."""
    monetary = document.child("cac:LegalMonetaryTotal")
    if monetary is None:
        reader.problems.add(document.path_to("cac:LegalMonetaryTotal"), "is required")
        return Decimal(0), Decimal(0)
    subtotal = reader.amount(
        monetary.child("cbc:LineExtensionAmount"), monetary.path_to("cbc:LineExtensionAmount"), required=True
    )
    payable = monetary.child("cbc:PayableAmount") or monetary.child("cbc:TaxInclusiveAmount")
    return subtotal, reader.amount(payable, monetary.path_to("cbc:PayableAmount"), required=True)


def _line(node: XmlNode, kind: _Kind, reader: _Reader) -> CanonicalLine:
    """One InvoiceLine or CreditNoteLine."""
    problems = reader.problems
    quantity_node = node.child(kind.quantity)
    quantity, unit = Decimal(0), ""
    if quantity_node is None:
        problems.add(node.path_to(kind.quantity), "is required")
    else:
        quantity = problems.decimal(quantity_node.text, quantity_node.path)
        unit = quantity_node.attribute("unitCode")
        if not unit:
            problems.add(quantity_node.attribute_path("unitCode"), "is required")
    item = node.child("cac:Item")
    if item is None:
        problems.add(node.path_to("cac:Item"), "is required")
    return CanonicalLine(
        line_number=problems.whole_number(node.text_at("cbc:ID"), node.path_to("cbc:ID")),
        po_line_number=reader.optional_whole_number(node, "cac:OrderLineReference", "cbc:LineID"),
        item_code=item.text_at("cac:SellersItemIdentification", "cbc:ID") if item is not None else "",
        gtin=_gtin(item),
        description=(item.text_at("cbc:Name") or item.text_at("cbc:Description")) if item is not None else "",
        quantity=quantity,
        unit_of_measure=unit,
        unit_price=_unit_price(node, reader),
        amount=reader.amount(
            node.child("cbc:LineExtensionAmount"), node.path_to("cbc:LineExtensionAmount"), required=True
        ),
    )


def _gtin(item: XmlNode | None) -> str:
    """The item's GS1 GTIN, if it gives one."""
    if item is None:
        return ""
    for identification in item.children("cac:StandardItemIdentification"):
        node = identification.child("cbc:ID")
        if node is not None and node.text and node.attribute("schemeID").upper() in GTIN_SCHEMES:
            return node.text
    return ""


def _unit_price(line: XmlNode, reader: _Reader) -> Decimal:
    """The price of one unit: PriceAmount, divided by BaseQuantity when the price is per several units."""
    price = reader.amount(
        line.find("cac:Price", "cbc:PriceAmount"), line.path_to("cac:Price", "cbc:PriceAmount"), required=True
    )
    base = line.find("cac:Price", "cbc:BaseQuantity")
    if base is None or not base.text:
        return price
    base_quantity = decimal_or_none(base.text)
    if base_quantity is None or base_quantity <= 0:
        reader.problems.add(base.path, f"{echo(base.text)} is not a quantity above zero")
        return price
    return price_per_unit(price, base_quantity)


def _check_line_numbers(nodes: list[XmlNode], lines: tuple[CanonicalLine, ...], problems: Problems) -> None:
    """Each line number may be used once (the portal keys lines by it)."""
    seen: set[int] = set()
    for node, line in zip(nodes, lines, strict=True):
        if line.line_number and line.line_number in seen:
            problems.add(node.path_to("cbc:ID"), f"line number {line.line_number} is used by an earlier line")
        seen.add(line.line_number)
