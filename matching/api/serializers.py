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
