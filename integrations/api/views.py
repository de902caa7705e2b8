"""Integrations API views: thin; reads through `integrations.selectors`, writes through the services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from integrations import selectors
from integrations.api import serializers as io
from integrations.api.permissions import IntegrationsAccess
from integrations.models import DeadLetter, DeadLetterStatus, ExternalSystem, OutboxDelivery, SyncRun
from integrations.services.dead_letters import dead_letter_discard, dead_letter_replay
from integrations.services.run_now import sync_run_request
from p2p_portal.api.idempotency import idempotent
from p2p_portal.api.views import IDEMPOTENCY_PARAMETER
from p2p_portal.errors import ApplicationError

QUEUED = OpenApiResponse(io.RunQueuedSerializer, description="Queued: the run appears in sync-runs once it starts.")


def _filters(query_serializer: type[serializers.Serializer[Any]], request: Request) -> dict[str, str]:
    """Validated query filters (400 problem+json naming a wrong one)."""
    query = query_serializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return {name: str(value) for name, value in query.validated_data.items()}


def _queued(request: Request, system: ExternalSystem, entity: str) -> Response:
    """Ask for the run and answer 202."""
    triggered_by = sync_run_request(actor=request.user, system=system, entity=entity)
    body = {"system": system.code, "entity": entity, "triggered_by": triggered_by, "status": "queued"}
    return Response(io.RunQueuedSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class SystemViewSet(viewsets.GenericViewSet):
    """External systems with their health (last success and lag per entity, error rate, outbox depth, dead
    letters); `run` queues an inbound sync of one entity now."""

    permission_classes = [IntegrationsAccess]
    serializer_class = io.SystemSerializer
    queryset = ExternalSystem.objects.none()  # for the schema only: reads go through the selectors
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    filter_backends: list[Any] = []

    def _health_context(self, systems: list[ExternalSystem]) -> dict[str, Any]:
        return {"health": {row.system.pk: row for row in selectors.health_of(systems)}}

    @extend_schema(responses=io.SystemSerializer(many=True))
    def list(self, request: Request) -> Response:
        """Every system (systems are network-wide) with its health."""
        systems = list(selectors.external_system_list(principal=request.user))
        return Response(io.SystemSerializer(systems, many=True, context=self._health_context(systems)).data)

    @extend_schema(responses=io.SystemSerializer)
    def retrieve(self, request: Request, code: str) -> Response:
        """One system with its health."""
        system = selectors.external_system_get(principal=request.user, code=code)
        return Response(io.SystemSerializer(system, context=self._health_context([system])).data)

    @extend_schema(request=io.RunInputSerializer, responses={202: QUEUED}, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def run(self, request: Request, code: str) -> Response:
        """Queue an inbound sync of one entity of this system (sent to the workers when the request commits)."""
        system = selectors.external_system_get(principal=request.user, code=code)
        entry = io.RunInputSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        return _queued(request, system, entry.validated_data["entity"])


class SyncRunViewSet(viewsets.GenericViewSet):
    """Inbound sync runs, newest first; POST queues a run of one entity of a system."""

    permission_classes = [IntegrationsAccess]
    serializer_class = io.SyncRunSerializer
    queryset = SyncRun.objects.none()
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[SyncRun]:
        filters = _filters(io.SyncRunQuerySerializer, self.request) if self.action == "list" else {}
        return selectors.sync_run_list(principal=self.request.user, **filters)

    @extend_schema(parameters=[io.SyncRunQuerySerializer], responses=io.SyncRunSerializer(many=True))
    def list(self, request: Request) -> Response:
        """Runs filtered by system code, entity and status."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(io.SyncRunSerializer(page, many=True).data)

    @extend_schema(responses=io.SyncRunSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """One run with its counts, cursor before and after, and error."""
        return Response(io.SyncRunSerializer(selectors.sync_run_get(principal=request.user, pk=int(pk))).data)

    @extend_schema(request=io.RunCreateSerializer, responses={202: QUEUED}, parameters=[IDEMPOTENCY_PARAMETER])
    @idempotent
    def create(self, request: Request) -> Response:
        """Queue a run now (the same as POST systems/{code}/run/)."""
        entry = io.RunCreateSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        system = selectors.external_system_list(principal=request.user).filter(code=entry.validated_data["system"])
        found = system.first()
        if found is None:
            raise serializers.ValidationError({"system": ["No such system."]})
        return _queued(request, found, entry.validated_data["entity"])


class DeliveryViewSet(viewsets.GenericViewSet):
    """Deliveries of outbox events to each system: pending, delivered, dead or discarded."""

    permission_classes = [IntegrationsAccess]
    serializer_class = io.DeliverySerializer
    queryset = OutboxDelivery.objects.none()
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[OutboxDelivery]:
        filters = _filters(io.DeliveryQuerySerializer, self.request) if self.action == "list" else {}
        return selectors.outbox_delivery_list(principal=self.request.user, **filters)

    @extend_schema(parameters=[io.DeliveryQuerySerializer], responses=io.DeliverySerializer(many=True))
    def list(self, request: Request) -> Response:
        """Deliveries filtered by status and system code."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(io.DeliverySerializer(page, many=True).data)

    @extend_schema(responses=io.DeliverySerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """One delivery."""
        delivery = selectors.outbox_delivery_get(principal=request.user, pk=int(pk))
        return Response(io.DeliverySerializer(delivery).data)


def _outcome(letter: DeadLetter, user: Any) -> dict[str, Any]:
    """Replay one letter; what became of it."""
    try:
        replayed = dead_letter_replay(actor=user, dead_letter=letter)
    except ApplicationError as error:
        return {"id": letter.pk, "outcome": "refused", "status": letter.status, "detail": error.message}
    if replayed.status == DeadLetterStatus.OPEN:
        return {"id": letter.pk, "outcome": "failed_again", "status": replayed.status, "detail": replayed.error}
    return {"id": letter.pk, "outcome": "replayed", "status": replayed.status, "detail": replayed.resolution}


class DeadLetterViewSet(viewsets.GenericViewSet):
    """Dead letters with their payload and error; replay (one or many) after fixing the cause, or discard with a
    reason. Replaying a letter that fails again leaves it open with the new error (200, status `open`)."""

    permission_classes = [IntegrationsAccess]
    serializer_class = io.DeadLetterSerializer
    queryset = DeadLetter.objects.none()
    lookup_value_regex = r"[0-9]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[DeadLetter]:
        filters = _filters(io.DeadLetterQuerySerializer, self.request) if self.action == "list" else {}
        return selectors.dead_letter_list(principal=self.request.user, **filters)

    @extend_schema(parameters=[io.DeadLetterQuerySerializer], responses=io.DeadLetterSerializer(many=True))
    def list(self, request: Request) -> Response:
        """Dead letters filtered by status, system code, direction and entity."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(io.DeadLetterSerializer(page, many=True).data)

    @extend_schema(responses=io.DeadLetterSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """One dead letter with its payload."""
        return Response(io.DeadLetterSerializer(selectors.dead_letter_get(principal=request.user, pk=int(pk))).data)

    @extend_schema(request=None, responses=io.DeadLetterSerializer, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    @idempotent
    def replay(self, request: Request, pk: str) -> Response:
        """Process the letter again (idempotent); 409 for a discarded one."""
        letter = selectors.dead_letter_get(principal=request.user, pk=int(pk))
        return Response(io.DeadLetterSerializer(dead_letter_replay(actor=request.user, dead_letter=letter)).data)

    @extend_schema(
        request=io.DiscardInputSerializer, responses=io.DeadLetterSerializer, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def discard(self, request: Request, pk: str) -> Response:
        """Give up on an open letter, saying why (required); 409 when it is not open."""
        letter = selectors.dead_letter_get(principal=request.user, pk=int(pk))
        entry = io.DiscardInputSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        reason = " ".join(entry.validated_data["reason"].split())
        discarded = dead_letter_discard(actor=request.user, dead_letter=letter, reason=reason)
        return Response(io.DeadLetterSerializer(discarded).data)

    @extend_schema(
        operation_id="integrations_dead_letters_replay_many",
        request=io.ReplayManyInputSerializer,
        responses=io.ReplayOutcomeSerializer(many=True),
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=False, methods=["post"], url_path="replay", url_name="replay-many")
    @idempotent
    def replay_many(self, request: Request) -> Response:
        """Replay many letters one by one: an outcome for each, in the order asked (one failure stops nothing)."""
        entry = io.ReplayManyInputSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        ids: list[int] = list(dict.fromkeys(entry.validated_data["ids"]))
        letters = {
            letter.pk: letter for letter in selectors.dead_letter_list(principal=request.user).filter(pk__in=ids)
        }
        outcomes = [
            _outcome(letters[pk], request.user)
            if pk in letters
            else {"id": pk, "outcome": "not_found", "status": None, "detail": "No such dead letter."}
            for pk in ids
        ]
        return Response(io.ReplayOutcomeSerializer(outcomes, many=True).data)
