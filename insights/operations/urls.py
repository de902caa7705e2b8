"""Pages of the operations reports, under /insights/operations/."""

from __future__ import annotations

from django.urls import path

from insights.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("lists/<slug:figure>/", views.figure, name="list"),
]
