"""URLs of the approvals section."""

from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.index, name="index"),
]
