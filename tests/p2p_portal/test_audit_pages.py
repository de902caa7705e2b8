"""The Audit section: auditors and managers read the trail of their facilities, filter it and export it."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from p2p_portal.audit.context import acting_as
from p2p_portal.models import CostCenter
from p2p_portal.services import cost_center_create
from tests.factories import make_api_client, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(people, north, south):
    """An edit at NORTH by the procurement admin (with a reason) and a cost center at SOUTH."""
    admin = people["procurement_admin"]
    icu = cost_center_create(actor=admin, facility=north, code="ICU", name="Intensive care")
    with acting_as(admin, reason="renamed after the ward merger"):
        icu.name = "Intensive & critical care"
        icu.save()
    cost_center_create(actor="tests", facility=south, code="ER", name="Emergency")
    return icu


@pytest.mark.parametrize("role", ["auditor", "ap_manager", "procurement_admin"])
def test_readers_see_who_changed_what_when_and_why(people, trail, role: str) -> None:
    page = signed_in(people[role]).get("/audit/").content.decode()
    assert "Audit trail" in page
    assert "renamed after the ward merger" in page
    assert "<del>Intensive care</del> → <ins>Intensive &amp; critical care</ins>" in page
    assert "procurement_admin_user" in page
    assert "Emergency" not in page, "SOUTH's records are not in a NORTH reader's trail"


@pytest.mark.parametrize("role", ["ap_clerk", "vendor_steward", "integration_admin", "nobody"])
def test_other_roles_may_not_open_the_audit_trail(people, trail, role: str) -> None:
    client = signed_in(people[role])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get(f"/audit/p2p_portal.costcenter/{trail.pk}/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client: Client, trail) -> None:
    for path in ("/audit/", "/audit/export.csv", f"/audit/p2p_portal.costcenter/{trail.pk}/"):
        assert client.get(path)["Location"].startswith("/login/")


def test_an_objects_history_of_another_facility_is_404(people, south, trail) -> None:
    er = CostCenter.objects.get(code="ER")
    client = signed_in(people["auditor"])
    assert client.get(f"/audit/p2p_portal.costcenter/{er.pk}/").status_code == 404
    assert client.get(f"/audit/p2p_portal.costcenter/{trail.pk}/").status_code == 200


def test_filters_by_actor_record_type_and_dates(people, trail) -> None:
    client = signed_in(people["auditor"])
    by_actor = client.get("/audit/", {"actor": "procurement_admin_user"}).content.decode()
    assert "renamed after the ward merger" in by_actor
    assert "granted auditor at NORTH" not in by_actor
    by_type = client.get("/audit/", {"object_type": "p2p_portal.roleassignment"}).content.decode()
    assert "granted auditor at NORTH" in by_type
    assert "Intensive" not in by_type
    future = client.get("/audit/", {"date_from": "2999-01-01"}).content.decode()
    assert "No entries match these filters." in future
    backwards = client.get("/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"}).content.decode()
    assert "The end date is before the start date." in backwards


def test_the_csv_export_has_the_filtered_rows_one_per_changed_field(people, trail) -> None:
    response = signed_in(people["auditor"]).get("/audit/export.csv", {"object_type": "p2p_portal.costcenter"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    renamed = [row for row in rows if row["reason"] == "renamed after the ward merger"]
    assert renamed == [
        {
            **renamed[0],
            "actor": "procurement_admin_user",
            "actor_kind": "user",
            "action": "changed",
            "field": "name",
            "before": "Intensive care",
            "after": "Intensive & critical care",
            "facility": "NORTH",
        }
    ]
    assert all(row["facility"] == "NORTH" for row in rows)


def test_csv_cells_that_look_like_formulas_stay_text(people, north) -> None:
    cost_center_create(actor=people["procurement_admin"], facility=north, code="X1", name='=HYPERLINK("http://evil")')
    body = b"".join(signed_in(people["auditor"]).get("/audit/export.csv").streaming_content).decode()
    assert "'=HYPERLINK" in body


def test_the_api_lists_audit_entries_for_clients_with_the_scope(client: Client, north, trail) -> None:
    auditor_tool = make_api_client("grc-tool", ["audit:read"], north)
    response = client.get("/api/v1/audit/entries/", {"record_type": "p2p_portal.costcenter"}, **auditor_tool.headers)
    assert response.status_code == 200
    entries = response.json()["results"]
    assert {entry["facility"] for entry in entries} == {"NORTH"}
    changed = next(entry for entry in entries if entry["action"] == "changed")
    assert changed["changes"] == [{"field": "name", "before": "Intensive care", "after": "Intensive & critical care"}]
    without_scope = make_api_client("erp", ["org:read"], north)
    assert client.get("/api/v1/audit/entries/", **without_scope.headers).status_code == 403


def test_readers_can_verify_the_hash_chain_from_the_page(people, trail) -> None:
    from p2p_portal.audit.services import audit_seal

    audit_seal(full=True)
    page = signed_in(people["auditor"]).get("/audit/chain/").content.decode()
    assert "Intact." in page
    assert "p2p_portal_historicalcostcenter" in page
    assert signed_in(people["ap_clerk"]).get("/audit/chain/").status_code == 403
    assert Client().get("/audit/chain/")["Location"].startswith("/login/")


def test_a_broken_chain_is_shown_as_broken(people, trail) -> None:
    from p2p_portal.audit.services import audit_seal
    from tests.audit.tampering import triggers_off

    audit_seal(full=True)
    first = CostCenter.history.filter(code="ICU").earliest("history_id")
    with triggers_off("p2p_portal_historicalcostcenter") as cursor:
        cursor.execute(
            "UPDATE p2p_portal_historicalcostcenter SET name = %s WHERE history_id = %s", ["Forged", first.history_id]
        )
    page = signed_in(people["auditor"]).get("/audit/chain/").content.decode()
    assert "Broken." in page
    assert "p2p_portal_historicalcostcenter" in page
