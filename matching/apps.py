"""App configuration for matching."""

from __future__ import annotations

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    """Invoice intake, matching and the AP exception workbench."""

    name = "matching"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from matching import approval_types

        approval_types.register()
