"""URLs of the workbench section."""

from django.urls import path

from matching import views
from matching.views import tolerances

app_name = "matching"

urlpatterns = [
    path("", views.index, name="index"),
    path("tolerances/", tolerances.tolerance_list, name="tolerances"),
    path("tolerances/new/", tolerances.tolerance_new, name="tolerance_new"),
    path("tolerances/<int:pk>/", tolerances.tolerance_detail, name="tolerance"),
]
