"""The platform app: organisation, access, API conventions, audit, health and metrics."""

from __future__ import annotations

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """Registers the platform's system checks and business metrics."""

    name = "p2p_portal"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from p2p_portal import checks, metrics  # noqa: F401  (registration on import)
