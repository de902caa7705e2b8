"""App configuration for approvals."""

from __future__ import annotations

from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    """Generic approval engine."""

    name = "approvals"
    default_auto_field = "django.db.models.BigAutoField"
