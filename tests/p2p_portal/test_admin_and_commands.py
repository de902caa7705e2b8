"""The admin and the commands go through the services: validated, attributed, tokens shown once."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from p2p_portal.api.tokens import token_digest
from p2p_portal.models import ApiClient, ApiToken, RoleAssignment
from p2p_portal.selectors import has_role_at

pytestmark = pytest.mark.django_db


def test_creating_a_client_in_the_admin_shows_its_token_once(staff_client: Client, staff, north) -> None:
    response = staff_client.post(
        "/admin/p2p_portal/apiclient/add/",
        {"name": "erp-sync", "description": "ERP", "facilities": [north.pk], "scopes": ["org:read"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "shown this once" in page
    client = ApiClient.objects.get(name="erp-sync")
    token = client.tokens.get()
    secret = re.search(r'id="token"[^>]*value="([^"]+)"', page).group(1)
    assert token.digest == token_digest(secret)
    assert client.created_by == staff
    history = client.history.earliest()
    assert history.history_user_id == staff.pk
    api = Client()
    assert api.get("/api/v1/facilities/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    assert secret not in staff_client.get(f"/admin/p2p_portal/apiclient/{client.pk}/change/").content.decode()


def test_rotating_and_revoking_from_the_admin(staff_client: Client, north) -> None:
    call_command("create_api_client", "erp-sync", "--facility", "NORTH", "--scope", "org:read", stdout=StringIO())
    client = ApiClient.objects.get(name="erp-sync")
    changelist = "/admin/p2p_portal/apiclient/"
    rotated = staff_client.post(changelist, {"action": "rotate_token", "_selected_action": [client.pk]})
    assert "shown this once" in rotated.content.decode()
    assert client.tokens.count() == 2
    staff_client.post(changelist, {"action": "revoke_all_tokens", "_selected_action": [client.pk]})
    assert not ApiToken.objects.filter(client=client, revoked_at__isnull=True).exists()


def test_granting_and_revoking_a_role_in_the_admin(staff_client: Client, clerk, north) -> None:
    staff_client.post(
        "/admin/p2p_portal/roleassignment/add/", {"user": clerk.pk, "role": "ap_clerk", "facility": north.pk}
    )
    assert has_role_at(clerk, "ap_clerk", north)
    assignment = RoleAssignment.objects.get(user=clerk)
    staff_client.post(f"/admin/p2p_portal/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    clerk.refresh_from_db()
    assert not RoleAssignment.objects.filter(user=clerk).exists()
    assert not has_role_at(type(clerk).objects.get(pk=clerk.pk), "ap_clerk", north), "the facility permission went too"
    assert not clerk.groups.filter(name="ap_clerk").exists()


def test_users_and_facilities_cannot_be_deleted_in_the_admin(staff_client: Client, clerk, north) -> None:
    assert staff_client.get(f"/admin/auth/user/{clerk.pk}/delete/").status_code == 403
    assert staff_client.get(f"/admin/p2p_portal/facility/{north.pk}/delete/").status_code == 403


def test_the_commands_print_a_token_once_and_attribute_their_writes(north) -> None:
    out = StringIO()
    call_command("create_api_client", "ocr", "--facility", "NORTH", "--scope", "invoices:write", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    client = ApiClient.objects.get(name="ocr")
    assert client.tokens.get().digest == token_digest(secret)
    assert client.history.earliest().history_actor_label.startswith("command create_api_client by ")
    out = StringIO()
    call_command("rotate_api_token", "ocr", "--overlap-hours", "0", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] != secret
    call_command("revoke_api_token", "ocr", "--all", "--reason", "test", stdout=StringIO())
    assert not client.tokens.filter(revoked_at__isnull=True).exists()


def test_the_commands_refuse_unknown_names_clearly(north) -> None:
    with pytest.raises(CommandError, match="No facility with code NOWHERE"):
        call_command("create_api_client", "x", "--facility", "NOWHERE", "--scope", "org:read")
    with pytest.raises(CommandError, match="No API client named 'ghost'"):
        call_command("rotate_api_token", "ghost")
