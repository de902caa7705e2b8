"""Workbench API: queues with their health, claim-next, the item list and the item page. People only (signed in
with their portal session; unsafe requests carry the CSRF token), never API clients. Reads through the workbench
selectors, every write through the workbench services (actions in `workbench_actions`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from matching.api.workbench_actions import WorkItemActions
from matching.api.workbench_inputs import WorkItemListQuerySerializer
from matching.api.workbench_serializers import QueueHealthSerializer, WorkItemDetailSerializer, WorkItemSerializer
from matching.models import WorkItem, WorkQueue
from matching.services.workbench.claims import holds_lease, may_work, work_item_claim_next
from matching.workbench_selectors import (
    WORKBENCH_READER_ROLES,
    work_item_detail,
    work_item_get,
    work_item_list,
    work_queue_get,
    work_queue_health,
    work_queue_list,
)
from p2p_portal.api.idempotency import idempotent
from p2p_portal.api.pagination import CursorPagination
from p2p_portal.api.permissions import is_api_client
from p2p_portal.api.views import IDEMPOTENCY_PARAMETER
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for

WORKER_ROLES = (Role.AP_CLERK, Role.AP_MANAGER)
PEOPLE_ONLY = (
    "The AP workbench is worked by people: sign in to the portal and use your session. API client tokens may not"
    " read or work the workbench."
)
NOTHING_TO_WORK = "Nothing to work: no open, unclaimed item in the queues you work (the body is empty)."


class WorkbenchPeople(permissions.BasePermission):
    """Signed-in AP clerks, AP managers and auditors read; clerks and managers act; API clients never (403)."""

    message = PEOPLE_ONLY
    code = "users_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        if not (principal and principal.is_authenticated):
            return False  # DRF answers 401: no credentials were given
        if is_api_client(principal):
            return False
        if not facilities_for(principal, WORKBENCH_READER_ROLES).exists():
            self.message, self.code = "The AP workbench is open to AP clerks, AP managers and auditors.", "no_workbench"
            return False
        if request.method not in permissions.SAFE_METHODS and not facilities_for(principal, WORKER_ROLES).exists():
            self.message = "You read the workbench; only AP clerks and AP managers act on its items."
            self.code = "read_only"
            return False
        return True


class WorkbenchSchema(AutoSchema):
    """Documents the session as the only way in (bearer tokens are refused by `WorkbenchPeople`)."""

    def get_auth(self) -> list[dict[str, list[str]]]:
        return [{"session": []}]


def _claimed(request: Request, queue: WorkQueue | None) -> Response:
    """Claim the oldest item the user may work (in `queue`, or in any of theirs): 200 with it, or 204."""
    item = work_item_claim_next(actor=request.user, queue=queue)
    if item is None:
        return Response(status=status.HTTP_204_NO_CONTENT)
    fresh = work_item_get(user=request.user, pk=item.pk)
    return Response(WorkItemSerializer(fresh).data, status=status.HTTP_200_OK)


NEXT_SCHEMA: dict[str, Any] = {
    "request": None,
    "responses": {
        200: OpenApiResponse(WorkItemSerializer, description="The item claimed, with a fresh lease."),
        204: OpenApiResponse(description=NOTHING_TO_WORK),
    },
    "parameters": [IDEMPOTENCY_PARAMETER],
}


class WorkQueueViewSet(viewsets.GenericViewSet):
    """Queues of the facilities where I read the workbench, each with its health (counts, breaches, aging)."""

    permission_classes = [WorkbenchPeople]
    schema = WorkbenchSchema()
    queryset = WorkQueue.objects.none()  # for the schema only: reads go through the selectors
    serializer_class = QueueHealthSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    lookup_value_regex = r"[0-9]+"

    @extend_schema(responses=QueueHealthSerializer(many=True))
    def list(self, request: Request) -> Response:
        """Every queue I see with its health; an entry with `id` null holds items no queue takes."""
        health = work_queue_health(user=request.user)
        prefetch_related_objects([entry.queue for entry in health if entry.queue is not None], "facilities")
        return Response(QueueHealthSerializer(health, many=True).data)

    @extend_schema(responses=QueueHealthSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """One queue and its health."""
        queue = work_queue_get(user=request.user, pk=int(pk))
        [health] = work_queue_health(user=request.user, queue=queue)
        return Response(QueueHealthSerializer(health).data)

    @extend_schema(**NEXT_SCHEMA)
    @action(detail=True, methods=["post"], url_path="next", url_name="next")
    @idempotent
    def claim_next(self, request: Request, pk: str) -> Response:
        """Claim the oldest unclaimed item of this queue (the items I held before go back to their queues)."""
        return _claimed(request, work_queue_get(user=request.user, pk=int(pk)))


class ClaimNextView(APIView):
    """Claim the next item of any queue I work."""

    permission_classes = [WorkbenchPeople]
    schema = WorkbenchSchema()

    @extend_schema(operation_id="workbench_next", **NEXT_SCHEMA)
    @idempotent
    def post(self, request: Request) -> Response:
        """Claim the oldest unclaimed item of all my queues (the items I held before go back to their queues)."""
        return _claimed(request, None)


class WorkItemCursor(CursorPagination):
    """Oldest first, as the queue page lists them."""

    ordering = ("opened_at", "id")  # type: ignore[assignment]  # DRF takes a field or a tuple of fields


class WorkItemViewSet(WorkItemActions, viewsets.GenericViewSet):
    """Work items of the facilities where I read the workbench; actions on those of the queues I work."""

    permission_classes = [WorkbenchPeople]
    schema = WorkbenchSchema()
    queryset = WorkItem.objects.none()  # for the schema only: reads go through the selectors
    serializer_class = WorkItemSerializer
    pagination_class = WorkItemCursor
    filter_backends: list[Any] = []
    lookup_value_regex = r"[0-9]+"

    def _items(self) -> QuerySet[WorkItem]:
        query = WorkItemListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        queue = None
        if "queue" in params:
            queue = work_queue_list(user=self.request.user).filter(pk=params["queue"]).first()
            if queue is None:
                raise serializers.ValidationError({"queue": [f"No queue {params['queue']} that you see."]})
        return work_item_list(user=self.request.user, queue=queue, view=params["view"], mine=params["mine"])

    @extend_schema(parameters=[WorkItemListQuerySerializer], responses=WorkItemSerializer(many=True))
    def list(self, request: Request) -> Response:
        """Items I see, oldest first: by queue, by view (open, waiting, on_hold, all), or only those I hold."""
        page = self.paginate_queryset(self._items())
        return self.get_paginated_response(WorkItemSerializer(page, many=True).data)

    @extend_schema(responses=WorkItemDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """The item page: invoice and lines beside the PO lines and receipts, exceptions with their rules, the
        vendor's flags, the duplicate it resembles, the raw document and the timeline."""
        item = work_item_get(user=request.user, pk=int(pk))
        detail = work_item_detail(item)
        contents = {
            **vars(detail),
            "may_work": may_work(request.user, item),
            "holds_lease": holds_lease(request.user, item),
        }
        return Response(WorkItemDetailSerializer(contents).data)
