"""Serializers of the orders API: purchase orders and receipts as the procurement suite pushes them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from matching.models import MatchType, PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus, Receipt, ReceiptLine


class VendorReferenceSerializer(serializers.Serializer):
    """A vendor as a source system knows it."""

    system = serializers.CharField(max_length=30)
    id = serializers.CharField(max_length=100)


class OrderLineInputSerializer(serializers.Serializer):
    """One PO line."""

    line_number = serializers.IntegerField(min_value=1)
    item_code = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    gtin = serializers.RegexField(r"^(\d{8}|\d{12,14})$", required=False, allow_blank=True, default="")
    category = serializers.RegexField(r"^\d{8}$", required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=300)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0)
    unit_of_measure = serializers.CharField(max_length=10, default="EA")
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0)
    cost_center = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    match_type = serializers.ChoiceField(choices=MatchType.choices, default=MatchType.THREE_WAY)


class PurchaseOrderInputSerializer(serializers.Serializer):
    """A purchase order pushed by number: the first post creates it, later posts revise it."""

    number = serializers.CharField(max_length=40)
    facility = serializers.CharField(max_length=20, help_text="Facility code.")
    vendor = serializers.CharField(max_length=12, required=False, help_text="Portal number, V-000123.")
    vendor_ref = VendorReferenceSerializer(required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", default="USD")
    status = serializers.ChoiceField(choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.OPEN)
    ordered_on = serializers.DateField()
    source_system = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    lines = OrderLineInputSerializer(many=True, allow_empty=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("vendor") and not attrs.get("vendor_ref"):
            raise serializers.ValidationError({"vendor": "Name the vendor: its portal number or a vendor_ref."})
        return attrs


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    """A PO line with its running totals."""

    cost_center = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "line_number",
            "item_code",
            "gtin",
            "category",
            "description",
            "quantity_ordered",
            "unit_of_measure",
            "unit_price",
            "cost_center",
            "match_type",
            "quantity_received",
            "quantity_invoiced",
        ]


class PurchaseOrderSerializer(serializers.ModelSerializer):
    """A purchase order with its lines."""

    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    vendor = serializers.SlugRelatedField(slug_field="number", read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = ["id", "number", "facility", "vendor", "currency", "status", "ordered_on", "revision", "lines"]


class ReceiptLineInputSerializer(serializers.Serializer):
    """A quantity received on a PO line (negative: a return)."""

    po_line_number = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4)


class ReceiptInputSerializer(serializers.Serializer):
    """Goods received against a PO."""

    number = serializers.CharField(max_length=40)
    facility = serializers.CharField(max_length=20)
    po_number = serializers.CharField(max_length=40)
    received_on = serializers.DateField()
    source_system = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    lines = ReceiptLineInputSerializer(many=True, allow_empty=False)


class ReceiptLineSerializer(serializers.ModelSerializer):
    """A receipt line."""

    po_line_number = serializers.IntegerField(source="po_line.line_number", read_only=True)

    class Meta:
        model = ReceiptLine
        fields = ["po_line_number", "quantity"]


class ReceiptSerializer(serializers.ModelSerializer):
    """A recorded receipt."""

    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    po_number = serializers.CharField(source="purchase_order.number", read_only=True)
    lines = ReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = ["id", "number", "facility", "po_number", "received_on", "lines"]


class InvoiceLineInputSerializer(serializers.Serializer):
    """A line of an invoice sent as JSON."""

    line_number = serializers.IntegerField(min_value=1)
    po_line_number = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    item_code = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0)
    unit_of_measure = serializers.CharField(max_length=10, default="EA")
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class InvoiceInputSerializer(serializers.Serializer):
    """An invoice or credit memo sent as JSON (the same fields the XML and X12 formats are read into)."""

    document_type = serializers.ChoiceField(
        choices=[("invoice", "Invoice"), ("credit_memo", "Credit memo")], default="invoice"
    )
    vendor = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    vendor_ref = VendorReferenceSerializer(required=False)
    invoice_number = serializers.CharField(max_length=60)
    invoice_date = serializers.DateField()
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    currency = serializers.RegexField(r"^[A-Z]{3}$")
    facility = serializers.CharField(max_length=20, help_text="Facility code or GLN.")
    po_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    original_invoice_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    cost_center = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="For non-PO invoices: who bears it."
    )
    tax_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=0)
    freight_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=0)
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    lines = InvoiceLineInputSerializer(many=True, allow_empty=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("vendor") and not attrs.get("vendor_ref"):
            raise serializers.ValidationError({"vendor": "Name the vendor: its portal number or a vendor_ref."})
        numbers = [line["line_number"] for line in attrs["lines"]]
        if len(set(numbers)) != len(numbers):
            raise serializers.ValidationError({"lines": "Each line number once."})
        return attrs


class InvoiceExceptionSerializer(serializers.Serializer):
    """An exception of an invoice."""

    code = serializers.CharField()
    line = serializers.IntegerField(source="line_number", allow_null=True)
    detail = serializers.CharField()
    state = serializers.CharField()
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    rule_version = serializers.IntegerField(allow_null=True)
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", allow_null=True)


class InvoiceLineSerializer(serializers.Serializer):
    """An invoice line as stored."""

    line_number = serializers.IntegerField()
    po_line_number = serializers.IntegerField(allow_null=True)
    item_code = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4)
    unit_of_measure = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=4)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class InvoiceSerializer(serializers.Serializer):
    """An invoice with its status and exceptions."""

    id = serializers.IntegerField()
    document_type = serializers.CharField()
    invoice_number = serializers.CharField()
    invoice_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    vendor = serializers.CharField(source="vendor.number", allow_null=True, default=None)
    vendor_reference = serializers.JSONField()
    facility = serializers.CharField(source="facility.code")
    currency = serializers.CharField()
    po_number = serializers.CharField()
    cost_center = serializers.CharField(source="cost_center.code", allow_null=True, default=None)
    subtotal = serializers.DecimalField(max_digits=14, decimal_places=2)
    tax_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    freight_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    channel = serializers.CharField()
    received_at = serializers.DateTimeField()
    exceptions = InvoiceExceptionSerializer(many=True)
    lines = InvoiceLineSerializer(many=True)


class BulkInvoicesInputSerializer(serializers.Serializer):
    """Up to 1,000 invoices in one request; each is judged on its own."""

    invoices = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=1000)
