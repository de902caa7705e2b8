"""Orders API URLs, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from matching.api import invoices, views

router = SimpleRouter(trailing_slash=True)
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="purchase-order")
router.register("receipts", views.ReceiptViewSet, basename="receipt")
router.register("invoices", invoices.InvoiceViewSet, basename="invoice")

urlpatterns = router.urls
