"""The admin of the workbench: staff change queues and authority limits with a reason the history keeps; work items
and actions are evidence, shown read-only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from matching.models import AuthorityLimit, WorkItem, WorkQueue
from tests.matching.workbench import test_pages as shared
from tests.matching.workbench.test_pages import item_of

pytestmark = pytest.mark.django_db
# The fixtures of the page tests, shared.
invoices = shared.invoices
received = shared.received


def test_staff_change_a_queue_with_a_reason_the_history_keeps(staff_client, people, north) -> None:
    group = Group.objects.get(name="ap_clerk")
    data = {
        "code": "north-implants",
        "name": "NORTH · Implants",
        "facilities": [north.pk],
        "exception_codes": '["price_variance"]',
        "priority": "high",
        "group": group.pk,
        "position": 5,
        "active": "on",
        "reason": "implant invoices need the implant team",
    }
    refused = staff_client.post("/admin/matching/workqueue/add/", {**data, "exception_codes": '["nonsense"]'})
    assert refused.status_code == 200
    assert "Unknown exception codes: nonsense" in refused.content.decode()
    response = staff_client.post("/admin/matching/workqueue/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    queue = WorkQueue.objects.get(code="north-implants")
    assert list(queue.facilities.all()) == [north]
    record = queue.history.get()
    assert record.history_change_reason == "implant invoices need the implant team"
    assert record.history_user.username == "sam"
    without_reason = staff_client.post(f"/admin/matching/workqueue/{queue.pk}/change/", {**data, "reason": ""})
    assert without_reason.status_code == 200
    assert queue.history.count() == 1


def test_staff_set_an_authority_limit_with_a_reason(staff_client, north) -> None:
    response = staff_client.post(
        "/admin/matching/authoritylimit/add/",
        {"role": "ap_clerk", "facility": north.pk, "max_variance": "500.00", "reason": "senior clerks at NORTH"},
    )
    assert response.status_code == 302
    limit = AuthorityLimit.objects.get(role="ap_clerk", facility=north)
    assert limit.max_variance == Decimal("500.00")
    assert limit.history.get().history_change_reason == "senior clerks at NORTH"


def test_work_items_and_actions_are_read_only_in_the_admin(staff_client, people, invoices) -> None:
    item = item_of(invoices[0])
    page = staff_client.get(f"/admin/matching/workitem/{item.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert staff_client.get("/admin/matching/workitem/add/").status_code == 403
    assert staff_client.get("/admin/matching/workaction/add/").status_code == 403
    assert staff_client.post(f"/admin/matching/workitem/{item.pk}/delete/").status_code == 403
    assert WorkItem.objects.filter(pk=item.pk).exists()
