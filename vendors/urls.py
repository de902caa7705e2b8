"""URLs of the vendors section."""

from django.urls import path

from vendors.views import bank, changes, proposals, queues, search, vendor

app_name = "vendors"

urlpatterns = [
    path("", search.index, name="index"),
    path("new/", proposals.vendor_new, name="new"),
    path("new/duplicates/", proposals.new_vendor_duplicates, name="new_duplicates"),
    path("changes/", changes.change_list, name="changes"),
    path("changes/<int:pk>/", changes.change_review, name="change_request"),
    path("changes/<int:pk>/decide/", changes.change_decide, name="change_decide"),
    path("changes/<int:pk>/callback/", changes.change_callback, name="change_callback"),
    path("changes/<int:pk>/withdraw/", changes.change_withdraw, name="change_withdraw"),
    path("changes/<int:pk>/answer/", changes.change_answer, name="change_answer"),
    path("duplicates/", queues.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/merge/", queues.duplicate_decide, {"action": "merge"}, name="duplicate_merge"),
    path("duplicates/<int:pk>/dismiss/", queues.duplicate_decide, {"action": "dismiss"}, name="duplicate_dismiss"),
    path("screening/", queues.screening, name="screening"),
    path("screening/<int:pk>/confirm/", queues.screening_decide, {"action": "confirm"}, name="screening_confirm"),
    path("screening/<int:pk>/clear/", queues.screening_decide, {"action": "clear"}, name="screening_clear"),
    path("<str:number>/", vendor.vendor_detail, name="detail"),
    path("<str:number>/change/", proposals.vendor_change, name="change"),
    path("<str:number>/change/duplicates/", proposals.vendor_change_duplicates, name="change_duplicates"),
    path("<str:number>/bank/", bank.bank_change, name="bank_change"),
    path("<str:number>/bank-accounts/<int:pk>/reveal/", vendor.bank_account_reveal_page, name="bank_reveal"),
]
