"""What every matching service module shares: the audited save."""

from __future__ import annotations

from typing import Any

from django.db import models

from p2p_portal.audit.context import acting_as


def _save(instance: models.Model, actor: Any, reason: str) -> None:
    """Validate and save one record with the actor and reason on its history row."""
    instance.full_clean()
    with acting_as(actor, reason=reason):
        instance.save()
