"""Approvals API URLs, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from approvals.api import views

router = SimpleRouter(trailing_slash=True)
router.register("approvals", views.ApprovalRequestViewSet, basename="approval-request")
router.register("delegations", views.DelegationViewSet, basename="delegation")

urlpatterns = router.urls
