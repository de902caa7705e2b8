"""Who may open what: every role x every page and endpoint so far, from the status code a person would get.

Personas (tests/conftest.py `people`): one user per role at NORTH; `outsider` is an AP manager at SOUTH only;
`nobody` has no role; `superuser` is a staff superuser; `anonymous` is not signed in.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

ROLES = ["ap_clerk", "ap_manager", "procurement_admin", "vendor_steward", "auditor", "integration_admin"]
PERSONAS = [*ROLES, "outsider", "nobody", "superuser", "anonymous"]
EVERYONE_SIGNED_IN = {*ROLES, "outsider", "nobody", "superuser"}

# (method, path, who is allowed, status when allowed, status when denied, status for anonymous)
MATRIX = [
    ("GET", "/", EVERYONE_SIGNED_IN, 200, 403, 302),
    ("GET", "/workbench/", {"ap_clerk", "ap_manager", "auditor", "outsider", "superuser"}, 200, 403, 302),
    (
        "GET",
        "/vendors/",
        {"vendor_steward", "procurement_admin", "ap_clerk", "ap_manager", "auditor", "outsider", "superuser"},
        200,
        404,  # the supplier master does not exist for people with no business in it
        302,
    ),
    ("GET", "/approvals/", {*ROLES, "outsider", "superuser"}, 200, 403, 302),
    ("GET", "/integrations/", {"integration_admin", "auditor", "superuser"}, 200, 403, 302),
    ("GET", "/audit/", {"auditor", "ap_manager", "procurement_admin", "outsider", "superuser"}, 200, 403, 302),
    (
        "GET",
        "/audit/export.csv",
        {"auditor", "ap_manager", "procurement_admin", "outsider", "superuser"},
        200,
        403,
        302,
    ),
    (
        "GET",
        "/workbench/tolerances/",
        {"ap_clerk", "ap_manager", "procurement_admin", "auditor", "outsider", "superuser"},
        200,
        404,
        302,
    ),
    ("GET", "/admin/", {"superuser"}, 200, 302, 302),
    ("GET", "/api/v1/me/", EVERYONE_SIGNED_IN, 200, 403, 401),
    ("GET", "/api/v1/schema/", EVERYONE_SIGNED_IN, 200, 403, 401),
    ("GET", "/api/v1/docs/", EVERYONE_SIGNED_IN, 200, 403, 401),
    ("GET", "/api/v1/facilities/", {*ROLES, "outsider", "superuser"}, 200, 403, 401),
    ("GET", "/api/v1/invoices/", {*ROLES, "outsider", "superuser"}, 200, 403, 401),
    ("GET", "/api/v1/purchase-orders/", {*ROLES, "outsider", "superuser"}, 200, 403, 401),
    ("GET", "/api/v1/receipts/", {*ROLES, "outsider", "superuser"}, 200, 403, 401),
    ("POST", "/api/v1/purchase-orders/", {"superuser"}, 400, 403, 401),
    (
        "GET",
        "/api/v1/vendors/",
        {"vendor_steward", "procurement_admin", "ap_clerk", "ap_manager", "auditor", "outsider", "superuser"},
        200,
        404,
        401,
    ),
    ("GET", "/api/v1/facilities/NORTH/", {*ROLES, "superuser"}, 200, 403, 401),
    ("GET", "/api/v1/cost-centers/", {*ROLES, "outsider", "superuser"} - {"integration_admin"}, 200, 403, 401),
    ("POST", "/api/v1/cost-centers/", {"procurement_admin", "superuser"}, 201, 403, 401),
    (
        "GET",
        "/api/v1/audit/entries/",
        {"auditor", "ap_manager", "procurement_admin", "outsider", "superuser"},
        200,
        403,
        401,
    ),
]
# Objects of a facility the persona has no role at do not exist for it: 404, not 403.
NOT_FOUND = {("/api/v1/facilities/NORTH/", "outsider")}


def _client(people: dict[str, User], staff: User, persona: str) -> Client:
    client = Client()
    if persona == "superuser":
        client.force_login(staff)
    elif persona != "anonymous":
        client.force_login(people[persona])
    return client


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("method", "path", "allowed", "ok", "denied", "anonymous"), MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX]
)
def test_permission_matrix(people, staff, persona, method, path, allowed, ok, denied, anonymous) -> None:
    client = _client(people, staff, persona)
    if method == "POST":
        body = json.dumps({"facility": "NORTH", "code": persona.upper()[:20], "name": f"Made by {persona}"})
        response = client.post(path, body, "application/json")
    else:
        response = client.get(path)
    if persona == "anonymous":
        expected = anonymous
    elif (path, persona) in NOT_FOUND:
        expected = 404
    else:
        expected = ok if persona in allowed else denied
    assert response.status_code == expected, f"{persona} {method} {path}: {response.status_code}"
    if path.startswith("/api/") and expected >= 400:
        assert response["Content-Type"] == "application/problem+json"


def test_the_matrix_covers_every_role_of_design_md() -> None:
    from p2p_portal.roles import Role

    assert set(ROLES) == set(Role.values)


def test_an_outsider_lists_only_its_own_facilitys_records(people, north, south) -> None:
    client = _client(people, None, "outsider")
    assert [f["code"] for f in client.get("/api/v1/facilities/").json()["results"]] == ["SOUTH"]


def test_role_groups_hold_exactly_the_permissions_of_roles_py() -> None:
    from django.contrib.auth.models import Group

    from p2p_portal.roles import ROLE_PERMISSIONS

    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == set(perms), role
