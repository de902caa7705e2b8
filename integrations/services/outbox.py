"""The transactional outbox, outbound side: events become deliveries owed to systems, and a dispatcher delivers them.

- **Fan-out** (`outbox_fanout`): each new `OutboxEvent` gets one `OutboxDelivery` per enabled system that takes its
  topic (`SUBSCRIPTIONS`), and is marked dispatched, in one transaction under `SKIP LOCKED` (two fan-outs never
  handle the same event). A system added later is owed only events written after it was added.
- **Dispatch** (`outbox_deliver_due`): one transaction per delivery. The due delivery is locked with
  `SELECT ... FOR UPDATE SKIP LOCKED`, the connector is called *while the lock is held*, and the outcome is committed
  only after the remote call returned. A worker killed mid-call commits nothing: the row lock goes with its
  connection and the delivery is still pending for the next dispatcher; the connector's idempotency (look before
  create by our reference) makes that redelivery harmless.
- **Concurrency per system**: at most `system.max_concurrency` dispatchers run for a system at once, across all
  workers and hosts. Each holds one of the system's numbered PostgreSQL advisory locks (session-level, taken with
  `pg_try_advisory_lock`) for its whole run; a dispatcher that finds every slot taken returns at once. A killed worker's
  slot is freed by PostgreSQL when its connection drops, so no slot ever leaks (a Redis semaphore would need expiry
  tuning to survive that). SQLite (the bare-machine demo) has no advisory locks: one worker, no limit.
- **Retries**: a retryable error (timeouts, 5xx, 429) counts an attempt and sets `next_attempt_at` with exponential
  backoff and full jitter, never sooner than the system's `Retry-After`; after `OUTBOX_MAX_ATTEMPTS` attempts, or at
  once on a permanent error, the delivery is `dead` and a `DeadLetter` keeps its payload and error for a replay.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from integrations.connectors import Connector
from integrations.errors import ConnectorError
from integrations.models import (
    DeadLetter,
    DeliveryStatus,
    Direction,
    ExternalSystem,
    OutboxDelivery,
    SystemKind,
)
from integrations.registry import connector_for
from p2p_portal.audit.context import acting_as
from p2p_portal.models import OutboxEvent

logger = logging.getLogger(__name__)

# Which system kinds take which topics. The ERP is the vendor of record and posts and pays invoices; the procurement
# suite only sends us data.
ERP_TOPICS: Final = frozenset({"vendor.created", "vendor.changed", "vendor.merged", "invoice.approved"})
SUBSCRIPTIONS: Final[dict[str, frozenset[str]]] = {
    SystemKind.ERP: ERP_TOPICS,
    SystemKind.PROCUREMENT: frozenset(),
}
ADVISORY_NAMESPACE: Final = 0x0B0C  # first key of the two-key advisory lock: "outbox dispatch slots"
MAX_SLOTS: Final = 256
DISPATCH_BATCH: Final = 50
TIME_BUDGET_SECONDS: Final = 120.0  # well inside CELERY_TASK_SOFT_TIME_LIMIT: stop taking new deliveries after this
ERROR_LIMIT: Final = 2000
DEFAULT_ACTOR: Final = "outbox dispatcher"


def _save(instance: Any, actor: Any, reason: str) -> None:
    """Validate and save with the actor and reason on the history row."""
    instance.full_clean()
    with acting_as(actor, reason=reason):
        instance.save()


# --- fan-out ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fanout:
    """What one fan-out did."""

    events: int
    deliveries: int


def topics_for(system: ExternalSystem) -> frozenset[str]:
    """The topics a system takes."""
    return SUBSCRIPTIONS.get(system.kind, frozenset())


@transaction.atomic
def outbox_fanout(*, actor: Any = DEFAULT_ACTOR, limit: int = 1000) -> Fanout:
    """Turn up to `limit` undispatched events into deliveries for the enabled systems that take their topics, and
    mark them dispatched (an event nobody takes is dispatched with no delivery)."""
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(dispatched_at__isnull=True)
        .order_by("id")[:limit]
    )
    if not events:
        return Fanout(events=0, deliveries=0)
    systems = list(ExternalSystem.objects.filter(enabled=True))
    now = timezone.now()
    deliveries = 0
    for event in events:
        for system in systems:
            if event.topic not in topics_for(system):
                continue
            _save(
                OutboxDelivery(event=event, system=system, next_attempt_at=now),
                actor,
                f"{event.topic} {event.subject} owed to {system.code}",
            )
            deliveries += 1
    # dispatched_at is bookkeeping the event's history leaves out, so an UPDATE loses no audit.
    OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
    return Fanout(events=len(events), deliveries=deliveries)


def systems_with_due_deliveries(*, now: datetime | None = None) -> list[tuple[ExternalSystem, int]]:
    """Enabled systems that have pending deliveries due now, with how many."""
    due = dict(
        OutboxDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now or timezone.now(), system__enabled=True
        )
        .values_list("system")
        .annotate(count=Count("id"))
        .values_list("system", "count")
    )
    return [(system, due[system.pk]) for system in ExternalSystem.objects.filter(pk__in=list(due))]


# --- backoff ----------------------------------------------------------------------------------------------------------
def retry_delay(attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt `attempts + 1`: full jitter over an exponential ceiling, at least
    `retry_after` when the system asked for it."""
    base = float(settings.OUTBOX_RETRY_BASE_SECONDS)
    ceiling = min(float(settings.OUTBOX_RETRY_MAX_SECONDS), base * 2 ** max(0, attempts - 1))
    delay = (rng or random).uniform(0.0, ceiling)  # jitter, not a secret
    if retry_after:
        delay = max(delay, float(retry_after))
    return delay


# --- per-system concurrency -------------------------------------------------------------------------------------------
@contextmanager
def concurrency_slot(system: ExternalSystem) -> Iterator[int | None]:
    """Hold one of the system's `max_concurrency` dispatch slots for the block; None when all are taken."""
    if connection.vendor != "postgresql":
        yield 0  # SQLite: no advisory locks, and its single writer serialises dispatchers anyway
        return
    if connection.in_atomic_block:
        raise RuntimeError("Dispatch commits one delivery at a time: call it outside a transaction.")
    slots = min(max(1, system.max_concurrency), MAX_SLOTS)
    held: int | None = None
    with connection.cursor() as cursor:
        for slot in range(slots):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_NAMESPACE, system.pk * MAX_SLOTS + slot])
            if cursor.fetchone()[0]:
                held = slot
                break
    try:
        yield held
    finally:
        if held is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_NAMESPACE, system.pk * MAX_SLOTS + held])


# --- dispatch ---------------------------------------------------------------------------------------------------------
@dataclass
class Dispatch:
    """What one dispatcher run did for one system."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    busy: bool = False  # every concurrency slot of the system was taken: nothing attempted
    more: bool = False  # it stopped at its limit or time budget with deliveries possibly still due


AfterDelivery = Callable[..., None]


def _invoice_posted(*, actor: Any, system: ExternalSystem, event: OutboxEvent, reference: str) -> None:
    """The ERP took our approved invoice: it is `posted` here, with the ERP's reference in the audit trail."""
    from matching.models import Invoice
    from matching.services.payments import invoice_mark_posted

    invoice = Invoice.objects.filter(pk=event.payload.get("invoice")).first()
    if invoice is not None:
        invoice_mark_posted(actor=actor, invoice=invoice, reference=f"{system.code} {reference}")


# What the portal does once a system confirmed an event (in the transaction that marks the delivery delivered).
AFTER_DELIVERY: Final[dict[tuple[str, str], AfterDelivery]] = {
    (SystemKind.ERP, "invoice.approved"): _invoice_posted,
}


def outbox_deliver_due(
    *,
    system: ExternalSystem,
    limit: int = DISPATCH_BATCH,
    actor: Any = DEFAULT_ACTOR,
    time_budget: float = TIME_BUDGET_SECONDS,
) -> Dispatch:
    """Deliver up to `limit` due pending deliveries of `system`, one transaction each, within one concurrency slot.

    Stops early when nothing is due, when a retryable error says the system is struggling (the others wait for
    the next run instead of each spending an attempt), or when the time budget is spent."""
    result = Dispatch()
    with concurrency_slot(system) as slot:
        if slot is None:
            result.busy = True
            return result
        connector: Connector | None = None
        started = time.monotonic()
        try:
            for _ in range(limit):
                if time.monotonic() - started > time_budget:
                    result.more = True
                    break
                if connector is None:
                    connector = connector_for(system)
                outcome = _deliver_next(system=system, connector=connector, actor=actor)
                if outcome is None:
                    break
                if outcome == DeliveryStatus.DELIVERED:
                    result.delivered += 1
                elif outcome == DeliveryStatus.DEAD:
                    result.dead += 1
                else:
                    result.retried += 1
                    break
            else:
                result.more = True
        finally:
            if connector is not None:
                connector.close()
    return result


def _deliver_next(*, system: ExternalSystem, connector: Connector, actor: Any) -> str | None:
    """Deliver the next due delivery of the system in its own transaction; its new status, or None if none is due."""
    with transaction.atomic():
        delivery = (
            OutboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(system=system, status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at", "id")
            .first()
        )
        if delivery is None:
            return None
        event = delivery.event
        try:
            # A savepoint: a database error inside the connector's own reads must not poison our bookkeeping.
            with transaction.atomic():
                reference = connector.deliver(event.topic, event.payload)
        except ConnectorError as error:
            return _failed(delivery, error, actor=actor)
        except Exception as error:  # a bug in a mapping: counted against the budget, kept
            logger.exception("outbox delivery %s raised unexpectedly", delivery.pk)
            return _failed(delivery, error, actor=actor)
        delivery.attempts += 1
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.external_reference = str(reference)[:120]
        delivery.last_error = ""
        _save(delivery, actor, f"{event.topic} {event.subject} delivered to {system.code} as {reference}")
        after = AFTER_DELIVERY.get((system.kind, event.topic))
        if after is not None:
            try:
                with transaction.atomic():
                    after(actor=actor, system=system, event=event, reference=str(reference))
            except Exception:  # the system has it: our follow-up must not undo that
                logger.exception("after-delivery step of %s %s failed", event.topic, event.subject)
        return DeliveryStatus.DELIVERED


def _failed(delivery: OutboxDelivery, error: Exception, *, actor: Any) -> str:
    """Count the attempt; schedule the next one with backoff, or dead-letter the delivery."""
    retryable = isinstance(error, ConnectorError) and error.retryable
    retry_after = error.retry_after if isinstance(error, ConnectorError) else None
    message = error.message if isinstance(error, ConnectorError) else f"{error.__class__.__name__}: {error}"
    delivery.attempts += 1
    delivery.last_error = message[:ERROR_LIMIT]
    event, system = delivery.event, delivery.system
    now = timezone.now()
    budget = int(settings.OUTBOX_MAX_ATTEMPTS)
    if retryable and delivery.attempts < budget:
        delivery.next_attempt_at = now + timedelta(seconds=retry_delay(delivery.attempts, retry_after=retry_after))
        # Attempt bookkeeping is not in the history table (it changes on every try): no audit row is lost here.
        delivery.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        logger.info("outbox delivery %s attempt %s failed, retry: %s", delivery.pk, delivery.attempts, message[:200])
        return DeliveryStatus.PENDING
    why = "permanent error" if not retryable else f"{delivery.attempts} attempts"
    delivery.status = DeliveryStatus.DEAD
    _save(delivery, actor, f"{event.topic} {event.subject} to {system.code}: dead letter after {why}")
    _save(
        DeadLetter(
            system=system,
            direction=Direction.OUTBOUND,
            entity=event.topic[:30],
            external_id=event.subject[:120],
            payload=event.payload,
            error=message[:ERROR_LIMIT],
            attempts=delivery.attempts,
            delivery=delivery,
            created_at=now,
        ),
        actor,
        f"{event.topic} {event.subject} to {system.code} failed ({why})",
    )
    logger.warning("outbox delivery %s dead after %s: %s", delivery.pk, why, message[:200])
    return DeliveryStatus.DEAD


@transaction.atomic
def outbox_delivery_retry(*, actor: Any, delivery: OutboxDelivery, reason: str) -> bool:
    """Make a dead delivery pending again with a fresh attempt budget (a dead-letter replay, after the cause was
    fixed); True when it changed. A delivery that is pending or delivered is left as it is, so replay is idempotent."""
    delivery = OutboxDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.DEAD:
        return False
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    _save(delivery, actor, f"replayed: {reason}")
    return True
