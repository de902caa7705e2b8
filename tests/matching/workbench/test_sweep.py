"""The periodic sweep: expired leases back to the queue, holds back at their review date, SLA breaches escalated
once to the facility's AP managers."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from matching.models import WorkActionKind, WorkItem, WorkItemState
from matching.services.workbench.actions import work_item_hold
from matching.services.workbench.claims import work_item_claim
from matching.services.workbench.sweep import work_items_sweep
from matching.tasks import workbench_sweep
from p2p_portal.models import Facility, Notification
from p2p_portal.roles import Role
from tests.factories import make_user_with_role
from tests.matching.workbench.conftest import Ingest, actions, item_of

SWEEPER = "task: matching.workbench_sweep"


def test_the_sweep_returns_expired_leases_and_keeps_running_ones(
    ingest: Ingest, received: object, ann: User, bob: User
) -> None:
    lapsed = item_of(ingest("V-111", (1, "10", "10.30")))
    running = item_of(ingest("V-222", (1, "20", "10.30")))
    work_item_claim(actor=ann, item=lapsed)
    work_item_claim(actor=bob, item=running)
    WorkItem.objects.filter(pk=lapsed.pk).update(lease_expires_at=timezone.now() - timedelta(minutes=1))
    workbench_sweep.delay()  # the Celery task, run inline in tests
    lapsed.refresh_from_db()
    running.refresh_from_db()
    assert (lapsed.claimed_by, lapsed.lease_expires_at, lapsed.state) == (None, None, WorkItemState.OPEN)
    assert lapsed.history.latest().history_actor_label == SWEEPER
    assert running.claimed_by == bob
    assert work_items_sweep().leases_expired == 0, "nothing left to expire"


def test_a_hold_comes_back_on_its_review_date(ingest: Ingest, received: object, ann: User) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    review = timezone.localdate() + timedelta(days=3)
    work_item_hold(actor=ann, item=item, reason_code="awaiting_vendor", review_on=review)
    assert work_items_sweep(now=timezone.now() + timedelta(days=2)).holds_released == 0
    item.refresh_from_db()
    assert item.state == WorkItemState.ON_HOLD
    assert work_items_sweep(now=timezone.now() + timedelta(days=3)).holds_released == 1
    item.refresh_from_db()
    assert (item.state, item.hold_until) == (WorkItemState.OPEN, None)
    [released] = actions(item, WorkActionKind.RELEASE_HOLD)
    assert released.note == "Review date reached."


def test_a_breach_is_escalated_once_to_each_manager_of_the_facility(
    ingest: Ingest, received: object, ann: User, maria: User, north: Facility, south: Facility
) -> None:
    mark = make_user_with_role("mark", Role.AP_MANAGER, north)
    elsewhere = make_user_with_role("sue", Role.AP_MANAGER, south)
    ingest("V-111", (1, "10", "10.30"))
    urgent = item_of(ingest("V-111", (1, "10", "10.30")))  # the duplicate: due in 24 hours
    normal = WorkItem.objects.exclude(pk=urgent.pk).get()  # the variance: due in 72 hours
    assert urgent.due_at < normal.due_at
    later = urgent.due_at + timedelta(hours=1)

    run = work_items_sweep(now=later)
    assert run.escalated == 1
    urgent.refresh_from_db()
    normal.refresh_from_db()
    assert urgent.escalated_at == later
    assert normal.escalated_at is None
    assert len(actions(urgent, WorkActionKind.ESCALATE)) == 1
    for manager in (maria, mark):
        [told] = Notification.objects.filter(user=manager)
        assert "past their due time" in told.title
        assert urgent.invoice.invoice_number in told.body
    assert not Notification.objects.filter(user__in=[elsewhere, ann]).exists()

    assert work_items_sweep(now=later + timedelta(hours=2)).escalated == 0
    assert Notification.objects.filter(user=maria).count() == 1, "a breach is escalated once"
    assert len(actions(urgent, WorkActionKind.ESCALATE)) == 1
