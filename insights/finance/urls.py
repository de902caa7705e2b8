"""Pages of the finance reports, under /insights/finance/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "finance"

urlpatterns: list[URLPattern] = []
