"""Integrations API URLs, included under /api/v1/integrations/."""

from rest_framework.routers import SimpleRouter

from integrations.api import views

router = SimpleRouter(trailing_slash=True)
router.register("systems", views.SystemViewSet, basename="integration-system")
router.register("sync-runs", views.SyncRunViewSet, basename="sync-run")
router.register("outbox", views.DeliveryViewSet, basename="outbox-delivery")
router.register("dead-letters", views.DeadLetterViewSet, basename="dead-letter")

urlpatterns = router.urls
