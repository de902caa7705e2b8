"""Run now: a person (or an API client) asks for an inbound sync of one entity outside the beat schedule."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from integrations.models import ExternalSystem
from integrations.selectors import entities_of
from p2p_portal.audit.context import acting_as, actor_for
from p2p_portal.errors import ApplicationError, InvalidInputError


@transaction.atomic
def sync_run_request(*, actor: Any, system: ExternalSystem, entity: str) -> str:
    """Enqueue `integrations.sync_entity` for the system and entity once the transaction commits; the request is
    audited on the system's history (who, when, which entity) and the run carries `triggered_by`. Returns the
    name the run is triggered by."""
    from integrations.tasks import sync_entity  # tasks import services: import here, not at module level

    if entity not in entities_of(system):
        raise InvalidInputError(
            f"{system.name} does not sync {entity!r}; it syncs {', '.join(entities_of(system))}.",
            code="entity_unknown",
            field="entity",
        )
    if not system.enabled:
        raise ApplicationError(f"{system.name} is disabled: enable it before running a sync.", code="system_disabled")
    triggered_by = actor_for(actor).display
    locked = ExternalSystem.objects.select_for_update().get(pk=system.pk)
    locked.full_clean()
    with acting_as(actor, reason=f"Run now: {entity} sync requested"):
        locked.save()  # no field changes: the history row is the record of who asked for the run, and when
    system_id = system.pk
    transaction.on_commit(lambda: sync_entity.delay(system_id, entity, triggered_by))
    return triggered_by
