"""`manage.py seed_demo`: the demo logins exist, a second run changes nothing, production refuses it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_prints_logins_that_work() -> None:
    output = _seed()
    assert "admin" in output
    assert "clerk" in output
    password = next(line.split()[1] for line in output.splitlines() if line.strip().startswith("clerk"))
    client = Client()
    response = client.post("/login/", {"username": "clerk", "password": password})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_running_seed_demo_twice_changes_nothing() -> None:
    _seed()
    before = list(get_user_model().objects.order_by("pk").values())
    _seed()
    after = list(get_user_model().objects.order_by("pk").values())
    assert after == before


def test_seed_demo_leaves_a_changed_demo_account_alone() -> None:
    _seed()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("a-new-password-chosen-by-me")
    admin.save()
    _seed()
    assert get_user_model().objects.get(username="admin").check_password("a-new-password-chosen-by-me")


def test_seed_demo_is_refused_in_production(settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refused when P2P_ENV=production"):
        _seed()
    assert not get_user_model().objects.exists()
