"""External systems, the runs that synced with them, what they owe us (deliveries of outbox events) and what could
not be processed (dead letters). Credentials are never stored: a system's config names environment variables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from p2p_portal.audit.history import audited_history
from p2p_portal.models import Facility, OutboxEvent


class SystemKind(models.TextChoices):
    """What the system is to us."""

    ERP = "erp", "ERP"
    PROCUREMENT = "procurement", "Procurement suite"


class ConnectorName(models.TextChoices):
    """The connector subpackages (`integrations/<name>/`)."""

    TRYTON = "tryton", "Tryton (JSON-RPC)"
    SANDBOX = "sandbox", "Procurement sandbox (Coupa-style REST)"


class ExternalSystem(models.Model):
    """A system we sync with: its connector, where it is, which environment variables hold its credentials, and
    how hard we may call it."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=12, choices=SystemKind.choices)
    connector = models.CharField(max_length=20, choices=ConnectorName.choices)
    base_url = models.URLField(max_length=300)
    # e.g. {"database": "p2p", "login_env": "TRYTON_LOGIN", "password_env": "TRYTON_PASSWORD"} or
    # {"api_key_env": "SANDBOX_API_KEY"}: names of environment variables, never the secrets themselves.
    config = models.JSONField(default=dict, blank=True)
    facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where its purchase orders and receipts belong when the records do not say.",
    )
    enabled = models.BooleanField(default=True)
    rate_limit_per_second = models.FloatField(default=10.0)
    max_concurrency = models.PositiveSmallIntegerField(default=2, help_text="Deliveries in flight at once.")
    sync_interval_minutes = models.PositiveIntegerField(default=15)
    history = audited_history()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(rate_limit_per_second__gt=0), name="integrations_rate_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class SyncCursor(models.Model):
    """How far inbound sync of one entity from one system has got; moved only after a page is fully applied."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="cursors")
    entity = models.CharField(max_length=30)
    cursor = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = audited_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "entity"], name="integrations_cursor_unique")]

    def __str__(self) -> str:
        return f"{self.system.code}/{self.entity}"


class SyncRunStatus(models.TextChoices):
    """How a run ended."""

    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Succeeded with dead letters"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    """One inbound sync of one entity from one system, with what it fetched and did, for people to read."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="runs")
    entity = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=SyncRunStatus.choices, default=SyncRunStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    cursor_before = models.TextField(blank=True)
    cursor_after = models.TextField(blank=True)
    error = models.TextField(blank=True)
    triggered_by = models.CharField(max_length=150, blank=True, help_text="beat, or the person who pressed run now")
    history = audited_history()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["system", "entity", "started_at"], name="integrations_run_recent")]

    def __str__(self) -> str:
        return f"{self.system.code}/{self.entity} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class DeliveryStatus(models.TextChoices):
    """Where the delivery of an outbox event to a system stands."""

    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead-lettered"
    DISCARDED = "discarded", "Discarded"


class OutboxDelivery(models.Model):
    """One outbox event owed to one system: attempted with backoff until delivered or dead-lettered."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.PROTECT, related_name="deliveries")
    system = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    external_reference = models.CharField(max_length=120, blank=True, help_text="What the system called it.")
    # Attempt bookkeeping changes on every try; the status changes are what auditors follow.
    history = audited_history(excluded_fields=["attempts", "next_attempt_at", "last_error"])

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "system"], name="integrations_delivery_unique")]
        indexes = [
            models.Index(
                fields=["system", "next_attempt_at", "id"],
                name="integrations_delivery_due",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.system.code} ({self.status})"


class Direction(models.TextChoices):
    """Which way the failed message was going."""

    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class DeadLetterStatus(models.TextChoices):
    """A dead letter waits for someone to fix the cause and replay it, or to discard it with a reason."""

    OPEN = "open", "Open"
    REPLAYED = "replayed", "Replayed"
    DISCARDED = "discarded", "Discarded"


class DeadLetter(models.Model):
    """A record or event that could not be processed within its retry budget, kept with its payload and error so
    that nothing is lost: replayed after the cause is fixed, or discarded with a reason."""

    system = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="dead_letters")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    entity = models.CharField(max_length=30, help_text="supplier, purchase_order, receipt, payment or an event topic")
    external_id = models.CharField(max_length=120, blank=True)
    payload = models.JSONField(default=dict)
    error = models.TextField()
    attempts = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=DeadLetterStatus.choices, default=DeadLetterStatus.OPEN)
    sync_run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    delivery = models.ForeignKey(OutboxDelivery, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(blank=True)
    history = audited_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "system", "created_at"], name="integrations_dead_open")]

    def __str__(self) -> str:
        return f"{self.direction} {self.entity} {self.external_id} ({self.status})"
