"""Vendors API views: thin; reads through selectors, proposals and call-backs through services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from p2p_portal.accounts.reauth import reauthentication_is_fresh
from p2p_portal.api.idempotency import idempotent
from p2p_portal.api.permissions import is_api_client
from p2p_portal.api.views import IDEMPOTENCY_PARAMETER
from p2p_portal.errors import InvalidInputError, NotAllowedError
from p2p_portal.models import Facility
from p2p_portal.roles import Scope
from vendors.access import may_view_vendors
from vendors.api.serializers import (
    CallbackInputSerializer,
    CallbackSerializer,
    ChangeRequestCreateSerializer,
    ChangeRequestSerializer,
    ChangeRequestWithdrawSerializer,
    DuplicateCandidateSerializer,
    ScreeningHitSerializer,
    VendorDetailSerializer,
    VendorSerializer,
)
from vendors.models import ChangeKind, ChangeRequest, DuplicateCandidate, ScreeningHit, Vendor
from vendors.selectors import (
    change_request_get,
    change_request_list,
    duplicate_candidate_list,
    screening_hit_list,
    vendor_get,
    vendor_list,
)
from vendors.services.bank import bank_change_callback_record, bank_change_request_submit
from vendors.services.changes import (
    VendorProposal,
    change_request_withdraw,
    vendor_change_request_submit,
    vendor_create_request_submit,
)
from vendors.services.records import ContactData, SiteData


class ReadsVendors(BasePermission):
    """People with a vendors role (others get 404 from the selectors), or API clients with `vendors:read`."""

    message = "This API client lacks the scope 'vendors:read' for this request."

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not (principal and principal.is_authenticated):
            return False
        return not is_api_client(principal) or bool(principal.has_scope(Scope.VENDORS_READ))


def _people_only(request: Request) -> None:
    if is_api_client(request.user):
        raise NotAllowedError(
            "Vendor changes are proposed and decided by people (maker-checker); API clients may only read.",
            code="users_only",
        )


class VendorViewSet(viewsets.ReadOnlyModelViewSet):
    """The golden master (masked): search with `q` (number, tax id, or name, typo-tolerant) and `status`."""

    permission_classes = [ReadsVendors]
    lookup_field = "number"
    lookup_value_regex = r"V-[0-9]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Vendor]:
        if getattr(self, "swagger_fake_view", False):
            return Vendor.objects.none()
        return vendor_list(
            principal=self.request.user,
            query=self.request.query_params.get("q", ""),
            status=self.request.query_params.get("status", ""),
        ).select_related("merged_into")

    def get_object(self) -> Vendor:
        return vendor_get(principal=self.request.user, number=self.kwargs["number"])

    def get_serializer_class(self) -> type[VendorSerializer]:
        return VendorSerializer if self.action == "list" else VendorDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Portal number, tax id, or name words (typos tolerated)."),
            OpenApiParameter("status", str),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Search the supplier master."""
        return super().list(request, *args, **kwargs)


CALLBACK_SCHEMA: dict[str, Any] = {
    "request": CallbackInputSerializer,
    "responses": {201: CallbackSerializer},
    "parameters": [IDEMPOTENCY_PARAMETER],
}
WITHDRAW_SCHEMA: dict[str, Any] = {
    "request": ChangeRequestWithdrawSerializer,
    "responses": ChangeRequestSerializer,
    "parameters": [IDEMPOTENCY_PARAMETER],
}


class ChangeRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Change requests raised at the caller's facilities; proposals by people (stewards) only."""

    permission_classes = [ReadsVendors]
    serializer_class = ChangeRequestSerializer
    filter_backends: list[Any] = []
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ChangeRequest]:
        if getattr(self, "swagger_fake_view", False):
            return ChangeRequest.objects.none()
        if not may_view_vendors(self.request.user):
            return ChangeRequest.objects.none()
        return change_request_list(
            principal=self.request.user, status=self.request.query_params.get("status", "")
        ).prefetch_related("callbacks__called_by")

    def get_object(self) -> ChangeRequest:
        return change_request_get(principal=self.request.user, pk=int(self.kwargs["pk"]))

    @extend_schema(
        request=ChangeRequestCreateSerializer,
        responses={201: ChangeRequestSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Propose a new vendor, a change of governed fields, or a bank-account change (re-authentication needed)."""
        _people_only(request)
        serializer = ChangeRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        facility = Facility.objects.filter(code=data["facility"]).first()
        if facility is None:
            raise InvalidInputError(f"No facility {data['facility']}.", code="unknown_facility", field="facility")
        kind = data["kind"]
        if kind == ChangeKind.CREATE:
            change = vendor_create_request_submit(
                actor=request.user, facility=facility, proposal=_proposal(data), reason=data["reason"]
            )
        else:
            vendor = vendor_get(principal=request.user, number=data["vendor"])
            if kind == ChangeKind.BANK_ACCOUNT:
                if not reauthentication_is_fresh(request._request):
                    raise NotAllowedError(
                        "A bank-account change needs a fresh password proof: re-authenticate at "
                        "/account/reauthenticate/ in this session, then repeat the request.",
                        code="reauthentication_required",
                    )
                bank = data["bank_account"]
                change = bank_change_request_submit(
                    actor=request.user, vendor=vendor, facility=facility, reason=data["reason"], **bank
                )
            else:
                change = vendor_change_request_submit(
                    actor=request.user,
                    vendor=vendor,
                    facility=facility,
                    proposal=_proposal(data),
                    reason=data["reason"],
                )
        return Response(ChangeRequestSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(**CALLBACK_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def callbacks(self, request: Request, pk: str | None = None) -> Response:
        """Record the call-back that verifies a bank change (to a number on file before the request)."""
        _people_only(request)
        serializer = CallbackInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = bank_change_callback_record(
            actor=request.user, change=self.get_object(), **serializer.validated_data
        )
        return Response(CallbackSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(**WITHDRAW_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """The submitter withdraws an open change request."""
        _people_only(request)
        serializer = ChangeRequestWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = change_request_withdraw(
            actor=request.user, change=self.get_object(), reason=serializer.validated_data["reason"]
        )
        return Response(ChangeRequestSerializer(change).data)


def _proposal(data: dict[str, Any]) -> VendorProposal:
    sites = [SiteData(**site) for site in data["sites"]] if "sites" in data else None
    contacts = [ContactData(**contact) for contact in data["contacts"]] if "contacts" in data else None
    return VendorProposal(fields=dict(data.get("fields", {})), sites=sites, contacts=contacts)


class DuplicateCandidateViewSet(viewsets.ReadOnlyModelViewSet):
    """Duplicate candidate pairs (filter `status`: open, merged, dismissed; open by default)."""

    permission_classes = [ReadsVendors]
    serializer_class = DuplicateCandidateSerializer
    filter_backends: list[Any] = []
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[DuplicateCandidate]:
        if getattr(self, "swagger_fake_view", False):
            return DuplicateCandidate.objects.none()
        return duplicate_candidate_list(
            principal=self.request.user, status=self.request.query_params.get("status", "open")
        )

    def get_object(self) -> DuplicateCandidate:
        return get_object_or_404(duplicate_candidate_list(principal=self.request.user, status=""), pk=self.kwargs["pk"])


class ScreeningHitViewSet(viewsets.ReadOnlyModelViewSet):
    """Exclusion screening hits (filter `status`: open, confirmed, cleared; open by default)."""

    permission_classes = [ReadsVendors]
    serializer_class = ScreeningHitSerializer
    filter_backends: list[Any] = []
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ScreeningHit]:
        if getattr(self, "swagger_fake_view", False):
            return ScreeningHit.objects.none()
        return screening_hit_list(principal=self.request.user, status=self.request.query_params.get("status", "open"))

    def get_object(self) -> ScreeningHit:
        return get_object_or_404(screening_hit_list(principal=self.request.user, status=""), pk=self.kwargs["pk"])
