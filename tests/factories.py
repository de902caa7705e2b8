"""Builders for test data, all through the services (so history and permissions are as in production)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client

from p2p_portal.api.tokens import IssuedToken
from p2p_portal.models import ApiClient, Facility
from p2p_portal.roles import Role
from p2p_portal.services import api_client_create, facility_create, role_grant

SYSTEM = "tests"
# GLNs with valid GS1 check digits.
GLNS = ["0614141000012", "0614141000029", "0614141000036", "0614141000043"]


def make_facility(code: str, name: str | None = None, *, gln: str | None = None) -> Facility:
    return facility_create(actor=SYSTEM, code=code, name=name or f"{code} Hospital", gln=gln)


def make_user_with_role(
    username: str, role: Role | str, *facilities: Facility, password: str = "correct-horse-battery-9"
) -> User:
    user = User.objects.create_user(username=username, password=password, first_name=username.title())
    for facility in facilities:
        role_grant(actor=SYSTEM, user=user, role=role, facility=facility)
    return user


@dataclass(frozen=True)
class ClientWithToken:
    client: ApiClient
    issued: IssuedToken

    @property
    def headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.issued.secret}"}


def make_api_client(
    name: str, scopes: list[str], *facilities: Facility, lifetime: timedelta | None = None
) -> ClientWithToken:
    client, issued = api_client_create(actor=SYSTEM, name=name, facilities=list(facilities), scopes=scopes)
    return ClientWithToken(client, issued)


def reauthenticated(client: Client) -> Client:
    """Mark the client's session as just re-authenticated (what the password page does)."""
    from p2p_portal.accounts.reauth import REAUTHENTICATED_AT_SESSION_KEY

    session = client.session
    session[REAUTHENTICATED_AT_SESSION_KEY] = int(time.time())
    session.save()
    return client


def signed_in(user: User) -> Client:
    """A test client with `user`'s session (no password round trip)."""
    client = Client()
    client.force_login(user)
    return client
