"""What every approval service module shares: the SoD error and the audited save."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import models

from p2p_portal.audit.context import acting_as
from p2p_portal.errors import NotAllowedError

ResultT = TypeVar("ResultT")


class SodBlockedError(NotAllowedError):
    """A decision refused by a segregation-of-duties rule; `code` is `sod_<rule>`."""

    def __init__(self, message: str, *, code: str, acting_for: User | None, rule: str = "") -> None:
        super().__init__(message, code=code, extra={"rule": rule or code})
        self.acting_for = acting_for
        self.rule = rule or code


def _save(instance: models.Model, actor: Any, reason: str) -> None:
    instance.full_clean()
    with acting_as(actor, reason=reason):
        instance.save()
