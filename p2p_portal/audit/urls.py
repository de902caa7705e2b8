"""URLs of the Audit section."""

from django.urls import path

from p2p_portal.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_list, name="list"),
    path("export.csv", views.audit_export, name="export"),
    path("chain/", views.audit_chain, name="chain"),
    path("<str:model_label>/<str:object_id>/", views.audit_object, name="object"),
]
