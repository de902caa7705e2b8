"""App configuration for vendors."""

from __future__ import annotations

from django.apps import AppConfig


class VendorsConfig(AppConfig):
    """Golden supplier master."""

    name = "vendors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from vendors import approval_types

        approval_types.register()
