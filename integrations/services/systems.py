"""External systems: created and changed only here (the admin and the demo call these)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from integrations.models import ExternalSystem
from p2p_portal.audit.context import acting_as


@transaction.atomic
def external_system_create(*, actor: Any, reason: str, **fields: Any) -> ExternalSystem:
    """Register a system to sync with (its config names environment variables, never secrets)."""
    system = ExternalSystem(**fields)
    system.full_clean()
    with acting_as(actor, reason=reason):
        system.save()
    return system
