"""The platform app: organisation, access, API conventions, audit, health and metrics."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """Registers the platform's system checks and business metrics."""

    name = "p2p_portal"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from p2p_portal import checks, metrics  # noqa: F401  (registration on import)

        # After auth's own post_migrate has created the permissions (apps run in INSTALLED_APPS order).
        post_migrate.connect(_sync_role_groups, dispatch_uid="p2p_role_groups_sync")


def _sync_role_groups(sender: Any, **kwargs: Any) -> None:
    from p2p_portal.services import role_groups_sync

    if kwargs.get("using", "default") == "default":
        role_groups_sync()
