"""The vendors API by role: who reads (masked), who proposes, who may not; problem+json for every refusal."""

from __future__ import annotations

import pytest
from django.test import Client

from approvals.models import ApprovalRequest
from p2p_portal.roles import Role, Scope
from tests.factories import make_api_client, reauthenticated, signed_in
from tests.vendors.factories import give_bank_account, make_vendor
from vendors.models import ChangeRequest
from vendors.services.records import ContactData, SiteData

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    vendor = make_vendor(
        "Cardinal Health Inc",
        tax_id="123456789",
        tax_id_kind="ein",
        sites=[SiteData(address_line1="7000 Cardinal Pl", city="Dublin", state="OH", phone="614-555-0100")],
        contacts=[ContactData(name="AR", email="ar@cardinal.example", phone="614-555-0101")],
    )
    give_bank_account(vendor, account_number="555566667777")
    return vendor


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (Role.VENDOR_STEWARD, 200),
        (Role.PROCUREMENT_ADMIN, 200),
        (Role.AP_CLERK, 200),
        (Role.AP_MANAGER, 200),
        (Role.AUDITOR, 200),
        (Role.INTEGRATION_ADMIN, 404),
        ("nobody", 404),
    ],
)
def test_who_reads_the_vendor_master(people, vendor, who, status) -> None:
    client = signed_in(people[who])
    assert client.get("/api/v1/vendors/").status_code == status
    assert client.get(f"/api/v1/vendors/{vendor.number}/").status_code == status


def test_anonymous_callers_are_asked_to_authenticate(vendor) -> None:
    response = Client().get("/api/v1/vendors/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_tax_ids_are_masked_unless_allowed_and_bank_numbers_always(people, vendor) -> None:
    clerk = signed_in(people[Role.AP_CLERK]).get(f"/api/v1/vendors/{vendor.number}/").json()
    steward = signed_in(people[Role.VENDOR_STEWARD]).get(f"/api/v1/vendors/{vendor.number}/").json()
    assert clerk["tax_id"] == "•••••6789"
    assert steward["tax_id"] == "12-3456789"
    for body in (clerk, steward):
        assert body["bank_accounts"][0]["account_last4"] == "7777"
        assert "555566667777" not in str(body)


def test_search_is_typo_tolerant_and_finds_by_number_and_tax_id(people, vendor) -> None:
    make_vendor("Owens & Minor Distribution Inc")
    client = signed_in(people[Role.AP_CLERK])

    def names(q: str) -> list[str]:
        return [v["legal_name"] for v in client.get("/api/v1/vendors/", {"q": q}).json()["results"]]

    assert names("cardinal") == ["Cardinal Health Inc"]
    assert names("Cardnal Health") == ["Cardinal Health Inc"]
    assert names("cardnal") == ["Cardinal Health Inc"], "a typo in part of a name is forgiven too"
    assert names("Owens Distribtion") == ["Owens & Minor Distribution Inc"]
    assert names(vendor.number) == ["Cardinal Health Inc"]
    assert names("12-3456789") == ["Cardinal Health Inc"]


def test_api_clients_read_with_the_scope_and_never_propose(north, vendor) -> None:
    reader = make_api_client("erp", [Scope.VENDORS_READ, Scope.VENDORS_WRITE], north)
    blind = make_api_client("ocr", [Scope.INVOICES_WRITE], north)
    assert Client().get("/api/v1/vendors/", **reader.headers).status_code == 200
    refused = Client().get("/api/v1/vendors/", **blind.headers)
    assert refused.status_code == 403
    assert "vendors:read" in refused.json()["detail"]
    proposal = Client().post(
        "/api/v1/vendor-change-requests/",
        {"kind": "update", "vendor": vendor.number, "facility": "NORTH", "reason": "x", "fields": {"dba_name": "CAH"}},
        content_type="application/json",
        **reader.headers,
    )
    assert proposal.status_code == 403
    assert proposal.json()["code"] == "users_only"


def test_a_steward_proposes_through_the_api_and_errors_are_field_by_field(people, vendor) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    bad = client.post(
        "/api/v1/vendor-change-requests/",
        {
            "kind": "update",
            "vendor": vendor.number,
            "facility": "NORTH",
            "reason": "x",
            "fields": {"tax_id": "00-1", "tax_id_kind": "ein"},
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["tax_id"]
    created = client.post(
        "/api/v1/vendor-change-requests/",
        {
            "kind": "update",
            "vendor": vendor.number,
            "facility": "NORTH",
            "reason": "rename",
            "fields": {"dba_name": "CAH"},
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="cr-1",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["diff"] == [{"field": "dba_name", "label": "DBA name", "old": "", "new": "CAH"}]
    replay = client.post(
        "/api/v1/vendor-change-requests/",
        {
            "kind": "update",
            "vendor": vendor.number,
            "facility": "NORTH",
            "reason": "rename",
            "fields": {"dba_name": "CAH"},
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="cr-1",
    )
    assert replay.status_code == 201
    assert replay.json()["id"] == body["id"]
    assert ChangeRequest.objects.count() == 1
    clerk = signed_in(people[Role.AP_CLERK]).post(
        "/api/v1/vendor-change-requests/",
        {"kind": "update", "vendor": vendor.number, "facility": "NORTH", "reason": "x", "fields": {"dba_name": "Z"}},
        content_type="application/json",
    )
    assert clerk.status_code == 403
    assert clerk.json()["code"] == "not_a_steward"


def test_change_requests_of_another_facility_do_not_exist_for_the_outsider(people, vendor) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    created = client.post(
        "/api/v1/vendor-change-requests/",
        {"kind": "update", "vendor": vendor.number, "facility": "NORTH", "reason": "r", "fields": {"dba_name": "CAH"}},
        content_type="application/json",
    ).json()
    outsider = signed_in(people["outsider"])
    assert outsider.get(f"/api/v1/vendor-change-requests/{created['id']}/").status_code == 404
    assert signed_in(people[Role.AUDITOR]).get(f"/api/v1/vendor-change-requests/{created['id']}/").status_code == 200


def test_bank_changes_need_a_fresh_password_proof_to_submit_and_to_approve(people, vendor, north) -> None:
    from tests.factories import make_user_with_role

    steward = signed_in(people[Role.VENDOR_STEWARD])
    payload = {
        "kind": "bank_account",
        "vendor": vendor.number,
        "facility": "NORTH",
        "reason": "vendor letter",
        "bank_account": {
            "holder_name": "Cardinal Health Inc",
            "routing_number": "021000021",
            "account_number": "4444333322",
        },
    }
    stale = steward.post("/api/v1/vendor-change-requests/", payload, content_type="application/json")
    assert stale.status_code == 403
    assert stale.json()["code"] == "reauthentication_required"
    created = reauthenticated(steward).post("/api/v1/vendor-change-requests/", payload, content_type="application/json")
    assert created.status_code == 201, created.json()
    change_id = created.json()["id"]

    checker = signed_in(make_user_with_role("checker", Role.VENDOR_STEWARD, north))
    not_on_file = checker.post(
        f"/api/v1/vendor-change-requests/{change_id}/callbacks/",
        {
            "phone_number": "999-555-0000",
            "contact_name": "X",
            "called_at": "2099-01-01T00:00:00Z",
            "outcome": "confirmed",
        },
        content_type="application/json",
    )
    assert not_on_file.status_code == 422
    assert {error["field"] for error in not_on_file.json()["errors"]} == {"phone_number", "called_at"}
    from django.utils import timezone

    ok = checker.post(
        f"/api/v1/vendor-change-requests/{change_id}/callbacks/",
        {
            "phone_number": "614-555-0101",
            "contact_name": "AR",
            "called_at": timezone.now().isoformat(),
            "outcome": "confirmed",
        },
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.json()

    approval_id = ApprovalRequest.objects.get(document_type="vendor_bank_change").pk
    admin = signed_in(people[Role.PROCUREMENT_ADMIN])
    refused = admin.post(f"/api/v1/approvals/{approval_id}/approve/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "reauthentication_required"
    approved = reauthenticated(admin).post(
        f"/api/v1/approvals/{approval_id}/approve/", {}, content_type="application/json"
    )
    assert approved.status_code == 200, approved.json()


def test_duplicates_and_screening_lists_by_role(people, vendor) -> None:
    for who, status in ((Role.VENDOR_STEWARD, 200), (Role.AUDITOR, 200), ("nobody", 404)):
        client = signed_in(people[who])
        assert client.get("/api/v1/vendor-duplicates/").status_code == status
        assert client.get("/api/v1/vendor-screening-hits/").status_code == status


def test_an_api_proposal_records_the_possible_duplicates_it_resembles(people, vendor) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    created = client.post(
        "/api/v1/vendor-change-requests/",
        {
            "kind": "create",
            "facility": "NORTH",
            "reason": "new distributor",
            "fields": {"legal_name": "Cardinal Health Incorporated", "tax_id": "12-3456789", "tax_id_kind": "ein"},
            "sites": [{"address_line1": "7000 Cardinal Pl", "city": "Dublin", "state": "OH"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    [warning] = created.json()["duplicate_warnings"]
    assert warning["vendor"] == vendor.number
    assert "same tax id" in warning["reasons"]
