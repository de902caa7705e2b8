"""API clients and their tokens, as a client sees them: every refusal is RFC 9457 problem+json."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from p2p_portal.api.tokens import token_digest
from p2p_portal.models import ApiToken, CostCenter
from p2p_portal.services import api_client_revoke_all, api_token_revoke, api_token_rotate, cost_center_create
from tests.factories import SYSTEM, make_api_client

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:p2p-portal:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body


@pytest.fixture
def erp(north):
    return make_api_client("erp-sync", ["org:read", "org:write"], north)


def test_a_valid_token_lists_only_the_clients_facilities(client: Client, erp, south) -> None:
    response = client.get("/api/v1/facilities/", **erp.headers)
    assert response.status_code == 200
    assert [facility["code"] for facility in response.json()["results"]] == ["NORTH"]


def test_no_token_is_401_with_a_bearer_challenge(client: Client, north) -> None:
    body = assert_problem(client.get("/api/v1/facilities/"), 401, "not_authenticated")
    assert "bearer token" in body["detail"].lower() or "credentials" in body["detail"].lower()
    assert client.get("/api/v1/facilities/")["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer", "token_malformed"),
        ("Basic dXNlcjpwYXNz", "token_malformed"),
        ("Bearer not-one-of-ours", "token_malformed"),
        ("Bearer p2p_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "token_invalid"),
    ],
)
def test_malformed_and_unknown_tokens_are_401(client: Client, erp, header: str, code: str) -> None:
    assert_problem(client.get("/api/v1/facilities/", HTTP_AUTHORIZATION=header), 401, code)


def test_a_token_with_the_right_prefix_but_wrong_secret_is_refused(client: Client, erp) -> None:
    forged = erp.issued.secret[:-4] + "AAAA"
    assert_problem(client.get("/api/v1/facilities/", HTTP_AUTHORIZATION=f"Bearer {forged}"), 401, "token_invalid")


def test_an_expired_token_is_401_and_says_so(client: Client, erp) -> None:
    ApiToken.objects.filter(pk=erp.issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_problem(client.get("/api/v1/facilities/", **erp.headers), 401, "token_expired")
    assert "expired" in body["detail"]


def test_a_revoked_token_is_401(client: Client, erp) -> None:
    api_token_revoke(actor=SYSTEM, token=erp.issued.token, reason="leaked in a ticket")
    assert_problem(client.get("/api/v1/facilities/", **erp.headers), 401, "token_revoked")


def test_a_deactivated_client_is_401_whatever_its_tokens(client: Client, erp) -> None:
    erp.client.is_active = False
    erp.client.save()
    assert_problem(client.get("/api/v1/facilities/", **erp.headers), 401, "token_client_inactive")


def test_a_missing_scope_is_403_naming_the_scope(client: Client, north) -> None:
    reader = make_api_client("ocr-scanner", ["invoices:write"], north)
    body = assert_problem(client.get("/api/v1/facilities/", **reader.headers), 403, "permission_denied")
    assert "org:read" in body["detail"]


def test_a_write_at_another_facility_is_403(client: Client, erp, south) -> None:
    response = client.post(
        "/api/v1/cost-centers/",
        {"facility": "SOUTH", "code": "ICU", "name": "Intensive care"},
        "application/json",
        **erp.headers,
    )
    body = assert_problem(response, 403, "facility_not_allowed")
    assert body["errors"][0]["field"] == "facility"
    assert not CostCenter.objects.exists()


def test_objects_of_other_facilities_are_404_not_403(client: Client, erp, south) -> None:
    other = cost_center_create(actor=SYSTEM, facility=south, code="ER", name="Emergency")
    assert_problem(client.get("/api/v1/facilities/SOUTH/", **erp.headers), 404, "not_found")
    assert_problem(client.get(f"/api/v1/cost-centers/{other.pk}/", **erp.headers), 404, "not_found")


def test_validation_errors_name_each_field(client: Client, erp) -> None:
    response = client.post(
        "/api/v1/cost-centers/", {"facility": "NOWHERE", "code": "x" * 30}, "application/json", **erp.headers
    )
    body = assert_problem(response, 400, "validation_failed")
    fields = {error["field"]: error for error in body["errors"]}
    assert set(fields) == {"facility", "code", "name"}
    assert fields["name"]["pointer"] == "/name"
    assert fields["name"]["code"] == "required"


def test_a_duplicate_cost_center_is_a_field_error_not_a_500(client: Client, erp, north) -> None:
    cost_center_create(actor=SYSTEM, facility=north, code="ICU", name="Intensive care")
    response = client.post(
        "/api/v1/cost-centers/",
        {"facility": "NORTH", "code": "ICU", "name": "Again"},
        "application/json",
        **erp.headers,
    )
    body = assert_problem(response, 400, "validation_failed")
    assert "already exists" in body["errors"][0]["detail"]


def test_an_unknown_api_path_is_a_problem_too(client: Client, erp) -> None:
    assert_problem(client.get("/api/v1/no-such-thing/", **erp.headers), 404, "not_found")


def test_tokens_are_stored_hashed_and_shown_once(erp) -> None:
    token = ApiToken.objects.get(pk=erp.issued.token.pk)
    assert token.digest == token_digest(erp.issued.secret)
    assert erp.issued.secret not in (token.digest, token.prefix)
    assert erp.issued.secret.startswith(f"p2p_{token.prefix}_")
    assert token.expires_at - token.created_at == pytest.approx(timedelta(days=90), abs=timedelta(seconds=5))


def test_use_is_recorded_on_the_token(client: Client, erp) -> None:
    client.get("/api/v1/facilities/", **erp.headers)
    assert ApiToken.objects.get(pk=erp.issued.token.pk).last_used_at is not None


def test_rotation_keeps_the_old_token_for_the_overlap_then_only_the_new(client: Client, erp) -> None:
    new = api_token_rotate(actor=SYSTEM, client=erp.client, overlap=timedelta(hours=24))
    new_headers = {"HTTP_AUTHORIZATION": f"Bearer {new.secret}"}
    assert client.get("/api/v1/facilities/", **erp.headers).status_code == 200, "old token still works in the overlap"
    assert client.get("/api/v1/facilities/", **new_headers).status_code == 200
    old = ApiToken.objects.get(pk=erp.issued.token.pk)
    assert old.expires_at <= timezone.now() + timedelta(hours=24)
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now())  # the overlap has passed
    assert_problem(client.get("/api/v1/facilities/", **erp.headers), 401, "token_expired")
    assert client.get("/api/v1/facilities/", **new_headers).status_code == 200


def test_revoking_all_tokens_stops_the_client_at_once(client: Client, erp) -> None:
    api_token_rotate(actor=SYSTEM, client=erp.client)
    assert api_client_revoke_all(actor=SYSTEM, client=erp.client, reason="suspected leak") == 2
    assert_problem(client.get("/api/v1/facilities/", **erp.headers), 401, "token_revoked")


def test_writes_of_a_client_are_attributed_to_it_in_the_audit_trail(client: Client, erp) -> None:
    response = client.post(
        "/api/v1/cost-centers/",
        {"facility": "NORTH", "code": "ICU", "name": "Intensive care"},
        "application/json",
        HTTP_X_REQUEST_ID="req-erp-000001",
        **erp.headers,
    )
    assert response.status_code == 201
    record = CostCenter.history.get(code="ICU")
    assert record.history_api_client_id == erp.client.pk
    assert record.history_user_id is None
    assert record.history_actor_label == "api client erp-sync"
    assert record.history_request_id == "req-erp-000001"
    assert record.history_change_reason == "cost center created"


def test_session_users_post_to_the_api_only_with_a_csrf_token(people) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["procurement_admin"])
    response = browser.post(
        "/api/v1/cost-centers/", {"facility": "NORTH", "code": "ICU", "name": "ICU"}, "application/json"
    )
    assert_problem(response, 403, "permission_denied")
    assert "CSRF" in response.json()["detail"]


def test_the_openapi_schema_and_docs_are_served_from_the_portal(people) -> None:
    browser = Client()
    browser.force_login(people["ap_clerk"])
    schema = browser.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/cost-centers/" in document["paths"]
    assert {"bearerToken", "session"} <= set(document["components"]["securitySchemes"])
    docs = browser.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "https://" not in docs, "no CDN"
