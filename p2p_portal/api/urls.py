"""API URLs under /api/v1/."""

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from p2p_portal.api import views

# Swagger UI injects one fixed <style> element; its hash is allowed on this page only (no 'unsafe-inline').
SWAGGER_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"
SWAGGER_UI = csp_update({"style-src": [SWAGGER_STYLE_HASH]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

router = SimpleRouter(trailing_slash=True)
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("cost-centers", views.CostCenterViewSet, basename="cost-center")

urlpatterns = [
    path("me/", views.me, name="api-me"),
    path("audit/entries/", views.AuditEntryList.as_view(), name="api-audit-entries"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SWAGGER_UI, name="api-docs"),
    path("", include(router.urls)),
    path("", include("approvals.api.urls")),
    path("", include("vendors.api.urls")),
    path("", include("matching.api.urls")),
    path("integrations/", include("integrations.api.urls")),
]
