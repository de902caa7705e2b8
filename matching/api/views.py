"""Orders API: the procurement suite pushes purchase orders (new revision on re-post) and receipts. Thin: reads
through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api.serializers import (
    PurchaseOrderInputSerializer,
    PurchaseOrderSerializer,
    ReceiptInputSerializer,
    ReceiptSerializer,
)
from matching.models import PurchaseOrder, Receipt
from matching.selectors import purchase_order_list, receipt_list
from matching.services.orders import OrderLineData, ReceiptLineData, purchase_order_upsert, receipt_record
from p2p_portal.api.idempotency import idempotent
from p2p_portal.api.permissions import ScopedPermission, is_api_client
from p2p_portal.api.views import IDEMPOTENCY_PARAMETER
from p2p_portal.errors import InvalidInputError, NotAllowedError
from p2p_portal.models import CostCenter, Facility
from p2p_portal.roles import Scope
from vendors.selectors import vendor_resolve

# Systems push orders; people read them (writing needs a model permission no role holds: superusers only).
ORDER_SCOPES = {
    "list": Scope.ORDERS_WRITE,
    "retrieve": Scope.ORDERS_WRITE,
    "create": Scope.ORDERS_WRITE,
}
ORDER_USER_PERMS = {
    "list": "p2p_portal.view_facility",
    "retrieve": "p2p_portal.view_facility",
    "create": "matching.add_purchaseorder",
}


def _writable_facility(principal: Any, code: str) -> Facility:
    """The facility named in a push, which must be one of the client's (403 otherwise, naming it)."""
    facility = Facility.objects.filter(code=code).first()
    if facility is None:
        raise InvalidInputError(f"No facility {code}.", code="unknown_facility", field="facility")
    if is_api_client(principal) and not principal.facilities.filter(pk=facility.pk).exists():
        raise NotAllowedError(f"This API client may not write at {code}.", code="facility_not_allowed")
    return facility


class PurchaseOrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Purchase orders of the caller's facilities; POST creates one or revises it by number."""

    permission_classes = [ScopedPermission]
    required_scopes = ORDER_SCOPES
    required_user_perms = ORDER_USER_PERMS
    serializer_class = PurchaseOrderSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        if getattr(self, "swagger_fake_view", False):
            return PurchaseOrder.objects.none()
        return purchase_order_list(principal=self.request.user).prefetch_related("lines__cost_center").order_by("-pk")

    @extend_schema(
        request=PurchaseOrderInputSerializer,
        responses={201: PurchaseOrderSerializer, 200: PurchaseOrderSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a purchase order (201), or revise the one with this number at this facility (200)."""
        serializer = PurchaseOrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        facility = _writable_facility(request.user, data["facility"])
        reference = data.get("vendor_ref") or {}
        vendor = vendor_resolve(
            number=data.get("vendor", ""), system=reference.get("system", ""), external_id=reference.get("id", "")
        )
        if vendor is None:
            raise InvalidInputError(
                "The vendor is not in the supplier master; onboard it first.", code="vendor_unknown", field="vendor"
            )
        cost_centers = {center.code: center for center in CostCenter.objects.filter(facility=facility)}
        errors = {
            f"lines.{position}.cost_center": [f"No cost center {line['cost_center']} at {facility.code}."]
            for position, line in enumerate(data["lines"])
            if line["cost_center"] and line["cost_center"] not in cost_centers
        }
        if errors:
            raise InvalidInputError("Unknown cost centers.", code="unknown_cost_center", errors=errors)
        lines = [
            OrderLineData(
                line_number=line["line_number"],
                description=line["description"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                unit_of_measure=line["unit_of_measure"],
                item_code=line["item_code"],
                gtin=line["gtin"],
                category=line["category"],
                cost_center=cost_centers.get(line["cost_center"]),
                match_type=line["match_type"],
            )
            for line in data["lines"]
        ]
        order, created = purchase_order_upsert(
            actor=request.user,
            facility=facility,
            number=data["number"],
            vendor=vendor,
            ordered_on=data["ordered_on"],
            lines=lines,
            currency=data["currency"],
            status=data["status"],
            source_system=data["source_system"],
        )
        fresh = PurchaseOrder.objects.prefetch_related("lines__cost_center").get(pk=order.pk)
        return Response(
            PurchaseOrderSerializer(fresh).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ReceiptViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Receipts of the caller's facilities; POST records goods received (negative quantities are returns)."""

    permission_classes = [ScopedPermission]
    required_scopes = ORDER_SCOPES
    required_user_perms = {**ORDER_USER_PERMS, "create": "matching.add_receipt"}
    serializer_class = ReceiptSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Receipt]:
        if getattr(self, "swagger_fake_view", False):
            return Receipt.objects.none()
        return receipt_list(principal=self.request.user).prefetch_related("lines__po_line").order_by("-pk")

    @extend_schema(
        request=ReceiptInputSerializer, responses={201: ReceiptSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a receipt against a PO of the same facility."""
        serializer = ReceiptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        facility = _writable_facility(request.user, data["facility"])
        order = PurchaseOrder.objects.filter(facility=facility, number=data["po_number"]).first()
        if order is None:
            raise InvalidInputError(
                f"No PO {data['po_number']} at {facility.code}.", code="po_not_found", field="po_number"
            )
        receipt = receipt_record(
            actor=request.user,
            facility=facility,
            number=data["number"],
            purchase_order=order,
            received_on=data["received_on"],
            lines=[ReceiptLineData(line["po_line_number"], line["quantity"]) for line in data["lines"]],
            source_system=data["source_system"],
        )
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)
