"""App configuration for the finance reports (its own label, so its models and migrations are its own)."""

from __future__ import annotations

from django.apps import AppConfig


class FinanceInsightsConfig(AppConfig):
    """The finance reports of insights."""

    name = "insights.finance"
    label = "insights_finance"
    default_auto_field = "django.db.models.BigAutoField"
