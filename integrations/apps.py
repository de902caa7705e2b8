"""App configuration for integrations."""

from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """ERP and procurement connectors."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"
