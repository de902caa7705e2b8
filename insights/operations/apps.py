"""App configuration for the operations reports (its own label, so its models and migrations are its own)."""

from __future__ import annotations

from django.apps import AppConfig


class OperationsInsightsConfig(AppConfig):
    """The operations reports of insights."""

    name = "insights.operations"
    label = "insights_operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the operations gauges on /metrics.
        from insights.operations import metrics  # noqa: F401
