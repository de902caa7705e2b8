"""Platform services: every platform write goes through here, attributed to an explicit actor."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from p2p_portal.api.tokens import IssuedToken, new_token_secret, token_digest
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import InvalidInputError
from p2p_portal.models import (
    ApiClient,
    ApiToken,
    CostCenter,
    Facility,
    Notification,
    OutboxEvent,
    RoleAssignment,
    TaskHeartbeat,
)
from p2p_portal.roles import ROLE_PERMISSIONS, Role, facility_permission

logger = logging.getLogger(__name__)

Actor = Any  # a user, an ApiClient, or a system process name (see p2p_portal.audit.context.actor_for)


@transaction.atomic
def task_heartbeat_record(*, name: str, hostname: str) -> TaskHeartbeat:
    """Record that the periodic task `name` just ran on `hostname` (operational state: no history, no actor)."""
    heartbeat, _ = TaskHeartbeat.objects.select_for_update().get_or_create(
        name=name, defaults={"hostname": hostname, "last_seen_at": timezone.now()}
    )
    heartbeat.hostname = hostname
    heartbeat.last_seen_at = timezone.now()
    heartbeat.full_clean()
    heartbeat.save(update_fields=["hostname", "last_seen_at"])
    return heartbeat


# --- Organisation ------------------------------------------------------------------------------------
@transaction.atomic
def facility_create(*, actor: Actor, code: str, name: str, gln: str | None = None, active: bool = True) -> Facility:
    """Create a facility."""
    facility = Facility(code=code, name=name, gln=gln or None, active=active)
    facility.full_clean()
    with acting_as(actor, reason="facility created"):
        facility.save()
    return facility


@transaction.atomic
def cost_center_create(
    *, actor: Actor, facility: Facility, code: str, name: str, owner: User | None = None
) -> CostCenter:
    """Create a cost center in a facility."""
    if not facility.active:
        raise InvalidInputError(f"Facility {facility.code} is inactive.", code="facility_inactive", field="facility")
    cost_center = CostCenter(facility=facility, code=code, name=name, owner=owner)
    cost_center.full_clean()
    with acting_as(actor, reason="cost center created"):
        cost_center.save()
    return cost_center


# --- Roles --------------------------------------------------------------------------------------------
@transaction.atomic
def role_grant(*, actor: Actor, user: User, role: Role | str, facility: Facility, reason: str = "") -> RoleAssignment:
    """Give `user` the role at `facility`: the audited assignment, the role's group, the facility permission."""
    role = Role(role)
    with acting_as(actor, reason=reason or f"granted {role.value} at {facility.code}"):
        assignment, _ = RoleAssignment.objects.get_or_create(user=user, role=role, facility=facility)
    user.groups.add(Group.objects.get(name=role.value))
    assign_perm(facility_permission(role), user, facility)
    return assignment


@transaction.atomic
def role_revoke(*, actor: Actor, user: User, role: Role | str, facility: Facility, reason: str = "") -> None:
    """Take the role at `facility` from `user`; the group goes too when no other facility grants it."""
    role = Role(role)
    assignment = RoleAssignment.objects.filter(user=user, role=role, facility=facility).first()
    if assignment is None:
        return
    with acting_as(actor, reason=reason or f"revoked {role.value} at {facility.code}"):
        assignment.delete()
    remove_perm(facility_permission(role), user, facility)
    if not RoleAssignment.objects.filter(user=user, role=role).exists():
        user.groups.remove(Group.objects.get(name=role.value))


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User, reason: str) -> None:
    """Deactivate a user and end every session they have, at once (not at their next request)."""
    user.is_active = False
    with acting_as(actor, reason=reason):
        user.save(update_fields=["is_active"])
    user_key = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_key:
            session.delete()


# --- API clients and tokens ----------------------------------------------------------------------------
@transaction.atomic
def api_client_create(
    *, actor: Actor, name: str, facilities: list[Facility], scopes: list[str], description: str = ""
) -> tuple[ApiClient, IssuedToken]:
    """Create an API client and its first token (the secret is returned once and never stored)."""
    if not facilities:
        raise InvalidInputError("An API client needs at least one facility.", code="no_facility", field="facilities")
    client = ApiClient(name=name, description=description, scopes=sorted(set(scopes)))
    if getattr(actor, "is_authenticated", False) and not isinstance(actor, ApiClient):
        client.created_by = actor
    client.full_clean()
    with acting_as(actor, reason="api client created"):
        client.save()
        client.facilities.set(facilities)
    return client, api_token_issue(actor=actor, client=client)


@transaction.atomic
def api_client_update(
    *,
    actor: Actor,
    client: ApiClient,
    description: str,
    scopes: list[str],
    facilities: list[Facility],
    is_active: bool,
) -> ApiClient:
    """Change what a client may do and where; deactivating it stops all of its tokens at once."""
    if not facilities:
        raise InvalidInputError("An API client needs at least one facility.", code="no_facility", field="facilities")
    client.description = description
    client.scopes = sorted(set(scopes))
    client.is_active = is_active
    client.full_clean()
    with acting_as(actor, reason="api client changed"):
        client.save()
        client.facilities.set(facilities)
    return client


@transaction.atomic
def api_token_issue(*, actor: Actor, client: ApiClient, lifetime: timedelta | None = None) -> IssuedToken:
    """Issue a new token for `client`, valid for API_TOKEN_LIFETIME_DAYS unless told otherwise."""
    prefix, secret = new_token_secret()
    lifetime = lifetime or timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    token = ApiToken(client=client, prefix=prefix, digest=token_digest(secret), expires_at=timezone.now() + lifetime)
    token.full_clean()
    with acting_as(actor, reason="api token issued"):
        token.save()
    return IssuedToken(token=token, secret=secret)


def api_token_mark_used(*, token: ApiToken, resolution: timedelta) -> None:
    """Note when a token was last used, at most once per `resolution` so busy clients do not write on every call.

    last_used_at is excluded from history, so a plain UPDATE loses no audit information (and takes no lock).
    """
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > resolution:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


@transaction.atomic
def api_token_rotate(*, actor: Actor, client: ApiClient, overlap: timedelta | None = None) -> IssuedToken:
    """Issue a new token; the client's current tokens keep working for the overlap window, then expire."""
    overlap = overlap if overlap is not None else timedelta(hours=settings.API_TOKEN_ROTATION_OVERLAP_HOURS)
    cutoff = timezone.now() + overlap
    with acting_as(actor, reason=f"api token rotated (old tokens expire within {overlap})"):
        for token in client.tokens.select_for_update().filter(revoked_at__isnull=True, expires_at__gt=cutoff):
            token.expires_at = cutoff
            token.save(update_fields=["expires_at"])
    return api_token_issue(actor=actor, client=client)


@transaction.atomic
def api_token_revoke(*, actor: Actor, token: ApiToken, reason: str) -> ApiToken:
    """Revoke a token at once."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        with acting_as(actor, reason=reason or "api token revoked"):
            token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def api_client_revoke_all(*, actor: Actor, client: ApiClient, reason: str) -> int:
    """Revoke every live token of a client (a suspected leak); returns how many were revoked."""
    tokens = list(client.tokens.select_for_update().filter(revoked_at__isnull=True))
    for token in tokens:
        api_token_revoke(actor=actor, token=token, reason=reason)
    return len(tokens)


@transaction.atomic
def facility_update(*, actor: Actor, facility: Facility, reason: str = "", **changes: Any) -> Facility:
    """Change a facility's name, GLN or active flag (the code is its public key and does not change)."""
    allowed = {"name", "gln", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInputError(
            f"These facility fields cannot be changed: {', '.join(sorted(unknown))}.", code="readonly_field"
        )
    for name, value in changes.items():
        setattr(facility, name, value or None if name == "gln" else value)
    facility.full_clean()
    with acting_as(actor, reason=reason or "facility changed"):
        facility.save()
    return facility


@transaction.atomic
def cost_center_update(*, actor: Actor, cost_center: CostCenter, reason: str = "", **changes: Any) -> CostCenter:
    """Change a cost center's name or owner."""
    allowed = {"name", "owner"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInputError(
            f"These cost-center fields cannot be changed: {', '.join(sorted(unknown))}.", code="readonly_field"
        )
    for name, value in changes.items():
        setattr(cost_center, name, value)
    cost_center.full_clean()
    with acting_as(actor, reason=reason or "cost center changed"):
        cost_center.save()
    return cost_center


def role_groups_sync() -> None:
    """Make each role's group hold exactly the permissions of ROLE_PERMISSIONS (run after every migrate).

    Migration 0003 creates the groups on a new database; this keeps them in step when later apps add
    permissions, and restores them after `flush` (which empties every table, groups included).
    """
    from django.contrib.auth.models import Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:  # an app whose permissions are not created yet syncs on its own migrate
                wanted.append(permission)
        group.permissions.set(wanted)


# --- The system's own user --------------------------------------------------------------------------------
SYSTEM_USERNAME = "p2p-system"


@transaction.atomic
def system_user() -> User:
    """The inactive account that stands for the portal itself where a record needs a person (an approval request
    for an invoice an API client sent); it cannot sign in and holds no role."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(username=SYSTEM_USERNAME, first_name="P2P Portal", last_name="(system)", is_active=False)
        user.set_unusable_password()
        with acting_as("system", reason="the portal's system account"):
            user.save()
    return user


# --- Outbox ---------------------------------------------------------------------------------------------
@transaction.atomic
def outbox_event_record(*, actor: Actor, topic: str, subject: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the caller's transaction: it exists exactly when the change it announces does."""
    event = OutboxEvent(topic=topic, subject=subject, payload=payload)
    event.full_clean()
    with acting_as(actor, reason=f"event {topic} {subject}"):
        event.save()
    return event


# --- Notifications --------------------------------------------------------------------------------------
@transaction.atomic
def notification_send(
    *, actor: Actor, user: User, title: str, body: str = "", link: str = "", email: bool = True
) -> Notification:
    """Tell a user something in the portal, and by email once the transaction commits (a mail failure is logged,
    never rolls back the work that caused the notification)."""
    notification = Notification(user=user, title=title[:200], body=body, link=link)
    notification.full_clean()
    with acting_as(actor, reason="notification sent"):
        notification.save()
    if email and user.email:
        transaction.on_commit(lambda: _mail(notification))
    return notification


def _mail(notification: Notification) -> None:
    from django.core.mail import send_mail

    try:
        send_mail(
            subject=f"[P2P Portal] {notification.title}",
            message=f"{notification.body}\n\n{notification.link}".strip(),
            from_email=None,
            recipient_list=[notification.user.email],
        )
    except Exception:  # the notification row stays; the mail server's trouble is the operator's to see
        logger.exception("notification email failed", extra={"notification": notification.pk})


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark a user's notifications read (all unread ones when no ids are given); returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    # read_at is excluded from history: reading is not a change anyone audits.
    return unread.update(read_at=timezone.now())
