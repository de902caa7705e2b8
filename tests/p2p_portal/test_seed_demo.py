"""`manage.py seed_demo`: the demo logins exist, a second run changes nothing, production refuses it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from p2p_portal.models import CostCenter, Facility, RoleAssignment
from p2p_portal.roles import Role

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


def _snapshot() -> dict[str, list]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in (get_user_model(), Facility, CostCenter, RoleAssignment, CostCenter.history.model)
    }


def test_running_seed_demo_twice_changes_nothing() -> None:
    _seed()
    before = _snapshot()
    _seed()
    assert _snapshot() == before, "no record and no history row added or changed"


def test_the_demo_has_one_person_per_role() -> None:
    output = _seed()
    for role in Role:
        assert RoleAssignment.objects.filter(role=role).exists(), role
        assert role.label in output


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


def test_the_demo_has_every_exception_code_and_a_supplier_master_to_govern() -> None:
    from matching.models import ExceptionCode, InvoiceException
    from vendors.models import ChangeRequest, DuplicateCandidate, ScreeningHit

    _seed()
    raised = set(InvoiceException.objects.filter(state="open").values_list("code", flat=True))
    assert raised == set(ExceptionCode.values)
    assert DuplicateCandidate.objects.filter(status="open").count() >= 20
    assert ScreeningHit.objects.filter(status="open").exists()
    assert ScreeningHit.objects.filter(status="confirmed").exists()
    assert ChangeRequest.objects.filter(kind="bank_account", status="pending").exists()
