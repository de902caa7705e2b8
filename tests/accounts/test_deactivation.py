"""A deactivated user's sessions end: their next request is anonymous and goes to the login page."""

from __future__ import annotations

import pytest
from django.test import Client

from p2p_portal.services import user_deactivate
from tests.accounts.conftest import password_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(clerk) -> Client:
    client = Client()
    assert password_login(client, "casey").status_code == 302
    assert client.get("/account/").status_code == 200
    return client


def test_user_deactivate_ends_the_session(logged_in, clerk, staff) -> None:
    user_deactivate(actor=staff, user=clerk, reason="left the organisation")

    response = logged_in.get("/account/")

    assert response.status_code == 302
    assert response.url == "/login/?next=/account/"
    assert logged_in.get("/").url == "/login/?next=/"


def test_deactivating_in_the_admin_ends_the_session_at_the_next_request(logged_in, clerk, staff_client) -> None:
    change_url = f"/admin/auth/user/{clerk.pk}/change/"
    form = staff_client.get(change_url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name not in {"password", "is_active", "groups", "user_permissions", "last_login", "date_joined"}
    }
    data.update(
        {
            "date_joined_0": clerk.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": clerk.date_joined.strftime("%H:%M:%S"),
        }
    )

    saved = staff_client.post(change_url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    clerk.refresh_from_db()
    assert not clerk.is_active

    response = logged_in.get("/account/")
    assert response.status_code == 302
    assert response.url == "/login/?next=/account/"


def test_a_deactivated_user_cannot_log_in_again(logged_in, clerk, staff) -> None:
    user_deactivate(actor=staff, user=clerk, reason="left the organisation")

    response = password_login(Client(), "casey")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
