"""Demo purchase orders, receipts and invoices at NGH that raise every exception code of DESIGN.md at least once,
beside clean invoices, a credit memo and a non-PO invoice waiting for an AP manager."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.models import ApprovalRequest
from approvals.services import approval_request_approve
from matching.intake.canonical import CanonicalInvoice, CanonicalLine
from matching.models import Invoice, PurchaseOrder
from matching.services.intake import invoice_ingest
from matching.services.orders import OrderLineData, ReceiptLineData, purchase_order_upsert, receipt_record
from p2p_portal.demo import ACTOR, DemoLogin
from p2p_portal.models import Facility
from vendors.models import HitStatus, SourceReference, Vendor, VendorStatus
from vendors.screening.services import screening_hit_confirm, vendor_screen
from vendors.services.bank import bank_change_callback_record, bank_change_request_submit
from vendors.services.records import (
    ContactData,
    SiteData,
    vendor_contacts_replace,
    vendor_record_create,
    vendor_sites_replace,
)

TODAY = date(2026, 11, 16)


def _vendor(external_id: str) -> Vendor:
    return SourceReference.objects.select_related("vendor").get(system="ERP", external_id=external_id).vendor


def _line(
    number: int, po_line: int | None, quantity: str, price: str, uom: str = "EA", item: str = ""
) -> CanonicalLine:
    amount = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"))
    return CanonicalLine(
        line_number=number,
        po_line_number=po_line,
        item_code=item,
        gtin="",
        description=f"demo item {item or number}",
        quantity=Decimal(quantity),
        unit_of_measure=uom,
        unit_price=Decimal(price),
        amount=amount,
    )


def _invoice(vendor: Vendor | None, number: str, po: str, *lines: CanonicalLine, **header: object) -> CanonicalInvoice:
    subtotal = sum((line.amount for line in lines), Decimal(0))
    document = CanonicalInvoice(
        document_type="invoice",
        invoice_number=number,
        invoice_date=TODAY,
        due_date=TODAY + timedelta(days=30),
        currency="USD",
        vendor_number=vendor.number if vendor else "V-999001",
        vendor_ref_system="",
        vendor_ref_id="",
        vendor_tax_id="",
        vendor_gln="",
        vendor_name="" if vendor else "Unknown Courier Services",
        facility="NGH",
        po_number=po,
        original_invoice_number="",
        subtotal=subtotal,
        tax_amount=Decimal(0),
        freight_amount=Decimal(0),
        total_amount=subtotal,
        lines=lines,
        source_format="json",
    )
    return replace(document, **header)  # type: ignore[arg-type]


def _order(facility: Facility, number: str, vendor: Vendor, lines: list[OrderLineData], status: str = "open") -> None:
    purchase_order_upsert(
        actor=ACTOR,
        facility=facility,
        number=number,
        vendor=vendor,
        ordered_on=TODAY - timedelta(days=20),
        lines=lines,
        status=status,
        source_system="GHX",
    )


def _special_vendors() -> tuple[Vendor, Vendor, Vendor]:
    """An on-hold vendor, an excluded one (confirmed LEIE hit) and one in its bank-change cooling-off."""
    on_hold = vendor_record_create(
        actor=ACTOR, reason="demo", legal_name="Keystone Courier Services LLC", status=VendorStatus.ON_HOLD
    )
    excluded = vendor_record_create(
        actor=ACTOR, reason="demo", legal_name="Riverside Home Health", status=VendorStatus.ACTIVE
    )
    vendor_sites_replace(
        actor=ACTOR,
        vendor=excluded,
        sites=[SiteData(address_line1="8 River Rd", city="Peoria", state="IL")],
        reason="demo",
    )
    steward2 = get_user_model().objects.get(username="steward2")
    for hit in vendor_screen(actor=ACTOR, vendor=excluded, trigger="create"):
        if hit.status == HitStatus.OPEN:
            screening_hit_confirm(actor=steward2, hit=hit, reason="Same agency and address as the LEIE entry (1128b4).")
    cooling = _vendor("ERP-1003")
    if not cooling.contacts.filter(active=True).exclude(phone="").exists():
        vendor_contacts_replace(
            actor=ACTOR, vendor=cooling, contacts=[ContactData(name="AR desk", phone="312-555-0142")], reason="demo"
        )
    users = get_user_model().objects
    change = bank_change_request_submit(
        actor=users.get(username="steward"),
        vendor=cooling,
        facility=Facility.objects.get(code="NGH"),
        holder_name=cooling.legal_name,
        routing_number="071000013",
        account_number="5500660077",
        reason="Vendor letter of 2026-11-12: new operating account.",
    )
    bank_change_callback_record(
        actor=steward2,
        change=change,
        phone_number=change.phones_on_file[0],
        contact_name="Controller",
        called_at=timezone.now(),
        outcome="confirmed",
        notes="Confirmed on the number in the master.",
    )
    request = ApprovalRequest.objects.get(pk=change.approval_request.pk if change.approval_request else 0)
    for admin in ("procadmin", "procadmin2"):
        approval_request_approve(actor=users.get(username=admin), request=request, comment="call-back seen")
    return on_hold, excluded, cooling


def seed() -> list[DemoLogin]:
    """Load the demo invoices once (a re-run finds them and changes nothing)."""
    if Invoice.objects.exists() or not SourceReference.objects.filter(system="ERP").exists():
        return []
    facility = Facility.objects.get(code="NGH")
    main, other, third = _vendor("ERP-1004"), _vendor("ERP-1005"), _vendor("ERP-1006")
    on_hold, excluded, cooling = _special_vendors()
    three_way = [
        OrderLineData(
            1,
            "Nitrile exam gloves, medium, box of 100",
            Decimal("100"),
            Decimal("8.50"),
            "BX",
            "GL-100",
            category="42132203",
        ),
        OrderLineData(
            2, "Sodium chloride 0.9% 1000 mL", Decimal("200"), Decimal("2.10"), "EA", "SA-1000", category="51102710"
        ),
        OrderLineData(3, "Infusion pump set", Decimal("20"), Decimal("31.00"), "EA", "IV-SET", category="42221501"),
    ]
    _order(facility, "PO-7001", main, three_way)
    _order(
        facility,
        "PO-7002",
        main,
        [
            OrderLineData(
                1, "Biohazard pickup, monthly", Decimal("50"), Decimal("450.00"), "EA", "BIO-M", match_type="two_way"
            )
        ],
    )
    _order(
        facility,
        "PO-7003",
        other,
        [
            OrderLineData(
                1, "Linen service, weekly", Decimal("52"), Decimal("380.00"), "EA", "LIN-W", match_type="two_way"
            )
        ],
        status="closed",
    )
    _order(
        facility,
        "PO-7004",
        on_hold,
        [OrderLineData(1, "Courier, same day", Decimal("30"), Decimal("55.00"), "EA", "CR-1", match_type="two_way")],
    )
    _order(
        facility,
        "PO-7005",
        excluded,
        [OrderLineData(1, "Home health visits", Decimal("10"), Decimal("120.00"), "EA", "HH-1", match_type="two_way")],
    )
    _order(
        facility,
        "PO-7006",
        cooling,
        [OrderLineData(1, "Surgical drapes", Decimal("40"), Decimal("12.00"), "EA", "DR-1", match_type="two_way")],
    )
    _order(
        facility,
        "PO-7007",
        main,
        [
            OrderLineData(
                1, "Biohazard pickup, monthly", Decimal("12"), Decimal("450.00"), "EA", "BIO-M", match_type="two_way"
            )
        ],
    )
    po7001 = PurchaseOrder.objects.get(facility=facility, number="PO-7001")
    receipt_record(
        actor=ACTOR,
        facility=facility,
        number="GR-7001-1",
        purchase_order=po7001,
        received_on=TODAY - timedelta(days=5),
        lines=[ReceiptLineData(1, Decimal("60")), ReceiptLineData(2, Decimal("200"))],
    )

    documents = [
        _invoice(main, "MD-50001", "PO-7001", _line(1, 1, "60", "8.50", "BX", "GL-100")),  # clean, approved
        _invoice(main, "MD-50002", "PO-7001", _line(1, 2, "100", "2.35", item="SA-1000")),  # price_variance
        _invoice(main, "MD-50003", "PO-7001", _line(1, 1, "30", "8.50", "BX", "GL-100")),  # qty_over_received
        _invoice(main, "MD-50004", "PO-7001", _line(1, 3, "5", "31.00", item="IV-SET")),  # no_receipt
        _invoice(main, "MD-50005", "PO-7007", _line(1, 1, "13", "450.00", item="BIO-M")),  # qty_over_ordered
        _invoice(main, "MD-50006", "PO-7002", _line(1, None, "2", "75.00", item="XX-9")),  # line_not_on_po
        _invoice(main, "MD-50007", "PO-7001", _line(1, 2, "2", "25.20", "CS", "SA-1000")),  # uom_mismatch
        replace(
            _invoice(main, "MD-50008", "PO-7002", _line(1, 1, "1", "450.00")), total_amount=Decimal("455.00")
        ),  # total_mismatch
        _invoice(main, "MD-50009", "PO-7002", _line(1, 1, "1", "450.00"), currency="CAD"),  # currency_mismatch
        _invoice(third, "TS-1009", "PO-7002", _line(1, 1, "1", "450.00")),  # vendor_mismatch
        _invoice(other, "LN-3003", "PO-7003", _line(1, 1, "1", "380.00")),  # po_closed
        _invoice(main, "MD-50010", "PO-9999", _line(1, 1, "1", "10.00")),  # po_not_found
        _invoice(main, "MD-50011", "", _line(1, None, "1", "6200.00")),  # po_missing (above the non-PO limit)
        _invoice(main, "md 50001", "PO-7001", _line(1, 1, "60", "8.50", "BX", "GL-100")),  # duplicate_suspect
        _invoice(None, "UC-77", "", _line(1, None, "1", "89.00")),  # vendor_unknown
        _invoice(on_hold, "KC-400", "PO-7004", _line(1, 1, "2", "55.00")),  # vendor_not_active
        _invoice(excluded, "RH-12", "PO-7005", _line(1, 1, "1", "120.00")),  # vendor_excluded
        _invoice(cooling, "SC-88", "PO-7006", _line(1, 1, "10", "12.00")),  # bank_unverified
        _invoice(main, "MD-50012", "", _line(1, None, "1", "640.00")),  # non-PO, waits for an AP manager
        _invoice(
            main,
            "CM-50001",
            "PO-7001",
            _line(1, 1, "5", "8.50", "BX", "GL-100"),
            document_type="credit_memo",
            original_invoice_number="MD-50001",
        ),
    ]
    for document in documents:
        invoice_ingest(actor=ACTOR, document=document, channel="api_json", facility=facility)
    from matching.demo_workbench import seed_workbench  # it builds on this module's helpers

    seed_workbench()
    return []
