"""App configuration for the governance reports (its own label, so its models and migrations are its own)."""

from __future__ import annotations

from django.apps import AppConfig


class GovernanceInsightsConfig(AppConfig):
    """The governance reports of insights."""

    name = "insights.governance"
    label = "insights_governance"
    default_auto_field = "django.db.models.BigAutoField"
