"""Pages of the operations reports, under /insights/operations/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "operations"

urlpatterns: list[URLPattern] = []
