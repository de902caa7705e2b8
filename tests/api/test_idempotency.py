"""Idempotency-Key: retries are answered, not redone; keys are private to their owner."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone

from p2p_portal.models import CostCenter, IdempotencyRecord
from p2p_portal.tasks import purge_idempotency_records
from tests.factories import make_api_client

URL = "/api/v1/cost-centers/"
ICU = {"facility": "NORTH", "code": "ICU", "name": "Intensive care"}


@pytest.fixture
def erp(north):
    return make_api_client("erp-sync", ["org:read", "org:write"], north)


def post(client: Client, headers: dict, body: dict, key: str | None = "key-0001"):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, json.dumps(body), "application/json", **headers, **extra)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_posts_create_exactly_one_cost_center(live_server, erp) -> None:
    session_headers = {
        "Authorization": f"Bearer {erp.issued.secret}",
        "Content-Type": "application/json",
        "Idempotency-Key": "concurrent-0001",
    }
    body = json.dumps(ICU)

    def send(_: int) -> requests.Response:
        return requests.post(f"{live_server.url}{URL}", data=body, headers=session_headers, timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))

    assert CostCenter.objects.count() == 1
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = {response.content for response in responses if response.status_code == 201}
    assert len(created) == 1, "every success carries the same body, byte for byte"
    for response in responses:
        if response.status_code == 409:
            assert response.headers["Retry-After"] == "1"
            assert response.json()["code"] == "idempotency_in_progress"
    retry = send(0)
    assert retry.status_code == 201
    assert retry.content == next(iter(created))
    assert retry.headers["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_retry_replays_status_and_body_byte_for_byte(client: Client, erp) -> None:
    first = post(client, erp.headers, ICU)
    second = post(client, erp.headers, ICU)
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Idempotent-Replayed" not in first
    assert CostCenter.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(client: Client, erp) -> None:
    post(client, erp.headers, ICU)
    response = post(client, erp.headers, {**ICU, "name": "Intensive care unit"})
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert CostCenter.objects.get().name == "Intensive care"


@pytest.mark.django_db
def test_a_refused_request_is_replayed_as_refused(client: Client, erp) -> None:
    invalid = {"facility": "NORTH", "code": "ICU"}
    first = post(client, erp.headers, invalid)
    assert first.status_code == 400
    assert post(client, erp.headers, invalid).content == first.content


@pytest.mark.django_db
def test_two_clients_with_the_same_key_are_independent(client: Client, erp, north) -> None:
    other = make_api_client("ocr-scanner", ["org:read", "org:write"], north)
    mine = post(client, erp.headers, ICU, key="shared-key")
    theirs = post(client, other.headers, {**ICU, "code": "ER", "name": "Emergency"}, key="shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["code"] == "ER", "the other client never sees my stored response"
    assert CostCenter.objects.count() == 2


@pytest.mark.django_db
def test_a_request_still_running_gets_409_and_a_dead_one_can_be_retried(client: Client, erp, settings) -> None:
    first = post(client, erp.headers, ICU, key="crash-0001")
    record = IdempotencyRecord.objects.get(key="crash-0001")
    # Simulate the process dying after claiming the key: the record stays "in progress".
    IdempotencyRecord.objects.filter(pk=record.pk).update(state=IdempotencyRecord.State.IN_PROGRESS)
    busy = post(client, erp.headers, ICU, key="crash-0001")
    assert busy.status_code == 409
    assert busy["Retry-After"] == "1"
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1)
    )
    retried = post(client, erp.headers, ICU, key="crash-0001")
    assert retried.status_code == 400, "taken over and run again (the cost center exists from the first run)"
    assert first.status_code == 201


@pytest.mark.django_db
def test_an_unusable_key_is_refused(client: Client, erp) -> None:
    response = post(client, erp.headers, ICU, key="x" * 256)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_invalid"
    assert not CostCenter.objects.exists()


@pytest.mark.django_db
def test_keys_are_kept_seven_days_then_purged(client: Client, erp) -> None:
    post(client, erp.headers, ICU, key="old-key")
    post(client, erp.headers, {**ICU, "code": "ER"}, key="new-key")
    IdempotencyRecord.objects.filter(key="old-key").update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    IdempotencyRecord.objects.filter(key="new-key").update(created_at=timezone.now() - timedelta(days=6, hours=23))
    purge_idempotency_records.delay()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new-key"]
