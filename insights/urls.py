"""/insights/: the index, then one URL space per area (each area's own urls module)."""

from __future__ import annotations

from django.urls import include, path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("operations/", include("insights.operations.urls")),
    path("governance/", include("insights.governance.urls")),
    path("finance/", include("insights.finance.urls")),
    path("evidence/", include("insights.evidence.urls")),
]
