"""Approvals API views: reads through selectors, every decision and delegation through services, people only."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from approvals import services
from approvals.api.serializers import (
    ApprovalRequestDetailSerializer,
    ApprovalRequestSerializer,
    ApproveInputSerializer,
    DelegationCreateSerializer,
    DelegationRevokeSerializer,
    DelegationSerializer,
    InboxItemSerializer,
    ReassignInputSerializer,
    RejectInputSerializer,
    RequestInfoInputSerializer,
    ResubmitInputSerializer,
    WithdrawInputSerializer,
)
from approvals.models import ApprovalRequest, Delegation, RequestStatus
from approvals.selectors import approval_inbox, approval_request_list, delegation_list, requires_reauthentication
from p2p_portal.accounts.reauth import reauthentication_is_fresh
from p2p_portal.api.idempotency import idempotent
from p2p_portal.api.permissions import is_api_client
from p2p_portal.api.views import IDEMPOTENCY_PARAMETER
from p2p_portal.errors import NotAllowedError


class UsersOnly(permissions.BasePermission):
    """Approvals are decisions by people: a signed-in user, never an API client (403 `users_only`)."""

    message = "Approvals are decided by people; API clients may not use these endpoints."
    code = "users_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not (principal and principal.is_authenticated):
            return False  # DRF answers 401: no credentials were given
        return not is_api_client(principal)


def _valid(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ApprovalRequestFilter(django_filters.FilterSet):
    """Filters of the approval request list."""

    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    document_type = django_filters.CharFilter()
    facility = django_filters.CharFilter(field_name="facility__code")

    class Meta:
        model = ApprovalRequest
        fields = ["status", "document_type", "facility"]


TRANSITION_SCHEMA: dict[str, Any] = {
    "responses": ApprovalRequestDetailSerializer,
    "parameters": [IDEMPOTENCY_PARAMETER],
}


class ApprovalRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Approval requests at the caller's facilities and their own; others do not exist for them (404)."""

    permission_classes = [UsersOnly]
    filterset_class = ApprovalRequestFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ApprovalRequest]:
        if getattr(self, "swagger_fake_view", False):
            return ApprovalRequest.objects.none()
        return approval_request_list(user=self.request.user).select_related("cost_center", "submitted_by", "assignee")

    def get_serializer_class(self) -> type[Serializer]:
        return ApprovalRequestSerializer if self.action == "list" else ApprovalRequestDetailSerializer

    def _detail(self, request: ApprovalRequest) -> Response:
        fresh = (
            self.get_queryset()
            .prefetch_related("decisions__actor", "decisions__acting_for", "decisions__assigned_to")
            .get(pk=request.pk)
        )
        return Response(ApprovalRequestDetailSerializer(fresh).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(responses=InboxItemSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def inbox(self, request: Request) -> Response:
        """My pending approvals: requests whose current step I may decide now, oldest first."""
        items = approval_inbox(user=request.user)
        return Response(InboxItemSerializer(items, many=True).data)

    @extend_schema(request=ApproveInputSerializer, **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve the current step, in my own right or for a delegator (`on_behalf_of`)."""
        data = _valid(ApproveInputSerializer, request)
        target = self.get_object()
        if requires_reauthentication(target) and not reauthentication_is_fresh(request._request):
            raise NotAllowedError(
                "Approving this needs a fresh password proof: re-authenticate at /account/reauthenticate/ in this"
                " session, then repeat the request.",
                code="reauthentication_required",
            )
        decided = services.approval_request_approve(
            actor=request.user, request=target, comment=data["comment"], on_behalf_of=data["on_behalf_of"]
        )
        return self._detail(decided)

    @extend_schema(request=RejectInputSerializer, **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject the request; the reason is required."""
        data = _valid(RejectInputSerializer, request)
        decided = services.approval_request_reject(
            actor=request.user, request=self.get_object(), reason=data["reason"], on_behalf_of=data["on_behalf_of"]
        )
        return self._detail(decided)

    @extend_schema(request=RequestInfoInputSerializer, **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"], url_path="request-info", url_name="request-info")
    @idempotent
    def request_info(self, request: Request, pk: str | None = None) -> Response:
        """Ask the requester a question; the request waits in `info_requested`."""
        data = _valid(RequestInfoInputSerializer, request)
        decided = services.approval_request_request_info(
            actor=request.user,
            request=self.get_object(),
            question=data["question"],
            on_behalf_of=data["on_behalf_of"],
        )
        return self._detail(decided)

    @extend_schema(request=ResubmitInputSerializer, **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def resubmit(self, request: Request, pk: str | None = None) -> Response:
        """Answer the question (the requester); the request is pending again at the same step."""
        data = _valid(ResubmitInputSerializer, request)
        decided = services.approval_request_resubmit(
            actor=request.user, request=self.get_object(), answer=data["answer"]
        )
        return self._detail(decided)

    @extend_schema(request=WithdrawInputSerializer, **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw the request (the requester only)."""
        data = _valid(WithdrawInputSerializer, request)
        decided = services.approval_request_withdraw(
            actor=request.user, request=self.get_object(), reason=data["reason"]
        )
        return self._detail(decided)

    @extend_schema(request=ReassignInputSerializer, **TRANSITION_SCHEMA)
    @action(detail=True, methods=["post"])
    @idempotent
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        """Hand the current step to one person (managers at the request's facility)."""
        data = _valid(ReassignInputSerializer, request)
        decided = services.approval_request_reassign(
            actor=request.user, request=self.get_object(), to=data["to"], reason=data["reason"]
        )
        return self._detail(decided)


class DelegationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Delegations I give or receive, and those of people at facilities I manage."""

    permission_classes = [UsersOnly]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Delegation]:
        if getattr(self, "swagger_fake_view", False):
            return Delegation.objects.none()
        return delegation_list(user=self.request.user).select_related("delegator", "delegate", "facility")

    def get_serializer_class(self) -> type[Serializer]:
        return DelegationCreateSerializer if self.action == "create" else DelegationSerializer

    @extend_schema(
        request=DelegationCreateSerializer, responses={201: DelegationSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _valid(DelegationCreateSerializer, request)
        delegation = services.delegation_create(
            actor=request.user,
            delegator=data["delegator"] or request.user,
            delegate=data["delegate"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=data["reason"],
            document_types=data["document_types"],
            facility=data["facility"],
        )
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DelegationRevokeSerializer, responses=DelegationSerializer, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """End the delegation now (the delegator, or a manager at its facility)."""
        data = _valid(DelegationRevokeSerializer, request)
        delegation = services.delegation_revoke(actor=request.user, delegation=self.get_object(), reason=data["reason"])
        return Response(DelegationSerializer(delegation).data)
