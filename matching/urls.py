"""URLs of the workbench section."""

from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("", views.index, name="index"),
]
