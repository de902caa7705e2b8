"""App configuration for integrations."""

from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """ERP and procurement connectors."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Register the integration gauges on /metrics (the platform cannot import this app: the arrows point in)."""
        from integrations import metrics  # noqa: F401  (registration on import)
