"""The control evidence pack: exactly the period's events (boundaries inclusive), scoped to the reader's
facilities, the same rows on the page, in each CSV and in the zip, a manifest that checks out, and a record of
who downloaded which period."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from insights.evidence.models import ChainVerification, EvidenceDownload
from p2p_portal.audit.selectors import audit_chain_verify
from p2p_portal.roles import Role
from tests.conftest import make_user
from tests.factories import make_user_with_role, signed_in
from tests.insights.evidence.conftest import DATE_FROM, DATE_TO, FACILITY_SECTIONS, LABEL_COLUMN, PERIOD, Evidence

pytestmark = pytest.mark.django_db

PACK = "insights:evidence:pack"
DOWNLOAD = "insights:evidence:download"


def _zip(client: Client, **form: str) -> zipfile.ZipFile:
    response = client.post(reverse(DOWNLOAD), {**PERIOD, **form})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _labels(rows: list[list[str]], key: str) -> set[str]:
    column = rows[0].index(LABEL_COLUMN[key])
    return {row[column] for row in rows[1:]}


@pytest.fixture
def auditor_north(north):
    return make_user_with_role("ev-auditor-n", Role.AUDITOR, north)


def test_anonymous_readers_are_sent_to_sign_in() -> None:
    response = Client().get(reverse(PACK))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert Client().post(reverse(DOWNLOAD), PERIOD).status_code == 302


def test_people_without_an_evidence_role_are_refused(north) -> None:
    for person in (
        make_user("ev-nobody"),
        make_user_with_role("ev-manager", Role.AP_MANAGER, north),
        make_user_with_role("ev-steward-only", Role.VENDOR_STEWARD, north),
    ):
        client = signed_in(person)
        assert client.get(reverse(PACK)).status_code == 403
        assert client.post(reverse(DOWNLOAD), PERIOD).status_code == 403
    assert not EvidenceDownload.objects.exists()


def test_the_pack_holds_exactly_the_periods_events(evidence: Evidence, auditor_north) -> None:
    archive = _zip(signed_in(auditor_north))
    for key in LABEL_COLUMN:
        labels = _labels(_rows(archive.read(f"{key}.csv").decode()), key)
        expected = {"first", "last"} | ({"global"} if key == "tolerance_rule_edits" else set())
        if key not in FACILITY_SECTIONS:
            expected |= {"south"}  # the supplier master is network-wide
        assert labels == expected, key


def test_a_reader_of_both_facilities_gets_south_too_and_one_when_chosen(evidence: Evidence, north, south) -> None:
    auditor = make_user_with_role("ev-auditor-ns", Role.AUDITOR, north, south)
    archive = _zip(signed_in(auditor))
    assert _labels(_rows(archive.read("bank_changes.csv").decode()), "bank_changes") == {"first", "last", "south"}
    archive = _zip(signed_in(auditor), facility=south.code)
    assert _labels(_rows(archive.read("bank_changes.csv").decode()), "bank_changes") == {"south"}
    assert _labels(_rows(archive.read("accepted_variances.csv").decode()), "accepted_variances") == {"south"}


def test_a_reader_at_south_only_sees_nothing_of_north(evidence: Evidence, north, south) -> None:
    auditor = make_user_with_role("ev-auditor-s", Role.AUDITOR, south)
    client = signed_in(auditor)
    assert client.get(reverse(PACK), {**PERIOD, "facility": north.code}).status_code == 404
    assert client.post(reverse(DOWNLOAD), {**PERIOD, "facility": north.code}).status_code == 404
    archive = _zip(client)
    for key in FACILITY_SECTIONS:
        labels = _labels(_rows(archive.read(f"{key}.csv").decode()), key)
        assert labels <= {"south", "global"}, key


def test_each_csv_matches_its_table_on_the_page_and_in_the_zip(evidence: Evidence, auditor_north) -> None:
    client = signed_in(auditor_north)
    page = client.get(reverse(PACK), PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    archive = _zip(client)
    for entry in page.context["sections"]:
        key = entry["section"].key
        response = client.get(reverse(PACK), {**PERIOD, "section": key, "format": "csv"})
        text = b"".join(response.streaming_content).decode()
        assert text == archive.read(f"{key}.csv").decode(), key
        rows = _rows(text)
        assert rows[0] == list(entry["section"].header)
        assert rows[1:] == entry["rows"], key
        assert entry["count"] == len(rows) - 1
        table = re.search(rf'<table[^>]*id="table-{key}">(.*?)</table>', html, re.S)
        assert table is not None, key
        body = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
        cells = [[unescape(value) for value in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in body]
        assert [row for row in cells if row] == rows[1:], key


def test_the_manifest_lists_every_file_with_its_rows_and_hash(evidence: Evidence, auditor_north) -> None:
    archive = _zip(signed_in(auditor_north))
    manifest = _rows(archive.read("manifest.csv").decode())
    header, lines = manifest[0], manifest[1:]
    assert header[:3] == ["file", "rows", "sha256"]
    assert {line[0] for line in lines} | {"manifest.csv"} == set(archive.namelist())
    for line in lines:
        content = archive.read(line[0])
        assert hashlib.sha256(content).hexdigest() == line[2], line[0]
        assert int(line[1]) == len(_rows(content.decode())) - 1
        assert line[3:7] == [DATE_FROM.isoformat(), DATE_TO.isoformat(), "NORTH", "ev-auditor-n"]


def test_who_downloaded_which_period_is_recorded(evidence: Evidence, auditor_north) -> None:
    client = signed_in(auditor_north)
    _zip(client)
    client.get(reverse(PACK), {**PERIOD, "section": "vendor_merges", "format": "csv"})
    downloads = list(EvidenceDownload.objects.order_by("id"))
    assert [(d.what, d.downloaded_by, d.date_from, d.date_to, d.facilities) for d in downloads] == [
        ("pack", auditor_north, DATE_FROM, DATE_TO, ["NORTH"]),
        ("vendor_merges", auditor_north, DATE_FROM, DATE_TO, ["NORTH"]),
    ]
    assert {file["file"] for file in downloads[0].files} >= {"bank_changes.csv", "audit_chain.csv"}
    history = EvidenceDownload.history.first()
    assert history.history_user_id == auditor_north.pk
    assert "ev-auditor-n" in client.get(reverse(PACK), PERIOD).content.decode()


def test_the_pack_carries_the_audit_chain_verification(evidence: Evidence, auditor_north) -> None:
    client = signed_in(auditor_north)
    assert client.get(reverse(PACK), PERIOD).context["verification"] is None
    response = client.post(reverse("insights:evidence:verify"), PERIOD)
    assert response.status_code == 302
    verification = ChainVerification.objects.get()
    expected = audit_chain_verify()
    assert verification.ok == expected.ok
    assert verification.requested_by == "ev-auditor-n"
    chain = _rows(_zip(client).read("audit_chain.csv").decode())
    assert chain[0][:5] == ["table", "verified", "unsealed", "head hash", "broken"]
    assert {row[0] for row in chain[1:]} == {table.table for table in expected.tables}
    assert ChainVerification.objects.count() == 1  # the pack used the latest verification


def test_a_pack_too_large_is_refused_and_not_recorded(evidence: Evidence, auditor_north, monkeypatch) -> None:
    monkeypatch.setattr("insights.evidence.services.PACK_SIZE_LIMIT", 200)
    response = signed_in(auditor_north).post(reverse(DOWNLOAD), PERIOD)
    assert response.status_code == 302
    assert not EvidenceDownload.objects.exists()


def test_procurement_admins_may_read_the_pack(evidence: Evidence, north) -> None:
    admin = make_user_with_role("ev-admin-n", Role.PROCUREMENT_ADMIN, north)
    response = signed_in(admin).get(reverse(PACK), PERIOD)
    assert response.status_code == 200
    counts = {entry["section"].key: entry["count"] for entry in response.context["sections"]}
    assert counts["bank_changes"] == 2
    assert counts["tolerance_rule_edits"] == 3


def test_the_hourly_task_keeps_a_verification(db) -> None:
    from django.conf import settings

    from insights.evidence.tasks import verify_audit_chain

    verify_audit_chain()
    assert ChainVerification.objects.get().requested_by == "task insights.evidence.verify_audit_chain"
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert verify_audit_chain.name in scheduled


def test_a_download_shows_in_the_audit_trail(evidence: Evidence, auditor_north) -> None:
    from p2p_portal.audit.entries import AuditFilters, audit_entries

    _zip(signed_in(auditor_north))
    entries = list(
        audit_entries(principal=auditor_north, filters=AuditFilters(object_type="insights_evidence.evidencedownload"))
    )
    assert [(entry.actor, entry.action) for entry in entries] == [("ev-auditor-n", "created")]


def test_the_page_reads_in_a_constant_number_of_queries(evidence: Evidence, auditor_north, north) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vendors.models import CallbackEvidence, ChangeRequest

    client = signed_in(auditor_north)
    client.get(reverse(PACK), PERIOD)  # the first request of a session does one-off work (session, navigation)
    with CaptureQueriesContext(connection) as before:
        client.get(reverse(PACK), PERIOD)
    first = ChangeRequest.objects.get(reason="first")
    for _ in range(3):
        CallbackEvidence.objects.create(
            change_request=first,
            phone_number="2175550199",
            contact_name="Pat Lee",
            called_by=evidence.admin,
            called_at=first.submitted_at,
            outcome="no_answer",
            recorded_at=first.submitted_at,
        )
    with CaptureQueriesContext(connection) as after:
        client.get(reverse(PACK), PERIOD)
    assert len(after) == len(before)
