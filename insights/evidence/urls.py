"""Pages of the evidence reports, under /insights/evidence/."""

from __future__ import annotations

from django.urls import URLPattern, path

from insights.evidence import views

app_name = "evidence"

urlpatterns: list[URLPattern] = [
    path("", views.pack, name="pack"),
    path("download/", views.pack_download, name="download"),
    path("verify/", views.chain_verify, name="verify"),
]
