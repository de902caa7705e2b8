"""What the workbench pages share: who may open and work them, the people an item may go to, and htmx helpers."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from matching.models import WorkItem, WorkQueue
from p2p_portal.navigation import SECTIONS_BY_KEY, roles_held, section_allowed
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for, has_role_at

PAGE_SIZE = 50


def person(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


def require_workbench(request: HttpRequest) -> User:
    """The person, if the workbench section is open to their roles (403 otherwise, like every section)."""
    user = person(request)
    if not section_allowed(user, SECTIONS_BY_KEY["workbench"]):
        raise PermissionDenied("The workbench is not open to your roles.")
    return user


def works_anything(user: User) -> bool:
    """Whether the person works some queue (AP managers, and holders of a role that works a queue)."""
    if user.is_superuser:
        return True
    held = roles_held(user)
    if Role.AP_MANAGER in held:
        return True
    groups = set(WorkQueue.objects.filter(active=True).values_list("group__name", flat=True).distinct())
    return bool(held & groups)


def require_worker(request: HttpRequest) -> User:
    """The person, if they work a queue; auditors and other readers are refused (403)."""
    user = require_workbench(request)
    if not works_anything(user):
        raise PermissionDenied("You read the workbench; you do not work its queues.")
    return user


def works_queue(user: User, queue: WorkQueue) -> bool:
    """Whether the person works this queue at one of its facilities or more (a constant number of queries)."""
    if user.is_superuser:
        return True
    mine = facilities_for(user, [queue.group.name, Role.AP_MANAGER]).values("pk")
    serving = queue.facilities.all()
    if not serving.exists():
        return facilities_for(user, [queue.group.name, Role.AP_MANAGER]).exists()
    return serving.filter(pk__in=mine).exists()


def is_manager_of(user: User, item: WorkItem) -> bool:
    """Whether the person is an AP manager at the item's facility (who reassigns)."""
    return bool(user.is_superuser or has_role_at(user, Role.AP_MANAGER, item.facility))


def candidates_for(item: WorkItem) -> QuerySet[User]:
    """The active people who may work this item: its queue's role or AP manager at its facility."""
    roles = [Role.AP_MANAGER, item.queue.group.name if item.queue is not None else Role.AP_CLERK]
    return (
        User.objects.filter(
            Q(is_active=True), role_assignments__facility_id=item.facility_id, role_assignments__role__in=roles
        )
        .distinct()
        .order_by("first_name", "username")
    )


def candidates_for_queue(queue: WorkQueue) -> QuerySet[User]:
    """The active people who may work items of this queue at one of its facilities."""
    roles = [Role.AP_MANAGER, queue.group.name]
    facilities = list(queue.facilities.values_list("pk", flat=True))
    # One filter() call: the role and the facility must be those of the same assignment.
    where = Q(role_assignments__role__in=roles)
    if facilities:
        where &= Q(role_assignments__facility_id__in=facilities)
    return User.objects.filter(where, is_active=True).distinct().order_by("first_name", "username")


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (it wants a fragment, not a page)."""
    return bool(getattr(request, "htmx", False))


def display_name(user: Any) -> str:
    """A person as the pages name them."""
    if user is None:
        return ""
    return str(user.get_full_name() or user.username)
