"""Dead letters: what could not be processed, kept with its payload and error until someone replays it (after fixing
the cause) or discards it with a reason. One open letter per inbound record: seeing it fail again adds an attempt."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from integrations.connectors import Unreadable
from integrations.errors import ConnectorError
from integrations.models import (
    DeadLetter,
    DeadLetterStatus,
    DeliveryStatus,
    Direction,
    ExternalSystem,
    OutboxDelivery,
    SyncRun,
)
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import ApplicationError, InvalidInputError


def _save(instance: Any, actor: Any, reason: str) -> None:
    instance.full_clean()
    with acting_as(actor, reason=reason):
        instance.save()


def _person(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def dead_letter_record(
    *,
    actor: Any,
    system: ExternalSystem,
    entity: str,
    external_id: str,
    payload: dict[str, Any],
    error: str,
    sync_run: SyncRun | None = None,
) -> DeadLetter:
    """Keep an inbound record that could not be applied; an open letter for the same record gets another attempt."""
    letter = (
        DeadLetter.objects.select_for_update()
        .filter(
            system=system,
            direction=Direction.INBOUND,
            entity=entity,
            external_id=external_id,
            status=DeadLetterStatus.OPEN,
        )
        .first()
    )
    if letter is None:
        letter = DeadLetter(
            system=system,
            direction=Direction.INBOUND,
            entity=entity,
            external_id=external_id[:120],
            created_at=timezone.now(),
            attempts=0,
        )
    letter.payload = payload
    letter.error = error or "unknown error"
    letter.attempts += 1
    letter.sync_run = sync_run
    _save(letter, actor, f"inbound {entity} {external_id} dead-lettered")
    return letter


def dead_letters_settle(
    *, actor: Any, system: ExternalSystem, entity: str, external_ids: list[str], sync_run: SyncRun
) -> int:
    """Open letters of records a run has now applied (fixed at the source since) are settled as replayed."""
    if not external_ids:
        return 0
    settled = 0
    for letter in DeadLetter.objects.select_for_update().filter(
        system=system,
        direction=Direction.INBOUND,
        entity=entity,
        status=DeadLetterStatus.OPEN,
        external_id__in=external_ids,
    ):
        letter.status = DeadLetterStatus.REPLAYED
        letter.resolved_at = timezone.now()
        letter.resolution = f"Applied by sync run {sync_run.pk} (the source sent a readable version)."
        _save(letter, actor, "dead letter settled by a sync run")
        settled += 1
    return settled


def _remap(system: ExternalSystem, entity: str, payload: dict[str, Any]) -> Any:
    """The canonical record of a stored payload: a stored canonical record, or the system's raw payload mapped."""
    from integrations.services.payloads import canonical_from_payload, is_canonical_payload

    if is_canonical_payload(payload):
        return canonical_from_payload(entity, payload)
    if system.connector == "sandbox":
        from integrations.sandbox.connector import mapped

        return mapped(entity, payload)
    from integrations.tryton.mapping_inbound import mapped as tryton_mapped

    return tryton_mapped(entity, payload)


def _current_record(letter: DeadLetter) -> Any:
    """The record as the source holds it now when the connector can read one record (a fix at the source shows);
    else the stored payload, mapped again."""
    from integrations.registry import connector_for

    connector = connector_for(letter.system)
    try:
        fetch = getattr(connector, "fetch", None)
        if fetch is not None and letter.external_id:
            return fetch(letter.entity, letter.external_id)
        return _remap(letter.system, letter.entity, letter.payload)
    finally:
        connector.close()


def dead_letter_replay(*, actor: Any, dead_letter: DeadLetter) -> DeadLetter:
    """Process the letter again: inbound, read and apply its record (idempotent; it stays open with the new error
    if it fails again); outbound, put its delivery back to pending to be attempted now."""
    if dead_letter.status == DeadLetterStatus.DISCARDED:
        raise ApplicationError("A discarded dead letter cannot be replayed.", code="dead_letter_discarded")
    if dead_letter.direction == Direction.OUTBOUND:
        return _outbound_replay(actor=actor, dead_letter=dead_letter)
    try:
        record = _current_record(dead_letter)
    except ConnectorError as error:
        return _replay_failed(actor=actor, dead_letter=dead_letter, error=f"{type(error).__name__}: {error}")
    if isinstance(record, Unreadable):
        return _replay_failed(actor=actor, dead_letter=dead_letter, error=str(record.error))
    return _inbound_apply(actor=actor, dead_letter=dead_letter, record=record)


@transaction.atomic
def _inbound_apply(*, actor: Any, dead_letter: DeadLetter, record: Any) -> DeadLetter:
    from integrations.services.apply import Outcome, Resolver, records_apply, rejection_text

    letter = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    (result,) = records_apply(
        actor=actor, system=letter.system, entity=letter.entity, records=[record], resolver=Resolver(letter.system)
    )
    if not isinstance(result, Outcome):
        return _replay_failed(actor=actor, dead_letter=letter, error=rejection_text(result))
    if letter.status == DeadLetterStatus.REPLAYED:
        return letter  # replayed before: applying again changed nothing worth recording
    letter.status = DeadLetterStatus.REPLAYED
    letter.resolved_at = timezone.now()
    letter.resolved_by = _person(actor)
    letter.resolution = f"Replayed: {result.value}."
    _save(letter, actor, f"dead letter replayed ({result.value})")
    return letter


@transaction.atomic
def _replay_failed(*, actor: Any, dead_letter: DeadLetter, error: str) -> DeadLetter:
    letter = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    letter.error = error or "unknown error"
    letter.attempts += 1
    _save(letter, actor, "replay failed again")
    return letter


@transaction.atomic
def _outbound_replay(*, actor: Any, dead_letter: DeadLetter) -> DeadLetter:
    letter = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    if letter.delivery_id is None:
        raise ApplicationError("This outbound dead letter has no delivery to retry.", code="dead_letter_no_delivery")
    from integrations.services.outbox import outbox_delivery_retry  # the outbox owns its deliveries' states

    outbox_delivery_retry(
        actor=actor,
        delivery=OutboxDelivery(pk=letter.delivery_id),
        reason=f"dead letter {letter.pk} replayed: delivery pending again",
    )
    if letter.status != DeadLetterStatus.REPLAYED:
        letter.status = DeadLetterStatus.REPLAYED
        letter.resolved_at = timezone.now()
        letter.resolved_by = _person(actor)
        letter.resolution = "Replayed: delivery pending again."
        _save(letter, actor, "dead letter replayed")
    return letter


@transaction.atomic
def dead_letter_discard(*, actor: Any, dead_letter: DeadLetter, reason: str) -> DeadLetter:
    """Give up on the letter, saying why (required); an outbound letter's dead delivery is discarded with it."""
    if not reason.strip():
        raise InvalidInputError("Say why the dead letter is discarded.", code="reason_required", field="reason")
    letter = DeadLetter.objects.select_for_update().get(pk=dead_letter.pk)
    if letter.status != DeadLetterStatus.OPEN:
        raise ApplicationError(f"The dead letter is already {letter.status}.", code="dead_letter_not_open")
    letter.status = DeadLetterStatus.DISCARDED
    letter.resolved_at = timezone.now()
    letter.resolved_by = _person(actor)
    letter.resolution = reason.strip()
    _save(letter, actor, f"dead letter discarded: {reason.strip()}"[:100])
    if letter.delivery_id is not None:
        delivery = OutboxDelivery.objects.select_for_update().get(pk=letter.delivery_id)
        if delivery.status == DeliveryStatus.DEAD:
            delivery.status = DeliveryStatus.DISCARDED
            _save(delivery, actor, f"dead letter {letter.pk} discarded")
    return letter
