"""Lockout after repeated failed logins (django-axes): the message, the 429, and the reset on success."""

from __future__ import annotations

import logging

import pytest

from tests.accounts.conftest import password_login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_five_failures_lock_the_account_with_a_clear_message_and_429(client, clerk, caplog) -> None:
    for _ in range(4):
        response = password_login(client, "casey", "not-the-password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.text

    with caplog.at_level(logging.WARNING, logger="p2p_portal.accounts"):
        response = password_login(client, "casey", "not-the-password")

    assert response.status_code == 429
    assert "Account locked" in response.text
    assert "had 5 failed login attempts" in response.text
    assert "blocked for 15 minutes" in response.text
    assert "Contact your administrator" in response.text
    assert 'role="alert"' in response.text
    assert any(
        record.name == "p2p_portal.accounts" and "locked out" in record.getMessage() and "casey" in record.getMessage()
        for record in caplog.records
    )


def test_while_locked_even_the_right_password_is_refused(client, clerk) -> None:
    for _ in range(5):
        password_login(client, "casey", "not-the-password")

    response = password_login(client, "casey", PASSWORD)

    assert response.status_code == 429
    assert "Account locked" in response.text
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address_so_colleagues_can_still_log_in(client, clerk, staff) -> None:
    for _ in range(5):
        password_login(client, "casey", "not-the-password")

    response = password_login(client, "sam", PASSWORD)

    assert response.status_code == 302


def test_a_successful_login_resets_the_failure_counter(client, clerk) -> None:
    for _ in range(4):
        password_login(client, "casey", "not-the-password")
    assert password_login(client, "casey", PASSWORD).status_code == 302
    client.post("/logout/")

    for _ in range(4):
        response = password_login(client, "casey", "not-the-password")
        assert response.status_code == 200, "the four earlier failures no longer count"
    assert password_login(client, "casey", PASSWORD).status_code == 302


def test_a_successful_login_is_logged_with_the_username(client, clerk, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="p2p_portal.accounts"):
        password_login(client, "casey", PASSWORD)

    assert any(
        record.name == "p2p_portal.accounts" and record.getMessage() == "login succeeded for casey"
        for record in caplog.records
    )
