"""What the integrations API says about systems, runs, deliveries and dead letters, and what its actions take."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.models import (
    DeadLetter,
    DeadLetterStatus,
    DeliveryStatus,
    Direction,
    ExternalSystem,
    OutboxDelivery,
    SyncRun,
    SyncRunStatus,
)
from integrations.services.sync import ENTITIES

REASON_MAX = 500
REPLAY_OUTCOMES = ("replayed", "failed_again", "refused", "not_found")


class RunBriefSerializer(serializers.ModelSerializer[SyncRun]):
    """A run as a system's health names it."""

    class Meta:
        model = SyncRun
        fields = ["id", "status", "started_at", "finished_at"]


class EntityHealthSerializer(serializers.Serializer[Any]):
    """Inbound sync of one entity: last success, lag, whether it is behind (no success in two intervals)."""

    entity = serializers.CharField()
    last_success_at = serializers.DateTimeField(allow_null=True)
    lag_seconds = serializers.FloatField(allow_null=True)
    behind = serializers.BooleanField()
    last_run = RunBriefSerializer(allow_null=True)


class HealthSerializer(serializers.Serializer[Any]):
    """A system's health: per entity, the error rate of runs finished in the last 24 hours, outbox depth."""

    entities = EntityHealthSerializer(many=True)
    runs_finished = serializers.IntegerField(help_text="Runs finished in the last 24 hours.")
    runs_failed = serializers.IntegerField(help_text="Of those, the failed ones.")
    error_rate = serializers.FloatField(allow_null=True, help_text="runs_failed / runs_finished; null without a run.")
    outbox_pending = serializers.IntegerField()
    outbox_dead = serializers.IntegerField()
    dead_letters_open = serializers.IntegerField()


class SystemSerializer(serializers.ModelSerializer[ExternalSystem]):
    """An external system (never its credentials: its config only names environment variables) with its health."""

    facility = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    health = serializers.SerializerMethodField()

    class Meta:
        model = ExternalSystem
        fields = [
            "code",
            "name",
            "kind",
            "connector",
            "base_url",
            "facility",
            "enabled",
            "rate_limit_per_second",
            "max_concurrency",
            "sync_interval_minutes",
            "health",
        ]

    @extend_schema_field(HealthSerializer)
    def get_health(self, system: ExternalSystem) -> dict[str, Any]:
        """The health computed for the page of systems (the view puts it in the context)."""
        health = self.context["health"][system.pk]
        return dict(HealthSerializer(health).data)


class SyncRunSerializer(serializers.ModelSerializer[SyncRun]):
    """One inbound sync run with what it fetched and did."""

    system = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "system",
            "entity",
            "status",
            "started_at",
            "finished_at",
            "fetched",
            "created",
            "updated",
            "unchanged",
            "failed",
            "cursor_before",
            "cursor_after",
            "error",
            "triggered_by",
        ]


class EventSerializer(serializers.Serializer[Any]):
    """The outbox event a delivery carries."""

    id = serializers.IntegerField()
    topic = serializers.CharField()
    subject = serializers.CharField()
    created_at = serializers.DateTimeField()


class DeliverySerializer(serializers.ModelSerializer[OutboxDelivery]):
    """One outbox event owed to one system."""

    system = serializers.SlugRelatedField(slug_field="code", read_only=True)
    event = EventSerializer(read_only=True)

    class Meta:
        model = OutboxDelivery
        fields = [
            "id",
            "event",
            "system",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "delivered_at",
            "external_reference",
        ]


class DeadLetterSerializer(serializers.ModelSerializer[DeadLetter]):
    """A dead letter with its payload, error and what became of it."""

    system = serializers.SlugRelatedField(slug_field="code", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = DeadLetter
        fields = [
            "id",
            "system",
            "direction",
            "entity",
            "external_id",
            "payload",
            "error",
            "attempts",
            "status",
            "sync_run",
            "delivery",
            "created_at",
            "resolved_at",
            "resolved_by",
            "resolution",
        ]


# --- Query filters (an unknown value is a 400 naming the parameter) ----------------------------------------------
class SyncRunQuerySerializer(serializers.Serializer[Any]):
    """Filters of the run list."""

    system = serializers.SlugField(required=False, help_text="A system's code.")
    entity = serializers.ChoiceField(choices=ENTITIES, required=False)
    status = serializers.ChoiceField(choices=SyncRunStatus.choices, required=False)


class DeliveryQuerySerializer(serializers.Serializer[Any]):
    """Filters of the delivery list."""

    system = serializers.SlugField(required=False, help_text="A system's code.")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


class DeadLetterQuerySerializer(serializers.Serializer[Any]):
    """Filters of the dead-letter list."""

    system = serializers.SlugField(required=False, help_text="A system's code.")
    status = serializers.ChoiceField(choices=DeadLetterStatus.choices, required=False)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    entity = serializers.CharField(required=False, max_length=30)


# --- Action inputs and answers ------------------------------------------------------------------------------------
class RunInputSerializer(serializers.Serializer[Any]):
    """Which entity to sync now."""

    entity = serializers.ChoiceField(choices=ENTITIES)


class RunCreateSerializer(RunInputSerializer):
    """Which system and entity to sync now."""

    system = serializers.SlugField(help_text="The system's code.")


class RunQueuedSerializer(serializers.Serializer[Any]):
    """A sync that was queued: the run row appears when a worker starts it."""

    system = serializers.CharField()
    entity = serializers.CharField()
    triggered_by = serializers.CharField()
    status = serializers.CharField(default="queued")


class DiscardInputSerializer(serializers.Serializer[Any]):
    """Why the dead letter is dropped for good."""

    reason = serializers.CharField(max_length=REASON_MAX, min_length=5, trim_whitespace=True)


class ReplayManyInputSerializer(serializers.Serializer[Any]):
    """The dead letters to replay (at most 200)."""

    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=200)


class ReplayOutcomeSerializer(serializers.Serializer[Any]):
    """What one replay of many did: replayed, still open (failed again, with the error), or refused."""

    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=REPLAY_OUTCOMES)
    status = serializers.CharField(allow_null=True)
    detail = serializers.CharField()
