"""App configuration for the evidence reports (its own label, so its models and migrations are its own)."""

from __future__ import annotations

from django.apps import AppConfig


class EvidenceInsightsConfig(AppConfig):
    """The evidence reports of insights."""

    name = "insights.evidence"
    label = "insights_evidence"
    default_auto_field = "django.db.models.BigAutoField"
