"""Acting in the console: run now (enqueued on commit, audited, the run says who), replay one or many, discard with
a reason; each leaves history rows naming the person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse

from integrations.models import DeadLetterStatus, DeliveryStatus, ExternalSystem, SyncRun, SyncRunStatus
from integrations.sandbox.process import SandboxProcess
from p2p_portal.roles import Role
from tests.factories import signed_in
from tests.integrations import console_data
from tests.integrations.console_data import Console
from tests.integrations.sandbox_fixtures import start_sandbox
from tests.integrations.sync_helpers import KEY_VARIABLE, sandbox_system

console = console_data.console

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_sandbox() -> Iterator[SandboxProcess]:
    """A real sandbox with 7 suppliers and nothing else."""
    process = start_sandbox(suppliers=7, orders=0, receipts_ratio=0.0)
    try:
        yield process
    finally:
        process.stop()


def test_run_now_enqueues_on_commit_and_the_run_names_who_pressed(
    small_sandbox, north, people, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from tests.integrations.sandbox_fixtures import API_KEY

    monkeypatch.setenv(KEY_VARIABLE, API_KEY)
    system = sandbox_system(small_sandbox, north)
    admin = people[Role.INTEGRATION_ADMIN]
    client = signed_in(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("integrations:run_now", args=[system.code]), {"entity": "supplier"})
    assert response.status_code == 302
    # Nothing ran inside the request's transaction: the task waits for the commit.
    assert len(callbacks) == 1
    assert not SyncRun.objects.exists()
    callbacks[0]()  # the commit: the task is sent (CELERY_TASK_ALWAYS_EAGER in tests runs it here)
    run = SyncRun.objects.get()
    assert (run.system, run.entity, run.triggered_by) == (system, "supplier", admin.username)
    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.fetched == 7
    assert run.created == 7
    # The request itself is in the system's history: who asked, for what.
    asked = system.history.order_by("-history_id").first()
    assert asked is not None
    assert asked.history_user_id == admin.pk
    assert asked.history_change_reason == "Run now: supplier sync requested"
    # The runs page lists it with who pressed.
    page = client.get(f"{reverse('integrations:runs')}?system={system.code}").content.decode()
    assert admin.username in page
    assert "Succeeded" in page


def test_run_now_refuses_an_unknown_entity_and_a_disabled_system(
    console: Console, people, django_capture_on_commit_callbacks
) -> None:
    client = signed_in(people[Role.INTEGRATION_ADMIN])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("integrations:run_now", args=["coupa"]), {"entity": "invoice"}, follow=True)
    assert "does not sync &#x27;invoice&#x27;" in response.content.decode()
    assert not callbacks
    ExternalSystem.objects.filter(code="coupa").update(enabled=False)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("integrations:run_now", args=["coupa"]), {"entity": "supplier"}, follow=True)
    assert "is disabled" in response.content.decode()
    assert not callbacks
    assert console.sandbox.history.count() == 1  # only its creation: refused requests leave nothing


def test_replay_an_outbound_letter_puts_its_delivery_back_to_pending(console: Console, people) -> None:
    admin = people[Role.INTEGRATION_ADMIN]
    response = signed_in(admin).post(
        reverse("integrations:letter_replay", args=[console.outbound_letter.pk]), follow=True
    )
    assert response.status_code == 200
    assert "delivery pending again" in response.content.decode()
    console.outbound_letter.refresh_from_db()
    console.dead_delivery.refresh_from_db()
    assert console.outbound_letter.status == DeadLetterStatus.REPLAYED
    assert console.outbound_letter.resolved_by == admin
    assert console.dead_delivery.status == DeliveryStatus.PENDING
    assert console.dead_delivery.attempts == 0
    latest = console.outbound_letter.history.order_by("-history_id").first()
    assert latest is not None
    assert latest.history_user_id == admin.pk
    assert latest.status == "replayed"


def test_replay_many_gives_an_outcome_for_each(console: Console, people) -> None:
    admin = people[Role.INTEGRATION_ADMIN]
    discarded = console.sandbox.dead_letters.get()
    body = {"letters": [console.outbound_letter.pk, discarded.pk]}
    # Discarded letters are not in the default (open) list, so only the open one is taken; ask for every status.
    response = signed_in(admin).post(f"{reverse('integrations:letters_replay')}?status=", body)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Replay: 2 dead letters" in page
    assert "delivery pending again" in page
    assert "A discarded dead letter cannot be replayed." in page
    console.outbound_letter.refresh_from_db()
    discarded.refresh_from_db()
    assert console.outbound_letter.status == DeadLetterStatus.REPLAYED
    assert discarded.status == DeadLetterStatus.DISCARDED


def test_replay_many_needs_a_letter(console: Console, people) -> None:
    response = signed_in(people[Role.INTEGRATION_ADMIN]).post(reverse("integrations:letters_replay"), {}, follow=True)
    assert "Tick at least one dead letter" in response.content.decode()


def test_discard_with_a_reason(console: Console, people) -> None:
    admin = people[Role.INTEGRATION_ADMIN]
    url = reverse("integrations:letter_discard", args=[console.outbound_letter.pk])
    response = signed_in(admin).post(url, {"reason": "  Invoice   cancelled in the ERP  "}, follow=True)
    assert "discarded" in response.content.decode()
    console.outbound_letter.refresh_from_db()
    console.dead_delivery.refresh_from_db()
    assert console.outbound_letter.status == DeadLetterStatus.DISCARDED
    assert console.outbound_letter.resolution == "Invoice cancelled in the ERP"
    assert console.outbound_letter.resolved_by == admin
    assert console.dead_delivery.status == DeliveryStatus.DISCARDED
    latest = console.outbound_letter.history.order_by("-history_id").first()
    assert latest is not None
    assert latest.history_user_id == admin.pk
    assert latest.history_change_reason == "dead letter discarded: Invoice cancelled in the ERP"


@pytest.mark.parametrize("reason", ["", "   ", "no"])
def test_discard_without_a_reason_is_refused_beside_the_field(console: Console, people, reason: str) -> None:
    url = reverse("integrations:letter_discard", args=[console.poison.pk])
    response = signed_in(people[Role.INTEGRATION_ADMIN]).post(url, {"reason": reason})
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    console.poison.refresh_from_db()
    assert console.poison.status == DeadLetterStatus.OPEN
    assert console.poison.history.count() == 1


def test_discard_twice_says_it_is_already_discarded(console: Console, people) -> None:
    client = signed_in(people[Role.INTEGRATION_ADMIN])
    url = reverse("integrations:letter_discard", args=[console.poison.pk])
    client.post(url, {"reason": "Duplicate of PO-8"})
    response = client.post(url, {"reason": "Again"}, follow=True)
    assert "already discarded" in response.content.decode()
    console.poison.refresh_from_db()
    assert console.poison.resolution == "Duplicate of PO-8"
