"""Vendors API URLs, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from vendors.api import views

router = SimpleRouter(trailing_slash=True)
router.register("vendors", views.VendorViewSet, basename="vendor")
router.register("vendor-change-requests", views.ChangeRequestViewSet, basename="vendor-change-request")
router.register("vendor-duplicates", views.DuplicateCandidateViewSet, basename="vendor-duplicate")
router.register("vendor-screening-hits", views.ScreeningHitViewSet, basename="vendor-screening-hit")

urlpatterns = router.urls
