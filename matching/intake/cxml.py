"""cXML InvoiceDetailRequest (Ariba, Coupa and other procurement networks) parsed into a CanonicalInvoice.

The document's `<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/...">` is allowed and never fetched (see xml_safety).

Decisions where cXML leaves room:
- purpose standard, debitMemo and lineLevelDebitMemo are invoices; creditMemo and lineLevelCreditMemo are credit
  memos. cXML states credit memo amounts negative, but senders disagree on whether the quantity, the unit price or
  both carry the minus sign, so a credit memo's quantities and amounts are all stored as absolute values: the sign
  comes from the purpose, never from the numbers;
- only operation="new" is accepted; a delete (cancellation) is unsupported_document, as are InvoiceDetailServiceItem
  lines (service invoices), rather than silently dropping them. Header-level invoices (InvoiceDetailHeaderOrder, as
  Ariba sends creditMemo) have no lines;
- the document currency is that of InvoiceDetailSummary/SubtotalAmount; every other Money must match it;
- invoiceDate keeps the sender's calendar date (the time and zone are not converted to UTC);
- due date: invoice date + the longest PaymentTerm/@payInNumberOfDays (the net term; shorter ones are discount
  terms); none without payment terms;
- vendor_ref: the From credential whose domain is NetworkID (case-insensitive), else the first From credential;
  vendor name, tax id and GLN come from InvoicePartner contacts with a supplier role (from, supplierCorporate,
  remitTo, in that order of preference);
- facility: the shipTo contact's addressID, else the To credential's Identity;
- an invoice bills one purchase order: InvoiceDetailOrder blocks naming different orderIDs are an error;
- a line without SubtotalAmount gets quantity * unit price; total is DueAmount, else NetAmount;
  freight is ShippingAmount + SpecialHandlingAmount.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    line_amount,
    portal_vendor_number,
    price_per_unit,
    refuse,
)
from matching.intake.xml_safety import DEFAULT_MAX_BYTES, XmlNode, local_name, parse_xml, unsupported_root

CXML_DOCTYPES = frozenset({"cXML"})
PURPOSES: dict[str, str] = {
    "standard": INVOICE,
    "debitMemo": INVOICE,
    "lineLevelDebitMemo": INVOICE,
    "creditMemo": CREDIT_MEMO,
    "lineLevelCreditMemo": CREDIT_MEMO,
}
SUPPLIER_ROLES = ("from", "supplierCorporate", "remitTo")
# Domains compared lower-cased: senders spell them taxID, TaxId, fedTaxID...
TAX_DOMAINS = frozenset({"taxid", "fedtaxid", "suppliertaxid", "vatid", "suppliervatid", "gstid"})
GLN_DOMAINS = frozenset({"gln", "iln"})
GTIN_DOMAINS = frozenset({"gtin", "ean", "ean-13", "ean13", "upc", "upc-a", "ucc-12"})

_ISO_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?")


def is_cxml_root(root: Element) -> bool:
    """Whether a parsed root is a cXML envelope."""
    return root.tag == "cXML"


def parse_cxml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CanonicalInvoice:
    """Parse a cXML InvoiceDetailRequest, or raise DocumentError listing every problem found."""
    return cxml_invoice(parse_xml(data, max_bytes=max_bytes, allowed_doctypes=CXML_DOCTYPES).root)


class _Money:
    """Reads cXML Money, checking every currency against the document's."""

    def __init__(self, problems: Problems) -> None:
        """Start with no document currency known."""
        self.problems = problems
        self.currency = ""

    def read(self, parent: XmlNode, name: str, *, required: bool = False) -> Decimal | None:
        """The Money inside parent/name (None when the element is absent and not required)."""
        holder = parent.child(name)
        if holder is None:
            if required:
                self.problems.add(parent.path_to(name), "is required")
                return Decimal(0)
            return None
        money = holder.child("Money")
        if money is None:
            self.problems.add(holder.path_to("Money"), "is required")
            return Decimal(0)
        value = self.problems.decimal(money.text, money.path)
        currency = money.attribute("currency")
        if not currency:
            self.problems.add(money.attribute_path("currency"), "is required")
        elif self.currency and currency.upper() != self.currency:
            self.problems.add(
                money.attribute_path("currency"),
                f"{echo(currency)} differs from the invoice currency {self.currency} (InvoiceDetailSummary)",
            )
        return value


def cxml_invoice(root: Element) -> CanonicalInvoice:
    """Map a parsed cXML root to the canonical record, or raise DocumentError."""
    if not is_cxml_root(root):
        raise unsupported_root(root, "cXML")
    document = XmlNode.root_of(root, {})
    body = _invoice_detail_request(document)
    header = body.child("InvoiceDetailRequestHeader")
    if header is None:
        raise refuse("invalid_document", body.path_to("InvoiceDetailRequestHeader"), "is required")
    operation = header.attribute("operation") or "new"
    if operation != "new":
        raise refuse(
            "unsupported_document",
            header.attribute_path("operation"),
            f"{echo(operation)}: only new invoices are accepted (cancel an invoice with a credit memo)",
        )
    for order in body.children("InvoiceDetailOrder"):
        service = order.child("InvoiceDetailServiceItem")
        if service is not None:
            raise refuse("unsupported_document", service.path, "service invoice lines are not accepted yet")

    problems = Problems()
    money = _Money(problems)
    summary = body.child("InvoiceDetailSummary")
    if summary is None:
        problems.add(body.path_to("InvoiceDetailSummary"), "is required")
    else:
        subtotal_money = summary.find("SubtotalAmount", "Money")
        # A missing currency attribute is reported once, by the Money reader below.
        if subtotal_money is not None and subtotal_money.attribute("currency"):
            money.currency = problems.currency(
                subtotal_money.attribute("currency"), subtotal_money.attribute_path("currency")
            )

    purpose = header.attribute("purpose") or "standard"
    document_type = PURPOSES.get(purpose, INVOICE)
    if purpose not in PURPOSES:
        problems.add(header.attribute_path("purpose"), f"{echo(purpose)} is not one of {', '.join(PURPOSES)}")
    sign = _Sign(credit=document_type == CREDIT_MEMO)

    invoice_number = problems.required(header.attribute("invoiceID"), header.attribute_path("invoiceID"))
    invoice_date = _date(header, "invoiceDate", problems)
    credentials = _Credentials(document)
    vendor = _vendor(header, credentials)
    lines, po_number = _orders(body, money, problems, sign)
    due_date = _due_date(header, invoice_date, problems)
    original = header.child("InvoiceIDInfo")

    subtotal = tax = freight = total_amount = Decimal(0)
    if summary is not None:
        subtotal = money.read(summary, "SubtotalAmount", required=True) or Decimal(0)
        tax = money.read(summary, "Tax") or Decimal(0)
        freight = (money.read(summary, "ShippingAmount") or Decimal(0)) + (
            money.read(summary, "SpecialHandlingAmount") or Decimal(0)
        )
        due = money.read(summary, "DueAmount")
        total_amount = due if due is not None else money.read(summary, "NetAmount", required=True) or Decimal(0)

    problems.raise_if_any()
    return CanonicalInvoice(
        document_type=document_type,
        invoice_number=invoice_number,
        invoice_date=invoice_date,
        due_date=due_date,
        currency=money.currency,
        vendor_number=vendor.number,
        vendor_ref_system=credentials.vendor_system,
        vendor_ref_id=credentials.vendor_id,
        vendor_tax_id=vendor.tax_id,
        vendor_gln=vendor.gln,
        vendor_name=vendor.name,
        facility=_ship_to(header) or credentials.buyer_id,
        po_number=po_number,
        original_invoice_number=(
            original.attribute("invoiceID") if original is not None and document_type == CREDIT_MEMO else ""
        ),
        subtotal=sign(subtotal),
        tax_amount=sign(tax),
        freight_amount=sign(freight),
        total_amount=sign(total_amount),
        lines=lines,
        source_format="cxml",
    )


def _invoice_detail_request(document: XmlNode) -> XmlNode:
    """The InvoiceDetailRequest inside the envelope, or unsupported_document for any other cXML message."""
    request = document.child("Request")
    if request is None:
        raise refuse("unsupported_document", document.path_to("Request"), "only a cXML Request is accepted")
    body = request.child("InvoiceDetailRequest")
    if body is None:
        carried = [local_name(child.tag) for child in request.element]
        what = carried[0] if carried else "nothing"
        raise refuse("unsupported_document", request.path, f"carries {what}, not an InvoiceDetailRequest")
    return body


class _Sign:
    """Credit memos are stored positive whatever sign the sender used."""

    def __init__(self, *, credit: bool) -> None:
        """Remember whether the document is a credit memo."""
        self.credit = credit

    def __call__(self, value: Decimal) -> Decimal:
        """The value as the canonical record stores it."""
        return abs(value) if self.credit else value


def _date(header: XmlNode, attribute: str, problems: Problems) -> date:
    """An ISO 8601 date or date-time attribute's calendar date; a bad one is recorded and stands in as date.min."""
    text = header.attribute(attribute)
    path = header.attribute_path(attribute)
    if not text:
        problems.add(path, "is required")
        return date.min
    match = _ISO_DATE_TIME.fullmatch(text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    problems.add(path, f"{echo(text)} is not an ISO 8601 date-time (2025-11-24T10:30:00-05:00)")
    return date.min


def _due_date(header: XmlNode, invoice_date: date, problems: Problems) -> date | None:
    """The invoice date plus the net payment term, when terms are given."""
    terms = header.children("PaymentTerm") + header.children("InvoiceDetailPaymentTerm")
    days = [(term.attribute("payInNumberOfDays"), term.attribute_path("payInNumberOfDays")) for term in terms]
    given = [(text, path) for text, path in days if text]
    if not given:
        return None
    due_dates = [problems.due_after(invoice_date, text, path) for text, path in given]
    known = [due for due in due_dates if due is not None]
    return max(known) if known else None


class _Credentials:
    """Who the envelope says sent and receives the invoice."""

    def __init__(self, document: XmlNode) -> None:
        """Pick the sender's network credential and the receiver's identity."""
        senders = _credentials(document, "From")
        preferred = [node for node in senders if node.attribute("domain").lower() == "networkid"] or senders
        sender = next((node for node in preferred if node.text_at("Identity")), None)
        self.vendor_system = f"cxml:{sender.attribute('domain')}" if sender is not None else ""
        self.vendor_id = sender.text_at("Identity") if sender is not None else ""
        self.sender_ids = [node.text_at("Identity") for node in senders]
        receivers = [node.text_at("Identity") for node in _credentials(document, "To")]
        self.buyer_id = next((identity for identity in receivers if identity), "")


def _credentials(document: XmlNode, role: str) -> list[XmlNode]:
    """The Credential elements of Header/From or Header/To."""
    party = document.find("Header", role)
    return party.children("Credential") if party is not None else []


@dataclass(frozen=True, slots=True)
class _Vendor:
    """How the invoice partners name the supplier."""

    number: str
    tax_id: str
    gln: str
    name: str


def _supplier_partners(header: XmlNode) -> Iterator[XmlNode]:
    """InvoicePartner elements whose contact is the supplier, most telling role first."""
    partners = header.children("InvoicePartner")
    for role in SUPPLIER_ROLES:
        yield from (partner for partner in partners if _role(partner) == role)


def _role(partner: XmlNode) -> str:
    """The role of an InvoicePartner's contact."""
    contact = partner.child("Contact")
    return contact.attribute("role") if contact is not None else ""


def _vendor(header: XmlNode, credentials: _Credentials) -> _Vendor:
    """The supplier's name and identifiers from its InvoicePartner entries."""
    names, tax_ids, glns, candidates = [], [], [], list(credentials.sender_ids)
    for partner in _supplier_partners(header):
        contact = partner.child("Contact")
        if contact is None:
            continue
        names.append(contact.text_at("Name"))
        address_id = contact.attribute("addressID")
        candidates.append(address_id)
        if address_id and contact.attribute("addressIDDomain").lower() in GLN_DOMAINS:
            glns.append(address_id)
        for reference in partner.children("IdReference"):
            domain, identifier = reference.attribute("domain").lower(), reference.attribute("identifier")
            candidates.append(identifier)
            if domain in TAX_DOMAINS:
                tax_ids.append(identifier)
            elif domain in GLN_DOMAINS:
                glns.append(identifier)
    return _Vendor(
        number=portal_vendor_number(candidates),
        tax_id=next((value for value in tax_ids if value), ""),
        gln=next((value for value in glns if value), ""),
        name=next((value for value in names if value), ""),
    )


def _ship_to(header: XmlNode) -> str:
    """The addressID of the shipTo contact, from the shipping block or an invoice partner."""
    shipping = header.child("InvoiceDetailShipping")
    contacts = shipping.children("Contact") if shipping is not None else []
    contacts += [contact for partner in header.children("InvoicePartner") for contact in partner.children("Contact")]
    return next(
        (
            contact.attribute("addressID")
            for contact in contacts
            if contact.attribute("role") == "shipTo" and contact.attribute("addressID")
        ),
        "",
    )


def _order_id(order: XmlNode) -> tuple[str, str]:
    """(orderID, its path) from an order block's InvoiceDetailOrderInfo."""
    info = order.child("InvoiceDetailOrderInfo")
    if info is None:
        return "", order.path_to("InvoiceDetailOrderInfo")
    for name in ("OrderReference", "OrderIDInfo"):
        reference = info.child(name)
        if reference is not None and reference.attribute("orderID"):
            return reference.attribute("orderID"), reference.attribute_path("orderID")
    return "", info.path


def _orders(body: XmlNode, money: _Money, problems: Problems, sign: _Sign) -> tuple[tuple[CanonicalLine, ...], str]:
    """The lines of every order block, and the one purchase order they bill."""
    orders = body.children("InvoiceDetailOrder")
    header_orders = body.children("InvoiceDetailHeaderOrder")
    if not orders and not header_orders:
        problems.add(
            body.path_to("InvoiceDetailOrder"), "an InvoiceDetailOrder or InvoiceDetailHeaderOrder is required"
        )
    po_number = ""
    for order in orders + header_orders:
        order_id, path = _order_id(order)
        if order_id and po_number and order_id != po_number:
            problems.add(path, f"an invoice bills one purchase order: {echo(po_number)} and {echo(order_id)} differ")
        po_number = po_number or order_id
    lines: list[CanonicalLine] = []
    seen: set[int] = set()
    for order in orders:
        for item in order.children("InvoiceDetailItem"):
            line = _line(item, money, problems, sign)
            if line.line_number and line.line_number in seen:
                problems.add(
                    item.attribute_path("invoiceLineNumber"),
                    f"line number {line.line_number} is used by an earlier line",
                )
            seen.add(line.line_number)
            lines.append(line)
        if not order.children("InvoiceDetailItem"):
            problems.add(order.path_to("InvoiceDetailItem"), "an order block needs at least one item")
    return tuple(lines), po_number


def _line(item: XmlNode, money: _Money, problems: Problems, sign: _Sign) -> CanonicalLine:
    """One InvoiceDetailItem."""
    quantity = problems.decimal(item.attribute("quantity"), item.attribute_path("quantity"))
    unit_price = money.read(item, "UnitPrice", required=True) or Decimal(0)
    basis = item.child("PriceBasisQuantity")
    if basis is not None:
        basis_quantity = decimal_or_none(basis.attribute("quantity"))
        if basis_quantity is None or basis_quantity <= 0:
            problems.add(basis.attribute_path("quantity"), f"{echo(basis.attribute('quantity'))} is not above zero")
        else:
            unit_price = price_per_unit(unit_price, basis_quantity)
    reference = item.child("InvoiceDetailItemReference")
    if reference is None:
        problems.add(item.path_to("InvoiceDetailItemReference"), "is required")
        reference = XmlNode(Element("InvoiceDetailItemReference"), item.path_to("InvoiceDetailItemReference"), {})
    po_line_text = reference.attribute("lineNumber")
    amount = money.read(item, "SubtotalAmount")
    return CanonicalLine(
        line_number=problems.whole_number(
            item.attribute("invoiceLineNumber"), item.attribute_path("invoiceLineNumber")
        ),
        po_line_number=(
            problems.whole_number(po_line_text, reference.attribute_path("lineNumber")) if po_line_text else None
        ),
        item_code=reference.text_at("ItemID", "SupplierPartID"),
        gtin=_gtin(reference),
        description=_description(reference),
        quantity=sign(quantity),
        unit_of_measure=problems.required(item.text_at("UnitOfMeasure"), item.path_to("UnitOfMeasure")),
        unit_price=sign(unit_price),
        amount=sign(amount if amount is not None else line_amount(quantity, unit_price)),
    )


def _gtin(reference: XmlNode) -> str:
    """A GTIN from ItemID/IdReference (a GS1 domain) or the retail EANID."""
    item_id = reference.child("ItemID")
    for node in item_id.children("IdReference") if item_id is not None else []:
        if node.attribute("domain").lower() in GTIN_DOMAINS and node.attribute("identifier"):
            return node.attribute("identifier")
    return reference.text_at("InvoiceDetailItemReferenceIndustry", "InvoiceDetailItemReferenceRetail", "EANID")


def _description(reference: XmlNode) -> str:
    """The item description's text, or its ShortName when that is all there is."""
    description = reference.child("Description")
    if description is None:
        return ""
    return description.text or description.text_at("ShortName")
