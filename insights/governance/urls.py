"""Pages of the governance reports, under /insights/governance/."""

from __future__ import annotations

from django.urls import URLPattern, path

from insights.governance import views

app_name = "governance"

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("changes/", views.changes, name="changes"),
    path("cooling-off/", views.cooling_off, name="cooling_off"),
    path("sources/", views.sources, name="sources"),
]
