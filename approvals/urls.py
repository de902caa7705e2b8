"""URLs of the approvals section."""

from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.inbox, name="index"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("decisions/", views.my_decisions, name="decisions"),
    path("delegations/", views.delegations, name="delegations"),
    path("delegations/<int:pk>/end/", views.delegation_end, name="delegation_end"),
    path("team/", views.team, name="team"),
]
