"""Pages of the governance reports, under /insights/governance/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "governance"

urlpatterns: list[URLPattern] = []
