"""URLs of the workbench section."""

from django.urls import path

from matching.views import item, overview, queues, tolerances

app_name = "matching"

urlpatterns = [
    path("", overview.index, name="index"),
    path("next/", overview.next_item, name="next"),
    path("queues/<int:pk>/", queues.queue_page, name="queue"),
    path("items/<int:pk>/", item.item_page, name="item"),
    path("items/<int:pk>/renew/", item.item_renew, name="item_renew"),
    path("items/<int:pk>/<slug:action>/", item.item_act, name="item_act"),
    path("tolerances/", tolerances.tolerance_list, name="tolerances"),
    path("tolerances/new/", tolerances.tolerance_new, name="tolerance_new"),
    path("tolerances/<int:pk>/", tolerances.tolerance_detail, name="tolerance"),
]
