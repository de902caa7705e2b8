"""Duplicate detection against the database: the pre-submit lookup, the scan service and its command."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.vendors.factories import give_bank_account, make_vendor
from vendors.dedupe.profile import profile_build, profiles_load
from vendors.dedupe.scan import ScanStatistics, scan
from vendors.dedupe.store import duplicate_candidates_for, match_keys_rebuild, vendor_duplicates_scan
from vendors.models import DuplicateCandidate, DuplicateStatus, SourceReference, Vendor, VendorMatchKey, VendorStatus
from vendors.services._common import _save
from vendors.services.records import ContactData, SiteData

pytestmark = pytest.mark.django_db

SPRINGFIELD = SiteData(address_line1="100 Main Street", city="Springfield", state="IL", postal_code="62701")
ELSEWHERE = SiteData(address_line1="9 Harbor Rd", city="Portland", state="OR", postal_code="97201")


def merge(vendor: Vendor, into: Vendor) -> None:
    vendor.status = VendorStatus.INACTIVE
    vendor.merged_into = into
    _save(vendor, "tests", "merged")


def pair_of(first: Vendor, second: Vendor) -> DuplicateCandidate:
    low, high = sorted([first.pk, second.pk])
    return DuplicateCandidate.objects.get(vendor_a_id=low, vendor_b_id=high)


def test_profiles_load_takes_active_details_and_skips_merged_vendors() -> None:
    acme = make_vendor(
        "Acme Medical Supply Inc",
        tax_id="123456789",
        sites=[SiteData(address_line1="100 North Main Street", city="St. Louis", state="mo", postal_code="63101-1234")],
        contacts=[ContactData(name="Pat", email="AR@Acme.Example", phone="(314) 555-0100")],
    )
    give_bank_account(acme)
    gone = make_vendor("Gone Surgical")
    merge(gone, into=acme)

    profiles = profiles_load()

    assert gone.pk not in profiles
    profile = profiles[acme.pk]
    assert profile.number == acme.number
    assert profile.addresses == (("100 n main st", "st louis", "MO", "63101"),)
    assert profile.phones == ("3145550100",)
    assert profile.emails == ("ar@acme.example",)
    assert len(profile.bank_fingerprints) == 1
    assert profiles_load([acme.pk, gone.pk]).keys() == {acme.pk}


@pytest.mark.parametrize(
    ("existing", "proposed", "reason"),
    [
        (
            {"legal_name": "Acme Medical Supply Inc", "tax_id": "123456789"},
            {"legal_name": "Totally Renamed LLC", "tax_id": "123456789"},
            "same tax id",
        ),
        (
            {"legal_name": "Acme Medical Supply Inc", "contacts": [ContactData(name="Pat", phone="555-123-4567")]},
            {"legal_name": "Acme Med Supplies", "phones": ["+1 (555) 123 4567"], "site": ELSEWHERE},
            "same phone 5551234567",
        ),
        (
            {"legal_name": "Acme Medical Supply Inc", "contacts": [ContactData(name="Pat", email="ar@acme.example")]},
            {"legal_name": "Acme Medical Supplies", "emails": ["AR@acme.example"], "site": ELSEWHERE},
            "same email ar@acme.example",
        ),
        (
            {"legal_name": "Acme Medical Supply Inc"},
            {"legal_name": "ACME MED. SUPPLIES, L.L.C."},
            "same name (1.00): 'ACME MED. SUPPLIES, L.L.C.' ~ 'Acme Medical Supply Inc'",
        ),
        (
            {"legal_name": "Meridian Orthopedics Inc"},
            {"legal_name": "Meridan Orthopedics"},
            "similar name (0.97): 'Meridan Orthopedics' ~ 'Meridian Orthopedics Inc'",
        ),
    ],
)
def test_candidates_for_finds_the_vendor_and_says_why(existing: dict, proposed: dict, reason: str) -> None:
    site = proposed.pop("site", SPRINGFIELD)
    vendor = make_vendor(**existing)
    make_vendor("Unrelated Dental Lab")
    match_keys_rebuild()
    site_address = (site.address_line1, site.city, site.state, site.postal_code)
    profile = profile_build(vendor_id=None, addresses=[site_address], **proposed)

    candidates = duplicate_candidates_for(profile)

    assert [candidate.vendor_id for candidate in candidates] == [vendor.pk]
    assert candidates[0].number == vendor.number
    assert candidates[0].legal_name == vendor.legal_name
    assert candidates[0].score >= 0.8
    assert reason in candidates[0].reasons


def test_candidates_for_matches_a_bank_account_and_leaves_out_the_vendor_itself() -> None:
    first = make_vendor("Acme Medical Supply Inc")
    second = make_vendor("Zenith Surgical", sites=[ELSEWHERE])
    give_bank_account(first)
    give_bank_account(second)
    match_keys_rebuild()

    (candidate,) = duplicate_candidates_for(profiles_load([second.pk])[second.pk])
    assert candidate.vendor_id == first.pk
    assert candidate.reasons == ["same bank account"]
    assert duplicate_candidates_for(profiles_load([second.pk])[second.pk], exclude_vendor_id=first.pk) == []


def test_candidates_for_ignores_merged_vendors_and_lone_names() -> None:
    acme = make_vendor("Acme Medical Supply Inc")
    merged = make_vendor("Acme Medical Supply LLC")
    merge(merged, into=acme)
    make_vendor("Acme Medical Supply", sites=[ELSEWHERE])  # same name, far away: no lead by name alone
    match_keys_rebuild()

    profile = profile_build(
        vendor_id=None, legal_name="Acme Medical Supplies", addresses=[("100 Main St", "Springfield", "IL", "62701")]
    )
    assert [candidate.vendor_id for candidate in duplicate_candidates_for(profile)] == [acme.pk]
    assert not VendorMatchKey.objects.filter(vendor=merged).exists()


def test_match_keys_rebuild_of_some_vendors_replaces_only_theirs() -> None:
    acme = make_vendor("Acme Medical Supply Inc", tax_id="123456789")
    zenith = make_vendor("Zenith Surgical", tax_id="987654321")
    match_keys_rebuild()
    acme.tax_id = "111111111"
    _save(acme, "tests", "tax id corrected")

    match_keys_rebuild([acme.pk])

    keys = set(VendorMatchKey.objects.values_list("vendor_id", "key"))
    assert (acme.pk, "tax:111111111") in keys
    assert (acme.pk, "tax:123456789") not in keys
    assert (zenith.pk, "tax:987654321") in keys


def test_scan_files_pairs_with_reasons_and_history() -> None:
    acme = make_vendor("Acme Medical Supply Inc", tax_id="123456789")
    acme_llc = make_vendor("ACME Medical Supplies, L.L.C.")
    renamed = make_vendor("Northwind Holdings", tax_id="123456789", sites=[ELSEWHERE])
    make_vendor("Apex Medical Supply Inc")

    summary = vendor_duplicates_scan(actor="command:scan_vendor_duplicates")

    assert summary.vendors == 4
    assert (summary.pairs_found, summary.created, summary.updated) == (2, 2, 0)
    by_name = pair_of(acme, acme_llc)
    assert by_name.status == DuplicateStatus.OPEN
    assert by_name.reasons == [
        "same name (1.00): 'Acme Medical Supply Inc' ~ 'ACME Medical Supplies, L.L.C.'",
        "same address",
    ]
    assert float(by_name.score) == 1.0
    assert pair_of(acme, renamed).reasons == ["same tax id"]
    history = by_name.history.get()
    assert history.history_actor_label == "command:scan_vendor_duplicates"
    assert history.history_change_reason == "duplicate scan"
    assert VendorMatchKey.objects.filter(vendor=acme, key="tax:123456789").exists()


def test_rescan_updates_open_pairs_and_creates_no_duplicates() -> None:
    acme = make_vendor("Acme Medical Supply Inc", tax_id="123456789")
    twin = make_vendor("Acme Medical Supply LLC")
    vendor_duplicates_scan(actor="tests")

    again = vendor_duplicates_scan(actor="tests")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)

    twin.tax_id = "123456789"
    _save(twin, "tests", "tax id added")
    changed = vendor_duplicates_scan(actor="tests")

    assert (changed.created, changed.updated) == (0, 1)
    pair = pair_of(acme, twin)
    assert pair.reasons[0] == "same tax id"
    assert DuplicateCandidate.objects.count() == 1
    assert pair.history.count() == 2


def test_a_dismissed_or_merged_pair_is_never_raised_again() -> None:
    acme = make_vendor("Acme Medical Supply Inc", tax_id="123456789")
    twin = make_vendor("Acme Medical Supply LLC", tax_id="123456789")
    vendor_duplicates_scan(actor="tests")
    pair = pair_of(acme, twin)
    pair.status = DuplicateStatus.DISMISSED
    pair.decided_at = timezone.now()
    pair.note = "Two facilities of one health system, paid separately."
    _save(pair, "tests", "dismissed")

    summary = vendor_duplicates_scan(actor="tests")

    assert (summary.pairs_found, summary.created, summary.updated, summary.skipped_dismissed) == (1, 0, 0, 1)
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED
    assert summary.pairs == []


def test_scan_leaves_out_merged_vendors() -> None:
    acme = make_vendor("Acme Medical Supply Inc")
    merged = make_vendor("Acme Medical Supply LLC")
    merge(merged, into=acme)

    summary = vendor_duplicates_scan(actor="tests")

    assert summary.vendors == 1
    assert summary.pairs_found == 0
    assert not DuplicateCandidate.objects.exists()


def test_command_prints_a_summary_and_writes_the_pairs_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    acme = make_vendor("Acme Medical Supply Inc", tax_id="123456789")
    twin = make_vendor("Northwind Holdings", tax_id="123456789", sites=[ELSEWHERE])
    seen = timezone.now()
    SourceReference.objects.create(system="ERP", external_id="100", vendor=acme, last_seen_at=seen)
    SourceReference.objects.create(system="GHX", external_id="A-7", vendor=acme, last_seen_at=seen)
    SourceReference.objects.create(system="ERP", external_id="-200", vendor=twin, last_seen_at=seen)
    output = tmp_path / "pairs.csv"

    call_command("scan_vendor_duplicates", "--output", str(output))

    printed = capsys.readouterr().out
    assert "Scanned 2 vendor(s)" in printed
    assert "1 pair(s) found, 1 new" in printed
    with output.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["vendor_a", "vendor_b", "source_ids_a", "source_ids_b", "score", "reasons"]
    assert rows[1][:5] == [acme.number, twin.number, "ERP:100;GHX:A-7", "ERP:-200", "0.950"]
    assert rows[1][5] == "same tax id"
    assert len(rows) == 2


def test_command_csv_neutralises_formulas(tmp_path: Path) -> None:
    acme = make_vendor("Acme Medical Supply Inc", tax_id="123456789")
    twin = make_vendor("Zenith Surgical", tax_id="123456789", sites=[ELSEWHERE])
    SourceReference.objects.create(system="=CMD", external_id="1", vendor=twin, last_seen_at=timezone.now())
    output = tmp_path / "pairs.csv"

    call_command("scan_vendor_duplicates", "--output", str(output))

    with output.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][0] == acme.number
    assert rows[1][3] == "'=CMD:1"


def test_scan_compares_pairs_sharing_a_key_once_and_orders_them() -> None:
    here = ("100 Main St", "Springfield", "IL", "62701")
    profiles = {
        3: profile_build(vendor_id=3, legal_name="Acme Medical Supply Inc", tax_id="1", addresses=[here]),
        1: profile_build(vendor_id=1, legal_name="Acme Medical Supplies LLC", tax_id="1", addresses=[here]),
        2: profile_build(vendor_id=2, legal_name="Zenith Surgical", addresses=[here]),
    }
    statistics = ScanStatistics()

    found = list(scan(profiles, statistics=statistics))

    assert [(first, second) for first, second, _ in found] == [(1, 3)]
    assert found[0][2].reasons[0] == "same tax id"
    assert statistics.pairs_compared == 1


def test_scan_skips_blocks_too_large_to_mean_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vendors.dedupe.scan.MAX_BLOCK_SIZE", 2)
    profiles = {
        index: profile_build(vendor_id=index, legal_name="Placeholder", tax_id="000000000") for index in range(1, 4)
    }
    statistics = ScanStatistics()

    assert list(scan(profiles, statistics=statistics)) == []
    assert statistics.blocks_skipped >= 1
    assert "tax:…" in statistics.skipped_keys  # identifiers are never written out


def test_candidates_for_leaves_out_crowded_name_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        make_vendor("Acme Medical Supply Inc")
    match_keys_rebuild()
    profile = profile_build(
        vendor_id=None, legal_name="Acme Medical Supply", addresses=[("100 Main St", "Springfield", "IL", "62701")]
    )
    assert len(duplicate_candidates_for(profile)) == 3

    monkeypatch.setattr("vendors.dedupe.store.MAX_BLOCK_SIZE", 2)
    assert duplicate_candidates_for(profile) == []
