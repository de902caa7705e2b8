"""What the console pages show: health per system, runs with their counts and filters, the outbox, dead letters."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from integrations.models import SyncRun
from integrations.selectors import system_health
from p2p_portal.roles import Role
from tests.factories import signed_in
from tests.integrations import console_data
from tests.integrations.console_data import Console

console = console_data.console

pytestmark = pytest.mark.django_db


def test_health_per_system(console: Console, people) -> None:
    admin = people[Role.INTEGRATION_ADMIN]
    health = {row.system.code: row for row in system_health(principal=admin)}
    tryton, coupa = health["tryton"], health["coupa"]
    # The ERP: 3 runs finished in the last 24 h, 1 failed; 3 deliveries pending, 1 dead; 2 open dead letters.
    assert (tryton.runs_finished, tryton.runs_failed, tryton.error_rate) == (3, 1, 1 / 3)
    assert (tryton.outbox_pending, tryton.outbox_dead, tryton.dead_letters_open) == (3, 1, 2)
    entities = {entity.entity: entity for entity in tryton.entities}
    assert entities["supplier"].last_success_at == console.last_success[("tryton", "supplier")]
    assert entities["supplier"].last_run is not None
    assert entities["supplier"].last_run.status == "partial"
    assert 9 * 60 - 5 < (entities["supplier"].lag_seconds or 0) < 9 * 60 + 600  # measured against "now"
    assert not entities["supplier"].behind  # 9 minutes, interval 15
    assert entities["purchase_order"].last_success_at is None
    assert entities["purchase_order"].behind
    assert entities["purchase_order"].last_run == console.failed_run
    # The sandbox: its 3-day-old failure is outside the window; the discarded letter is not open.
    assert (coupa.runs_finished, coupa.runs_failed, coupa.outbox_pending, coupa.outbox_dead) == (1, 0, 1, 0)
    assert coupa.dead_letters_open == 0


def test_health_costs_a_fixed_number_of_queries(console: Console, people, django_assert_max_num_queries) -> None:
    admin = people[Role.INTEGRATION_ADMIN]
    with django_assert_max_num_queries(8):
        system_health(principal=admin)


def test_overview_page(console: Console, people) -> None:
    body = signed_in(people[Role.INTEGRATION_ADMIN]).get(reverse("integrations:index")).content.decode()
    assert "Tryton system" in body
    assert "Coupa system" in body
    assert "4 deliveries pending" in body
    assert "1 dead" in body
    assert "2 open dead letters" in body
    assert "33 %" in body
    assert "1 of 3 runs" in body
    # One "Run now" per entity of each system.
    assert body.count(">Run now<") == 6


def test_run_list_filters(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    body = client.get(reverse("integrations:runs")).content.decode()
    assert "5 runs" in body
    body = client.get(reverse("integrations:runs"), {"system": "tryton", "status": "failed"}).content.decode()
    assert "1 run," in body
    assert "TransientError: 503 &lt;b&gt;down&lt;/b&gt;" in body
    body = client.get(reverse("integrations:runs"), {"entity": "supplier"}).content.decode()
    assert "2 runs" in body
    # An unknown value is ignored rather than refused: a stale link still opens.
    assert client.get(reverse("integrations:runs"), {"status": "exploded"}).status_code == 200


def test_run_list_htmx_returns_the_results_only(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    response = client.get(reverse("integrations:runs"), {"system": "coupa"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert "2 runs" in body


def test_run_detail(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    body = client.get(reverse("integrations:run", args=[console.failed_run.pk])).content.decode()
    assert "2026-11-01T00:00:00|12" in body
    assert "(not moved)" in body
    assert "&lt;b&gt;down&lt;/b&gt;" in body
    assert "<b>down</b>" not in body
    assert f'href="/integrations/dead-letters/{console.poison.pk}/"' in body


def test_outbox_filters(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    body = client.get(reverse("integrations:outbox")).content.decode()
    assert "6 deliveries" in body
    body = client.get(reverse("integrations:outbox"), {"status": "dead"}).content.decode()
    assert "1 delivery," in body
    assert "PermanentError: 422 unknown party" in body
    body = client.get(reverse("integrations:outbox"), {"status": "pending", "system": "coupa"}).content.decode()
    assert "1 delivery," in body
    assert "vendor.created" in body


def test_dead_letters_open_by_default(console: Console, people) -> None:
    client = signed_in(people[Role.AUDITOR])
    body = client.get(reverse("integrations:letters")).content.decode()
    assert "2 dead letters" in body
    assert "S-1" not in body
    body = client.get(reverse("integrations:letters"), {"status": ""}).content.decode()
    assert "3 dead letters" in body
    assert "S-1" in body


def test_dead_letter_payload_is_pretty_and_escaped(console: Console, people) -> None:
    body = (
        signed_in(people[Role.AUDITOR]).get(reverse("integrations:letter", args=[console.poison.pk])).content.decode()
    )
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    payload = re.search(r'<pre class="int-pre"[^>]*>(.*?)</pre>', body, re.S)
    assert payload is not None
    assert "\n  &quot;id&quot;: 7,\n" in payload.group(1)
    assert "MalformedRecordError: quantity is not a number" in body
    assert f"run #{console.failed_run.pk}" in body


def test_pages_with_no_system_say_so(db, people) -> None:
    body = signed_in(people[Role.AUDITOR]).get(reverse("integrations:index")).content.decode()
    assert "No external system is configured yet" in body
    assert not SyncRun.objects.exists()
