"""Root URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from p2p_portal import health, metrics, views
from p2p_portal.accounts import views as account_views

admin.site.site_header = "P2P Portal administration"
admin.site.site_title = "P2P Portal admin"

handler404 = "p2p_portal.views.not_found"
handler500 = "p2p_portal.views.server_error"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("p2p_portal.accounts.urls")),
    path("workbench/", include("matching.urls")),
    path("vendors/", include("vendors.urls")),
    path("approvals/", include("approvals.urls")),
    path("integrations/", include("integrations.urls")),
    path("insights/", include("insights.urls")),
    path("audit/", include("p2p_portal.audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("p2p_portal.api.urls")),
    path("notifications/", views.notifications, name="notifications"),
    path("favicon.ico", views.favicon),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
]
