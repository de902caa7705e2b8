"""App configuration for insights (the shared frame of the reports)."""

from __future__ import annotations

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Dashboards and reports over every other app; nothing imports insights."""

    name = "insights"
    default_auto_field = "django.db.models.BigAutoField"
