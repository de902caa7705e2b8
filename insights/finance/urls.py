"""Pages of the finance reports, under /insights/finance/."""

from __future__ import annotations

from django.urls import URLPattern, path

from insights.finance import views

app_name = "finance"

urlpatterns: list[URLPattern] = [
    path("accruals/", views.accruals, name="accruals"),
    path("accruals/lines/", views.accrual_lines_page, name="accrual_lines"),
    path("spend/", views.spend, name="spend"),
    path("spend/lines/", views.spend_lines_page, name="spend_lines"),
    path("leakage/lines/", views.leakage_lines_page, name="leakage_lines"),
]
