"""Platform API views: thin; reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from p2p_portal.api.idempotency import idempotent
from p2p_portal.api.permissions import ScopedPermission, is_api_client
from p2p_portal.api.serializers import (
    AuditEntrySerializer,
    AuditQuerySerializer,
    CostCenterCreateSerializer,
    CostCenterSerializer,
    FacilitySerializer,
    PrincipalSerializer,
)
from p2p_portal.audit.entries import AuditFilters, audit_entries_page, may_read_audit_trail
from p2p_portal.errors import NotAllowedError
from p2p_portal.models import CostCenter, Facility
from p2p_portal.roles import Role, Scope
from p2p_portal.selectors import cost_center_list, facility_list, has_role_at
from p2p_portal.services import cost_center_create

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retry-safe key: a repeat with the same body replays the first answer; another body gets 422.",
)


@extend_schema(responses=PrincipalSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who is calling: roles per facility for a user, scopes and facilities for an API client."""
    return Response(PrincipalSerializer.describe(request.user))


class FacilityFilter(django_filters.FilterSet):
    """Filters of the facility list."""

    class Meta:
        model = Facility
        fields = ["active", "code"]


class FacilityViewSet(viewsets.ReadOnlyModelViewSet):
    """Facilities the caller may see; others do not exist for it (404)."""

    serializer_class = FacilitySerializer
    permission_classes = [ScopedPermission]
    required_scopes = {"list": Scope.ORG_READ, "retrieve": Scope.ORG_READ}
    required_user_perms = {"list": "p2p_portal.view_facility", "retrieve": "p2p_portal.view_facility"}
    lookup_field = "code"
    filterset_class = FacilityFilter
    ordering = "code"

    def get_queryset(self) -> Any:
        return facility_list(principal=self.request.user).order_by("code")


class CostCenterFilter(django_filters.FilterSet):
    """Filters of the cost-center list."""

    facility = django_filters.CharFilter(field_name="facility__code")

    class Meta:
        model = CostCenter
        fields = ["facility", "code"]


class CostCenterViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cost centers of the caller's facilities; procurement admins and `org:write` clients create them."""

    permission_classes = [ScopedPermission]
    required_scopes = {"list": Scope.ORG_READ, "retrieve": Scope.ORG_READ, "create": Scope.ORG_WRITE}
    required_user_perms = {
        "list": "p2p_portal.view_costcenter",
        "retrieve": "p2p_portal.view_costcenter",
        "create": "p2p_portal.add_costcenter",
    }
    filterset_class = CostCenterFilter

    def get_queryset(self) -> Any:
        return cost_center_list(principal=self.request.user).order_by("-pk")

    def get_serializer_class(self) -> Any:
        return CostCenterCreateSerializer if self.action == "create" else CostCenterSerializer

    @extend_schema(
        request=CostCenterCreateSerializer, responses={201: CostCenterSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CostCenterCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        facility: Facility = serializer.validated_data["facility"]
        _check_may_write_at(request.user, facility)
        cost_center = cost_center_create(
            actor=request.user,
            facility=facility,
            code=serializer.validated_data["code"],
            name=serializer.validated_data["name"],
        )
        return Response(CostCenterSerializer(cost_center).data, status=status.HTTP_201_CREATED)


def _check_may_write_at(principal: Any, facility: Facility) -> None:
    """A client writes only at its own facilities; a user only where they are procurement admin."""
    allowed = (
        principal.facilities.filter(pk=facility.pk).exists()
        if is_api_client(principal)
        else has_role_at(principal, Role.PROCUREMENT_ADMIN, facility)
    )
    if not allowed:
        raise NotAllowedError(
            f"You may not create cost centers at facility {facility.code}.",
            code="facility_not_allowed",
            field="facility",
        )


class AuditEntryList(APIView):
    """The audit trail of the caller's facilities, newest first (auditors, managers, `audit:read` clients)."""

    per_page = 100

    @extend_schema(parameters=[AuditQuerySerializer], responses=AuditEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        if not may_read_audit_trail(request.user):
            raise NotAllowedError(
                "Reading the audit trail needs an auditor or manager role, or the audit:read scope.",
                code="permission_denied",
            )
        query = AuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        filters = AuditFilters(
            object_type=params.get("record_type", ""),
            object_id=params.get("record_id", ""),
            actor=params.get("actor", ""),
            facility=params.get("facility", ""),
            date_from=params.get("date_from"),
            date_to=params.get("date_to"),
        )
        page = params["page"]
        entries, has_next = audit_entries_page(
            principal=request.user, filters=filters, page=page, per_page=self.per_page
        )
        next_url = None
        if has_next:
            next_query = request.query_params.copy()
            next_query["page"] = str(page + 1)
            next_url = request.build_absolute_uri(f"{request.path}?{next_query.urlencode()}")
        return Response({"next": next_url, "results": AuditEntrySerializer(entries, many=True).data})
