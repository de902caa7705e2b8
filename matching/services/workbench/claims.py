"""Claims and leases: "next" gives a clerk the oldest item they may work, nobody else holds it while the lease
runs, an expired lease returns it to its queue, and managers reassign."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from matching.models import WorkActionKind, WorkItem, WorkItemState, WorkQueue
from matching.services._common import _save
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.models import RoleAssignment
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for, has_role_at
from p2p_portal.services import notification_send


def lease_end(now: datetime) -> datetime:
    """When a lease taken or renewed at `now` runs out."""
    return now + timedelta(minutes=settings.WORKBENCH_LEASE_MINUTES)


def workable_condition(user: Any) -> Q:
    """The items a user may work: those of queues worked by a role they hold, at facilities where they hold it;
    AP managers work every queue of their facilities. Nothing for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    held = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    for role in held:
        facilities = list(facilities_for(user, [role]).values_list("pk", flat=True))
        if not facilities:
            continue
        if role == Role.AP_MANAGER:
            condition |= Q(facility_id__in=facilities)
        else:
            condition |= Q(queue__group__name=role, facility_id__in=facilities)
    return condition


def may_work(user: Any, item: WorkItem) -> bool:
    """Whether the user may work this item (the same rule as `workable_condition`, for one item)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or has_role_at(user, Role.AP_MANAGER, item.facility):
        return True
    role = item.queue.group.name if item.queue is not None else Role.AP_CLERK
    return has_role_at(user, role, item.facility)


def holds_lease(user: Any, item: WorkItem, now: datetime | None = None) -> bool:
    """Whether `user` holds the item's lease right now."""
    now = now or timezone.now()
    return item.claimed_by_id == user.pk and item.lease_expires_at is not None and item.lease_expires_at > now


def held_by_other(user: Any, item: WorkItem, now: datetime) -> bool:
    """Whether someone else holds a lease on the item that has not run out."""
    return (
        item.claimed_by_id is not None
        and item.claimed_by_id != user.pk
        and item.lease_expires_at is not None
        and item.lease_expires_at > now
    )


def _claimable(user: User, queue: WorkQueue | None, now: datetime) -> QuerySet[WorkItem]:
    items = WorkItem.objects.filter(workable_condition(user), state=WorkItemState.OPEN).filter(
        Q(claimed_by__isnull=True) | Q(lease_expires_at__lte=now) | Q(claimed_by=user)
    )
    if queue is not None:
        items = items.filter(queue=queue)
    return items.order_by("opened_at", "id")


def _take(item: WorkItem, user: User, now: datetime, reason: str) -> WorkItem:
    item.claimed_by, item.claimed_at, item.lease_expires_at = user, now, lease_end(now)
    _save(item, user, reason)
    return item


@transaction.atomic
def work_item_claim_next(*, actor: User, queue: WorkQueue | None = None) -> WorkItem | None:
    """Give the clerk the oldest unclaimed item they may work (in `queue`, or in any of theirs) with a fresh lease;
    the open items they held before go back to their queues. None when there is nothing to work."""
    now = timezone.now()
    released = _release_others(actor)
    # "Next" moves on: the items just given back are not handed straight back to the same clerk.
    candidates = _claimable(actor, queue, now).exclude(pk__in=released)
    if connection.features.has_select_for_update_skip_locked:
        # Claimers skip each other's locked rows instead of queueing on them: two never get the same item.
        item = candidates.select_for_update(skip_locked=True, of=("self",)).first()
        return _take(item, actor, now, "claimed (next)") if item is not None else None
    # SQLite has no row locks: claim with a conditional UPDATE and try the next candidate if someone was faster.
    for pk in candidates.values_list("pk", flat=True)[:20]:
        taken = WorkItem.objects.filter(
            Q(claimed_by__isnull=True) | Q(lease_expires_at__lte=now), pk=pk, state=WorkItemState.OPEN
        ).update(claimed_by=actor, claimed_at=now, lease_expires_at=lease_end(now))
        if taken:
            item = WorkItem.objects.get(pk=pk)
            return _take(item, actor, now, "claimed (next)")
    return None


def _locked(item: WorkItem) -> WorkItem:
    return WorkItem.objects.select_for_update(of=("self",)).select_related("queue__group", "facility").get(pk=item.pk)


@transaction.atomic
def work_item_claim(*, actor: User, item: WorkItem) -> WorkItem:
    """Take one item the clerk chose (refused while someone else's lease runs); renews the lease if already held."""
    item = _locked(item)
    now = timezone.now()
    if not may_work(actor, item):
        raise NotAllowedError("This item is in a queue you do not work.", code="not_your_queue")
    if item.state == WorkItemState.CLOSED:
        raise ApplicationError("This item is closed: its invoice needs nothing more from AP.", code="item_closed")
    if held_by_other(actor, item, now):
        raise ApplicationError(
            f"{item.claimed_by} is working on this item until {timezone.localtime(item.lease_expires_at):%H:%M}.",
            code="claimed_by_other",
            extra={"claimed_by": str(item.claimed_by), "lease_expires_at": item.lease_expires_at},
        )
    if holds_lease(actor, item, now):
        work_item_lease_renew(actor=actor, item=item)
        return item
    # One item at a time, as with "next": a clerk who opens another item gives back the one they held, so that
    # browsing never locks items away from the others for a whole lease.
    _release_others(actor, keep=item.pk)
    return _take(item, actor, now, "claimed")


def _release_others(actor: User, *, keep: int | None = None) -> list[int]:
    """Give back the open items the actor holds (but `keep`); their ids."""
    released = []
    held_items = WorkItem.objects.select_for_update().filter(claimed_by=actor, state=WorkItemState.OPEN)
    if keep is not None:
        held_items = held_items.exclude(pk=keep)
    for held in held_items:
        held.claimed_by = held.claimed_at = held.lease_expires_at = None
        _save(held, actor, "released: took another item")
        released.append(held.pk)
    return released


def work_item_lease_renew(*, actor: User, item: WorkItem) -> bool:
    """Extend the lease of an item the actor holds (while they work on it); False when they no longer hold it."""
    now = timezone.now()
    # The lease end is kept out of the history (a renewal decides nothing), so a plain UPDATE is the right write.
    renewed = WorkItem.objects.filter(pk=item.pk, claimed_by=actor, lease_expires_at__gt=now).update(
        lease_expires_at=lease_end(now)
    )
    if renewed:
        item.lease_expires_at = lease_end(now)
    return bool(renewed)


@transaction.atomic
def work_item_release(*, actor: User, item: WorkItem) -> WorkItem:
    """Give an item back to its queue."""
    item = _locked(item)
    if item.claimed_by_id != actor.pk:
        raise ApplicationError("You do not hold this item.", code="not_claimed")
    item.claimed_by = item.claimed_at = item.lease_expires_at = None
    _save(item, actor, "released")
    return item


@transaction.atomic
def work_item_reassign(*, actor: User, item: WorkItem, to: User, reason_code: str, note: str = "") -> WorkItem:
    """An AP manager gives an item to another clerk (who must work its queue at its facility), with a fresh lease."""
    from matching.services.workbench.actions import action_record, reason_check
    from matching.services.workbench.reasons import REASSIGN_REASONS

    item = _locked(item)
    if not (actor.is_superuser or has_role_at(actor, Role.AP_MANAGER, item.facility)):
        raise NotAllowedError("Only an AP manager of this facility reassigns items.", code="not_a_manager")
    reason_check(reason_code, note, REASSIGN_REASONS)
    if not to.is_active or not may_work(to, item):
        raise InvalidInputError(
            f"{to} does not work this queue at {item.facility.code}.", code="cannot_work_item", field="to"
        )
    if item.state == WorkItemState.CLOSED:
        raise ApplicationError("This item is closed.", code="item_closed")
    before = item.claimed_by
    now = timezone.now()
    item.claimed_by, item.claimed_at, item.lease_expires_at = to, now, lease_end(now)
    _save(item, actor, f"reassigned to {to}")
    action_record(
        actor=actor,
        item=item,
        kind=WorkActionKind.REASSIGN,
        reason_code=reason_code,
        note=note,
        detail={"from": str(before) if before else "", "to": str(to)},
    )
    notification_send(
        actor=actor,
        user=to,
        title=f"{actor} gave you invoice {item.invoice.invoice_number}",
        body=note,
        link=f"/workbench/items/{item.pk}/",
    )
    return item


def managers_at(facility_id: int) -> list[User]:
    """The active AP managers of a facility (who SLA breaches are escalated to)."""
    return list(
        User.objects.filter(
            is_active=True, role_assignments__role=Role.AP_MANAGER, role_assignments__facility_id=facility_id
        )
        .distinct()
        .order_by("username")
    )
