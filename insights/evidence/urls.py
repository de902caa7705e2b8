"""Pages of the evidence reports, under /insights/evidence/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "evidence"

urlpatterns: list[URLPattern] = []
