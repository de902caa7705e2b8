"""Orders, invoices and workbench API URLs, included under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from matching.api import invoices, views, workbench_views

router = SimpleRouter(trailing_slash=True)
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="purchase-order")
router.register("receipts", views.ReceiptViewSet, basename="receipt")
router.register("invoices", invoices.InvoiceViewSet, basename="invoice")
router.register("workbench/queues", workbench_views.WorkQueueViewSet, basename="workbench-queue")
router.register("workbench/items", workbench_views.WorkItemViewSet, basename="workbench-item")

urlpatterns = [
    path("workbench/next/", workbench_views.ClaimNextView.as_view(), name="workbench-next"),
    *router.urls,
]
