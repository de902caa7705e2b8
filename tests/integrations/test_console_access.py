"""Who may open and act in the integrations console: every page and action by role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import DeadLetterStatus, DeliveryStatus, SyncRun
from p2p_portal.roles import Role
from tests.factories import make_user_with_role, signed_in
from tests.integrations import console_data
from tests.integrations.console_data import Console

console = console_data.console

pytestmark = pytest.mark.django_db


def pages(data: Console) -> list[str]:
    """Every GET page of the console."""
    return [
        reverse("integrations:index"),
        reverse("integrations:runs"),
        reverse("integrations:run", args=[data.failed_run.pk]),
        reverse("integrations:outbox"),
        reverse("integrations:letters"),
        reverse("integrations:letter", args=[data.poison.pk]),
    ]


def actions(data: Console) -> list[tuple[str, dict[str, object]]]:
    """Every POST of the console with a body that would be accepted from an integration admin."""
    return [
        (reverse("integrations:run_now", args=["coupa"]), {"entity": "supplier"}),
        (reverse("integrations:letter_replay", args=[data.outbound_letter.pk]), {}),
        (reverse("integrations:letter_discard", args=[data.poison.pk]), {"reason": "Cancelled at the source"}),
        (reverse("integrations:letters_replay"), {"letters": [data.outbound_letter.pk]}),
    ]


def unchanged(data: Console) -> None:
    """Nothing was done: no run, both letters open, the dead delivery still dead."""
    assert not SyncRun.objects.filter(triggered_by__contains="user").exists()
    data.poison.refresh_from_db()
    data.outbound_letter.refresh_from_db()
    data.dead_delivery.refresh_from_db()
    assert data.poison.status == data.outbound_letter.status == DeadLetterStatus.OPEN
    assert data.dead_delivery.status == DeliveryStatus.DEAD


def test_anonymous_is_sent_to_log_in(console: Console) -> None:
    for url in pages(console):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    for url, body in actions(console):
        response = Client().post(url, body)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    unchanged(console)


@pytest.mark.parametrize("persona", ["nobody", "outsider", Role.AP_CLERK, Role.VENDOR_STEWARD, Role.AP_MANAGER])
def test_people_without_the_roles_get_403(console: Console, people, persona: str) -> None:
    client = signed_in(people[persona])
    for url in pages(console):
        assert client.get(url).status_code == 403, url
    for url, body in actions(console):
        assert client.post(url, body).status_code == 403, url
    unchanged(console)


def test_auditor_reads_every_page_without_buttons_and_may_not_act(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    for url in pages(console):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert 'method="post" action="/integrations/' not in body, url  # no form that acts
        assert ">Run now<" not in body, url
        assert ">Replay<" not in body, url
        assert ">Replay selected<" not in body, url
        assert ">Discard<" not in body, url
    for url, form in actions(console):
        assert client.post(url, form).status_code == 403, url
    unchanged(console)


def test_integration_admin_reads_every_page_with_buttons(console: Console, people) -> None:
    client = signed_in(people[Role.INTEGRATION_ADMIN])
    for url in pages(console):
        assert client.get(url).status_code == 200, url
    assert ">Run now<" in client.get(reverse("integrations:index")).content.decode()
    letter = client.get(reverse("integrations:letter", args=[console.poison.pk])).content.decode()
    assert ">Replay<" in letter
    assert ">Discard<" in letter
    assert ">Replay selected<" in client.get(reverse("integrations:letters")).content.decode()


def test_systems_are_network_wide_an_admin_at_another_facility_sees_them_all(console: Console, south) -> None:
    console.erp.facility = None
    admin_south = make_user_with_role("ia_south", Role.INTEGRATION_ADMIN, south)
    body = signed_in(admin_south).get(reverse("integrations:index")).content.decode()
    assert "Tryton system" in body
    assert "Coupa system" in body


def test_unknown_rows_are_404_for_readers(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    assert client.get(reverse("integrations:run", args=[999999])).status_code == 404
    assert client.get(reverse("integrations:letter", args=[999999])).status_code == 404
    admin = signed_in(people[Role.INTEGRATION_ADMIN])
    assert admin.post(reverse("integrations:run_now", args=["nope"]), {"entity": "supplier"}).status_code == 404


def test_get_on_actions_is_refused(console: Console, people) -> None:
    client = signed_in(people[Role.INTEGRATION_ADMIN])
    for url, _ in actions(console):
        assert client.get(url).status_code == 405, url


def test_navigation_shows_the_section_to_its_roles_only(console: Console, people) -> None:
    assert 'href="/integrations/"' in signed_in(people[Role.AUDITOR]).get("/").content.decode()
    assert 'href="/integrations/"' in signed_in(people[Role.INTEGRATION_ADMIN]).get("/").content.decode()
    assert 'href="/integrations/"' not in signed_in(people[Role.AP_CLERK]).get("/").content.decode()
