"""Claims and leases: twenty clerks at once never share an item, leases run out and are renewed by their holder,
another clerk's hold is respected, and only managers reassign."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from matching.models import Invoice, WorkActionKind, WorkItem, WorkItemState
from matching.services.work_items import sla_due, work_queue_defaults_ensure
from matching.services.workbench.claims import (
    work_item_claim,
    work_item_claim_next,
    work_item_lease_renew,
    work_item_reassign,
    work_item_release,
)
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.models import Facility, Notification
from p2p_portal.roles import Role
from tests.factories import make_user_with_role
from tests.matching.workbench.conftest import Ingest, actions, item_of

CLERKS = 20
ITEMS = 1000


def _items_in_variance_queue(facility: Facility, count: int) -> list[int]:
    """`count` invoices in exception with open work items in the facility's variances queue, bulk-written."""
    queue = next(q for q in work_queue_defaults_ensure(facility=facility) if q.code.endswith("-variances"))
    invoices = Invoice.objects.bulk_create(
        Invoice(
            facility=facility,
            invoice_number=f"C-{n:05d}",
            invoice_number_normalised=f"c{n:05d}",
            invoice_date=date(2026, 11, 10),
            currency="USD",
            subtotal=1,
            total_amount=1,
            status="exception",
            channel="api_json",
        )
        for n in range(count)
    )
    start = timezone.now() - timedelta(hours=1)
    items = WorkItem.objects.bulk_create(
        WorkItem(
            invoice=invoice,
            facility=facility,
            queue=queue,
            opened_at=start + timedelta(seconds=n),
            due_at=sla_due(start + timedelta(seconds=n), queue),
        )
        for n, invoice in enumerate(invoices)
    )
    return [item.pk for item in items]


@pytest.mark.django_db(transaction=True)
def test_twenty_clerks_claiming_at_once_get_every_item_exactly_once(north: Facility) -> None:
    wanted = _items_in_variance_queue(north, ITEMS)
    clerks = [make_user_with_role(f"clerk{n:02d}", Role.AP_CLERK, north) for n in range(CLERKS)]
    barrier = threading.Barrier(CLERKS)
    claimed: dict[str, list[int]] = {}
    failures: list[BaseException] = []

    def work(clerk: User) -> None:
        """Claim until nothing is left, closing each item while still holding it (so it never returns)."""
        mine: list[int] = []
        try:
            barrier.wait(timeout=60)
            while (item := work_item_claim_next(actor=clerk)) is not None:
                # Closed only if this clerk still holds it: a second holder would make this update miss.
                held = WorkItem.objects.filter(pk=item.pk, claimed_by=clerk, state=WorkItemState.OPEN).update(
                    state=WorkItemState.CLOSED, closed_at=timezone.now()
                )
                assert held == 1, f"{clerk} lost item {item.pk} it had just claimed"
                mine.append(item.pk)
        except BaseException as failure:  # reported by the main thread: an exception in a thread is silent
            failures.append(failure)
        finally:
            claimed[clerk.username] = mine
            connection.close()

    threads = [threading.Thread(target=work, args=(clerk,)) for clerk in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, failures
    every_claim = [pk for mine in claimed.values() for pk in mine]
    assert len(every_claim) == len(set(every_claim)), "an item was claimed twice"
    assert sorted(every_claim) == sorted(wanted), "an item was never claimed"
    assert sum(1 for mine in claimed.values() if mine) > 1, "the clerks did not work side by side"
    assert not WorkItem.objects.filter(state=WorkItemState.OPEN).exists()


def test_next_gives_the_oldest_item_and_returns_the_previous_one(ingest: Ingest, received: object, ann: User) -> None:
    first = item_of(ingest("V-111", (1, "10", "10.30")))
    second = item_of(ingest("V-222", (1, "20", "10.30")))
    assert work_item_claim_next(actor=ann) == first
    taken = work_item_claim_next(actor=ann)
    assert taken == second
    first.refresh_from_db()
    assert first.claimed_by is None, "the clerk's previous item went back to the queue"
    assert taken.claimed_by == ann
    assert taken.lease_expires_at is not None
    assert taken.lease_expires_at > timezone.now() + timedelta(minutes=29)


def test_a_clerk_elsewhere_gets_nothing_and_may_not_claim(ingest: Ingest, received: object, south: Facility) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    stranger = make_user_with_role("sid", Role.AP_CLERK, south)
    assert work_item_claim_next(actor=stranger) is None
    with pytest.raises(NotAllowedError) as refused:
        work_item_claim(actor=stranger, item=item)
    assert refused.value.code == "not_your_queue"
    item.refresh_from_db()
    assert item.claimed_by is None


def test_an_expired_lease_lets_another_clerk_claim(ingest: Ingest, received: object, ann: User, bob: User) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    work_item_claim(actor=ann, item=item)
    with pytest.raises(ApplicationError) as refused:
        work_item_claim(actor=bob, item=item)
    assert refused.value.code == "claimed_by_other"
    assert work_item_claim_next(actor=bob) is None, "nothing else to work while Ann's lease runs"
    WorkItem.objects.filter(pk=item.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert work_item_claim_next(actor=bob) == item
    item.refresh_from_db()
    assert item.claimed_by == bob
    assert not work_item_lease_renew(actor=ann, item=item), "Ann's lease is gone"


def test_only_the_holder_renews_a_lease(ingest: Ingest, received: object, ann: User, bob: User) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    work_item_claim(actor=ann, item=item)
    soon = timezone.now() + timedelta(minutes=1)
    WorkItem.objects.filter(pk=item.pk).update(lease_expires_at=soon)
    assert not work_item_lease_renew(actor=bob, item=item)
    item.refresh_from_db()
    assert item.lease_expires_at == soon
    assert item.claimed_by == ann
    assert work_item_lease_renew(actor=ann, item=item)
    item.refresh_from_db()
    assert item.lease_expires_at > timezone.now() + timedelta(minutes=29)


def test_release_gives_the_item_back(ingest: Ingest, received: object, ann: User, bob: User) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    work_item_claim(actor=ann, item=item)
    with pytest.raises(ApplicationError) as refused:
        work_item_release(actor=bob, item=item)
    assert refused.value.code == "not_claimed"
    work_item_release(actor=ann, item=item)
    assert work_item_claim_next(actor=bob) == item
    assert item.history.filter(history_user=ann, history_change_reason="released").exists()


def test_a_manager_reassigns_to_a_clerk_who_works_the_queue(
    ingest: Ingest, received: object, ann: User, bob: User, maria: User, north: Facility, south: Facility
) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    work_item_claim(actor=ann, item=item)
    with pytest.raises(NotAllowedError) as refused:
        work_item_reassign(actor=ann, item=item, to=bob, reason_code="workload")
    assert refused.value.code == "not_a_manager"
    outsider = make_user_with_role("sid", Role.AP_CLERK, south)
    auditor = make_user_with_role("ada", Role.AUDITOR, north)
    for wrong in (outsider, auditor):
        with pytest.raises(InvalidInputError) as invalid:
            work_item_reassign(actor=maria, item=item, to=wrong, reason_code="workload")
        assert invalid.value.code == "cannot_work_item"
    with pytest.raises(InvalidInputError) as invalid:
        work_item_reassign(actor=maria, item=item, to=bob, reason_code="other")
    assert invalid.value.code == "note_required"
    item.refresh_from_db()
    assert item.claimed_by == ann, "refused reassignments change nothing"
    assert not actions(item, WorkActionKind.REASSIGN)

    work_item_reassign(actor=maria, item=item, to=bob, reason_code="absence", note="Ann is out today")
    item.refresh_from_db()
    assert item.claimed_by == bob
    assert item.lease_expires_at is not None
    [logged] = actions(item, WorkActionKind.REASSIGN)
    assert (logged.actor, logged.reason_code, logged.note) == (maria, "absence", "Ann is out today")
    assert logged.detail == {"from": str(ann), "to": str(bob)}
    assert item.history.latest().history_user == maria
    assert Notification.objects.filter(user=bob, link=f"/workbench/items/{item.pk}/").exists()
