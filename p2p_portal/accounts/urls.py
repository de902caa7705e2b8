"""Account URLs, under /account/."""

from django.urls import path

from p2p_portal.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("two-factor/", views.two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/reset/", views.two_factor_remove, name="two_factor_remove"),
    path("reauthenticate/", views.reauthenticate, name="reauthenticate"),
]
