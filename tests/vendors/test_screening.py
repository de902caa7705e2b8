"""Exclusion screening: LEIE and SAM files in their real layouts, matching by NPI and by name within a state,
reinstatements, hits that are not raised twice, stewards' decisions, list versions, the monthly task, commands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.roles import Role
from tests.factories import make_facility, make_user_with_role
from tests.vendors.factories import make_vendor
from vendors.models import (
    ExclusionEntry,
    ExclusionList,
    HitStatus,
    ScreeningHit,
    ScreeningResult,
    VendorStatus,
)
from vendors.screening.files import ExclusionFileError, version_from_file_name
from vendors.screening.selectors import screening_hits, vendor_has_confirmed_exclusion, vendor_screening_results
from vendors.screening.services import (
    exclusion_list_import,
    screening_hit_clear,
    screening_hit_confirm,
    vendor_screen,
    vendors_rescreen,
)
from vendors.services.records import SiteData, vendor_sites_replace
from vendors.tasks import rescreen_monthly

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
LEIE = DATA / "leie_sample.csv"
SAM = DATA / "sam_sample.csv"
LEIE_HEADER = (
    "LASTNAME,FIRSTNAME,MIDNAME,BUSNAME,GENERAL,SPECIALTY,UPIN,NPI,DOB,ADDRESS,CITY,STATE,ZIP,EXCLTYPE,"
    "EXCLDATE,REINDATE,WAIVERDATE,WVRSTATE"
)
ACTOR = "tests"


def site(state: str, city: str = "Springfield") -> SiteData:
    return SiteData(address_line1="1 Test St", city=city, state=state, postal_code="00000")


@pytest.fixture
def lists() -> dict[str, ExclusionList]:
    leie = exclusion_list_import(actor=ACTOR, source="leie", path=LEIE, version="2026-10").exclusion_list
    sam = exclusion_list_import(actor=ACTOR, source="sam", path=SAM, version="2026-10-20").exclusion_list
    return {"leie": leie, "sam": sam}


@pytest.fixture
def steward():
    return make_user_with_role("stella", Role.VENDOR_STEWARD, make_facility("NORTH"))


def entry(source: str, name: str) -> ExclusionEntry:
    return ExclusionEntry.objects.get(exclusion_list__source=source, exclusion_list__is_current=True, name=name)


# --- Files ------------------------------------------------------------------------------------------------------
def test_leie_layout_businesses_individuals_npis_and_dates(lists):
    assert lists["leie"].row_count == 10
    assert lists["leie"].is_current
    assert len(lists["leie"].file_sha256) == 64
    acme = entry("leie", "ACME MEDICAL SUPPLY, INC.")
    assert (acme.is_individual, acme.npi, acme.name_key, acme.state) == (False, "", "acme medical supply", "IL")
    assert (acme.excluded_on, acme.reinstated_on, acme.exclusion_type) == (date(2019, 3, 21), None, "1128b7")
    assert acme.row_number == 2
    assert acme.raw["BUSNAME"] == "ACME MEDICAL SUPPLY, INC."
    smith = entry("leie", "JOHN Q SMITH")
    assert (smith.is_individual, smith.npi, smith.city, smith.postal_code) == (True, "1234567893", "CHICAGO", "60614")
    assert entry("leie", "RIVERBEND CLINIC").reinstated_on == date(2020, 1, 15)


def test_sam_layout_firms_individuals_identifiers_and_termination(lists):
    assert lists["sam"].row_count == 8
    globex = entry("sam", "GLOBEX SURGICAL SUPPLY LLC")
    assert (globex.is_individual, globex.identifier, globex.npi) == (False, "JK7LMN8PQRS3", "1497758544")
    assert globex.address == "400 Harbor Blvd, Suite 210"
    assert (globex.excluded_on, globex.reinstated_on) == (date(2022, 3, 15), None)
    assert globex.exclusion_type == "Prohibition/Restriction"
    parker = entry("sam", "PETER A PARKER")
    assert (parker.is_individual, parker.state, parker.identifier) == (True, "NY", "")
    assert entry("sam", "INITECH MEDICAL BILLING").reinstated_on == date(2021, 12, 31)
    assert entry("sam", "UMBRELLA DIAGNOSTICS INC").identifier == "UMBR3LLA9XY2"
    # A state written out is stored as its code, so it compares with vendors' sites.
    assert entry("sam", "HOOLI HEALTH SYSTEMS INC").state == "IL"
    assert entry("sam", "SEA BREEZE").state == ""


def test_a_wrong_file_is_refused_naming_the_missing_columns():
    with pytest.raises(ExclusionFileError) as refused:
        exclusion_list_import(actor=ACTOR, source="leie", path=SAM, version="2026-10")
    assert refused.value.code == "exclusion_file_header"
    assert "LASTNAME" in refused.value.message
    assert "EXCLDATE" in refused.value.message
    assert "ADDRESS" in refused.value.extra["missing_columns"]
    assert not ExclusionList.objects.exists()


def test_bad_rows_are_reported_by_line_number_and_the_rest_load(tmp_path):
    path = tmp_path / "UPDATED.csv"
    path.write_text(
        "\n".join(
            [
                LEIE_HEADER,
                ",,,GOOD HOME CARE,,,,0000000000,,1 A ST,CHICAGO,IL,60601,1128a1,20200101,00000000,00000000,",
                ",,,BAD DATE CARE,,,,0000000000,,1 A ST,CHICAGO,IL,60601,1128a1,20201399,00000000,00000000,",
                ",,,SHORT ROW CARE,,,,0000000000",
                ",,,,,,,0000000000,,1 A ST,CHICAGO,IL,60601,1128a1,20200101,00000000,00000000,",
                ",,,BAD NPI CARE,,,,12345,,1 A ST,CHICAGO,IL,60601,1128a1,20200101,00000000,00000000,",
                "",
                'DOE,JANE,,,,,,0000000000,,"9 B ST, APT 2",CHICAGO,IL,60601,1128a1,20200101,00000000,00000000,',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    summary = exclusion_list_import(actor=ACTOR, source="leie", path=path, version="2026-11")
    assert summary.rows_loaded == 2
    assert summary.exclusion_list.row_count == 2
    assert [(line.line, line.reason) for line in summary.rejected] == [
        (3, "EXCLDATE '20201399' is not a date (YYYYMMDD)"),
        (4, "has 8 fields, the header has 18"),
        (5, "no name: BUSNAME, FIRSTNAME and LASTNAME are all blank"),
        (6, "NPI '12345' is not a 10-digit NPI"),
    ]
    assert sorted(summary.exclusion_list.entries.values_list("name", "row_number")) == [
        ("GOOD HOME CARE", 2),
        ("JANE DOE", 8),
    ]
    assert entry("leie", "JANE DOE").address == "9 B ST, APT 2"


def test_a_windows_1252_file_and_a_byte_order_mark_are_read(tmp_path):
    latin = tmp_path / "sam-latin.csv"
    header = SAM.read_text(encoding="utf-8").splitlines()[0]
    row = '"Firm","CAFÉ SANTÉ MÉDICAL","","","","","","1 Rue","","","","Montréal","QC","CAN","H2X","Y","","","Reciprocal","HHS","Z1","Prohibition/Restriction","","01/02/2020","Indefinite","Active","","S1","","","01/03/2020"'  # noqa: E501
    latin.write_bytes(f"{header}\r\n{row}\r\n".encode("cp1252"))
    summary = exclusion_list_import(actor=ACTOR, source="sam", path=latin, version="v1")
    assert summary.encoding == "cp1252"
    assert entry("sam", "CAFÉ SANTÉ MÉDICAL").city == "Montréal"

    bom = tmp_path / "UPDATED.csv"
    bom.write_bytes(LEIE.read_bytes().replace(b"LASTNAME", b"\xef\xbb\xbfLASTNAME", 1))
    assert exclusion_list_import(actor=ACTOR, source="leie", path=bom, version="v1").rows_loaded == 10


@pytest.mark.parametrize(
    ("file_name", "version"),
    [
        ("UPDATED.csv", "2026-11-25"),
        ("2026-11 UPDATED.csv", "2026-11"),
        ("leie_20261110.csv", "2026-11-10"),
        ("SAM_Exclusions_Public_Extract_V2_25321.CSV", "2025-11-17"),
        ("2610EXCL.csv", "2026-10"),
    ],
)
def test_the_version_comes_from_the_file_name_or_today(file_name, version):
    assert version_from_file_name(file_name, date(2026, 11, 25)) == version


def test_the_same_source_and_version_is_not_imported_twice(lists):
    with pytest.raises(InvalidInputError) as refused:
        exclusion_list_import(actor=ACTOR, source="leie", path=LEIE, version="2026-10")
    assert refused.value.code == "exclusion_version_exists"
    assert ExclusionList.objects.filter(source="leie").count() == 1


def test_a_new_version_becomes_current_and_the_old_one_does_not(lists):
    summary = exclusion_list_import(actor="command:import_exclusions", source="leie", path=LEIE, version="2026-11")
    old = ExclusionList.objects.get(pk=lists["leie"].pk)
    assert summary.replaced == old
    assert not old.is_current
    assert summary.exclusion_list.is_current
    assert list(ExclusionList.objects.filter(is_current=True).values_list("source", "version")) == [
        ("leie", "2026-11"),
        ("sam", "2026-10-20"),
    ]
    history = old.history.first()
    assert (history.history_actor_label, history.history_change_reason) == (
        "command:import_exclusions",
        "replaced by OIG LEIE 2026-11",
    )


def test_a_file_with_no_loadable_row_changes_nothing(lists, tmp_path):
    path = tmp_path / "UPDATED.csv"
    path.write_text(LEIE_HEADER + "\n,,,,,,,,,,,,,,,,,\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as refused:
        exclusion_list_import(actor=ACTOR, source="leie", path=path, version="2026-11")
    assert refused.value.code == "exclusion_file_empty"
    assert ExclusionList.objects.get(source="leie", is_current=True) == lists["leie"]


# --- Matching ---------------------------------------------------------------------------------------------------
def test_an_npi_on_the_list_is_a_hit_in_any_state(lists):
    vendor = make_vendor("Johnny Smith Consulting", npi="1234567893", sites=[site("CA")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    assert (hit.entry.name, hit.match_kind, hit.score, hit.status) == ("JOHN Q SMITH", "npi", Decimal("1.000"), "open")
    assert hit.exclusion_list == lists["leie"]


def test_a_sam_unique_entity_id_on_the_list_is_a_hit_whatever_the_name(lists):
    vendor = make_vendor("Harbor Instruments", uei="jk7lmn8pqrs3", sites=[site("WA")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    assert (hit.entry.name, hit.match_kind, hit.exclusion_list) == (
        "GLOBEX SURGICAL SUPPLY LLC",
        "identifier",
        lists["sam"],
    )
    assert "JK7LMN8PQRS3" in hit.detail


def test_the_name_within_the_state_is_a_hit_whatever_the_suffix_and_punctuation(lists):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    assert (hit.entry.name, hit.match_kind, hit.score) == ("ACME MEDICAL SUPPLY, INC.", "name_state", Decimal("1.000"))
    assert "Acme Medical Supply Inc" in hit.detail
    assert "IL" in hit.detail
    result = ScreeningResult.objects.get(vendor=vendor)
    assert (result.trigger, result.hits) == ("create", 1)
    assert result.list_versions == {"leie": "2026-10", "sam": "2026-10-20"}


def test_a_dba_name_and_a_state_written_out_hit_too(lists):
    dba = make_vendor("Helios Holdings", dba_name="Sunrise Pharmacy", sites=[site("ca")])
    assert [hit.entry.name for hit in vendor_screen(actor=ACTOR, vendor=dba, trigger="create")] == ["SUNRISE PHARMACY"]
    written_out = make_vendor("Hooli Health Systems, Inc.", sites=[site("Illinois")])
    [hit] = vendor_screen(actor=ACTOR, vendor=written_out, trigger="create")
    assert (hit.entry.name, hit.exclusion_list) == ("HOOLI HEALTH SYSTEMS INC", lists["sam"])


def test_a_near_spelling_is_a_hit_with_its_score(lists):
    vendor = make_vendor("Northwind Durable Medical Equipmnt", sites=[site("OH")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    assert hit.entry.name == "NORTHWIND DURABLE MEDICAL EQUIPMENT"
    assert Decimal("0.920") <= hit.score < Decimal("1.000")


def test_the_same_name_in_another_state_or_a_loose_likeness_is_no_hit(lists):
    elsewhere = make_vendor("Acme Medical Supply Inc", sites=[site("WI")])
    assert vendor_screen(actor=ACTOR, vendor=elsewhere, trigger="create") == []
    loose = make_vendor("Acme Surgical Supply Inc", sites=[site("IL")])
    assert vendor_screen(actor=ACTOR, vendor=loose, trigger="create") == []
    assert ScreeningResult.objects.get(vendor=elsewhere).hits == 0


def test_only_active_sites_place_a_vendor(lists):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    vendor_sites_replace(actor=ACTOR, vendor=vendor, sites=[site("WI")], reason="moved")
    assert vendor_screen(actor=ACTOR, vendor=vendor, trigger="change") == []


def test_reinstated_and_terminated_exclusions_are_no_hit_but_a_future_end_is(lists):
    reinstated = make_vendor("Riverbend Clinic", sites=[site("IL")])
    terminated = make_vendor("Initech Medical Billing", sites=[site("TX")])
    ending_later = make_vendor("Umbrella Diagnostics", sites=[site("GA")])
    assert vendor_screen(actor=ACTOR, vendor=reinstated, trigger="create") == []
    assert vendor_screen(actor=ACTOR, vendor=terminated, trigger="create") == []
    assert len(vendor_screen(actor=ACTOR, vendor=ending_later, trigger="create")) == 1


def test_a_hit_is_not_raised_twice(lists):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    assert len(vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")) == 1
    assert vendor_screen(actor=ACTOR, vendor=vendor, trigger="manual") == []
    assert ScreeningHit.objects.filter(vendor=vendor).count() == 1
    assert [result.hits for result in vendor_screening_results(vendor)] == [1, 1]


def test_an_open_hit_is_not_raised_again_on_the_next_list_version(lists):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    exclusion_list_import(actor=ACTOR, source="leie", path=LEIE, version="2026-11")
    assert vendor_screen(actor=ACTOR, vendor=vendor, trigger="monthly") == []
    assert vendor_screening_results(vendor).first().hits == 1


def test_a_cleared_hit_is_not_raised_again_even_on_a_new_list_version(lists, steward):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    screening_hit_clear(actor=steward, hit=hit, reason="Different company: our Acme was founded 2021, EIN differs")
    assert vendor_screen(actor=ACTOR, vendor=vendor, trigger="manual") == []
    exclusion_list_import(actor=ACTOR, source="leie", path=LEIE, version="2026-11")
    assert vendors_rescreen(actor=ACTOR).hits_raised == 0
    assert ScreeningHit.objects.filter(vendor=vendor).count() == 1
    latest = vendor_screening_results(vendor).first()
    assert (latest.hits, latest.list_versions["leie"]) == (0, "2026-11")


def test_results_keep_the_list_versions_they_were_judged_against(lists):
    vendor = make_vendor("Clean Supplies Ltd", sites=[site("IL")])
    vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    exclusion_list_import(actor=ACTOR, source="sam", path=SAM, version="2026-11-20")
    vendor_screen(actor=ACTOR, vendor=vendor, trigger="manual")
    assert [result.list_versions for result in vendor_screening_results(vendor)] == [
        {"leie": "2026-10", "sam": "2026-11-20"},
        {"leie": "2026-10", "sam": "2026-10-20"},
    ]


def test_screening_with_no_list_imported_says_so():
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    assert vendor_screen(actor=ACTOR, vendor=vendor, trigger="create") == []
    assert ScreeningResult.objects.get(vendor=vendor).list_versions == {}
    assert vendors_rescreen(actor=ACTOR).vendors_screened == 0


def test_an_unknown_trigger_is_refused(lists):
    vendor = make_vendor()
    with pytest.raises(InvalidInputError):
        vendor_screen(actor=ACTOR, vendor=vendor, trigger="whenever")


# --- Decisions --------------------------------------------------------------------------------------------------
def test_confirming_blocks_the_vendor_with_the_reason_and_the_steward(lists, steward):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    screening_hit_confirm(actor=steward, hit=hit, reason="Same EIN as the OIG record")
    hit.refresh_from_db()
    vendor.refresh_from_db()
    assert (hit.status, hit.decided_by, hit.reason) == ("confirmed", steward, "Same EIN as the OIG record")
    assert hit.decided_at is not None
    assert vendor.status == VendorStatus.BLOCKED
    history = vendor.history.first()
    assert history.status == VendorStatus.BLOCKED
    assert history.history_user == steward
    assert "Same EIN as the OIG record" in history.history_change_reason
    assert vendor_has_confirmed_exclusion(vendor.pk)
    with pytest.raises(ApplicationError):
        screening_hit_clear(actor=steward, hit=hit, reason="changed my mind")


def test_clearing_leaves_the_vendor_as_it_was(lists):
    admin = make_user_with_role("pat", Role.PROCUREMENT_ADMIN, make_facility("SOUTH"))
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    history_rows = vendor.history.count()
    screening_hit_clear(actor=admin, hit=hit, reason="Different address and owner")
    hit.refresh_from_db()
    vendor.refresh_from_db()
    assert (hit.status, hit.decided_by, hit.reason) == ("cleared", admin, "Different address and owner")
    assert vendor.status == VendorStatus.ACTIVE
    assert vendor.history.count() == history_rows
    assert not vendor_has_confirmed_exclusion(vendor.pk)


def test_only_a_steward_or_procurement_admin_decides_and_always_with_a_reason(lists, steward):
    clerk = make_user_with_role("casey", Role.AP_CLERK, make_facility("EAST"))
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    [hit] = vendor_screen(actor=ACTOR, vendor=vendor, trigger="create")
    for outsider in (clerk, "command:screen_vendors"):
        with pytest.raises(NotAllowedError):
            screening_hit_confirm(actor=outsider, hit=hit, reason="looks right")
        with pytest.raises(NotAllowedError):
            screening_hit_clear(actor=outsider, hit=hit, reason="looks wrong")
    with pytest.raises(InvalidInputError) as refused:
        screening_hit_confirm(actor=steward, hit=hit, reason="   ")
    assert refused.value.code == "reason_required"
    hit.refresh_from_db()
    vendor.refresh_from_db()
    assert (hit.status, vendor.status) == ("open", VendorStatus.ACTIVE)


def test_hits_are_listed_open_first(lists, steward):
    cleared = make_vendor("Sunrise Pharmacy", sites=[site("CA")])
    opened = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    [to_clear] = vendor_screen(actor=ACTOR, vendor=cleared, trigger="create")
    vendor_screen(actor=ACTOR, vendor=opened, trigger="create")
    screening_hit_clear(actor=steward, hit=to_clear, reason="not them")
    assert [hit.status for hit in screening_hits()] == [HitStatus.OPEN, HitStatus.CLEARED]
    assert [hit.vendor for hit in screening_hits(status=HitStatus.OPEN)] == [opened]


# --- The whole master, the monthly task, the commands ---------------------------------------------------------
def test_the_rescreen_screens_every_vendor_once_against_the_current_lists(lists):
    hit_by_name = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    hit_by_npi = make_vendor("Globe Surgical", npi="1497758544", sites=[site("WA")])
    clean = make_vendor("Clean Supplies Ltd", sites=[site("IL")])
    summary = vendors_rescreen(actor=ACTOR, trigger="manual")
    assert (summary.vendors_screened, summary.vendors_with_hits, summary.hits_raised) == (3, 2, 2)
    assert summary.list_versions == {"leie": "2026-10", "sam": "2026-10-20"}
    assert ScreeningHit.objects.get(vendor=hit_by_npi).match_kind == "npi"
    assert ScreeningHit.objects.get(vendor=hit_by_name).entry.name == "ACME MEDICAL SUPPLY, INC."
    assert dict(ScreeningResult.objects.values_list("vendor_id", "hits")) == {
        hit_by_name.pk: 1,
        hit_by_npi.pk: 1,
        clean.pk: 0,
    }
    again = vendors_rescreen(actor=ACTOR, trigger="manual")
    assert (again.vendors_with_hits, again.hits_raised) == (2, 0)


def test_the_monthly_task_rescreens_as_the_task(lists):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    rescreen_monthly.delay()  # eager in tests
    hit = ScreeningHit.objects.get(vendor=vendor)
    assert hit.history.get().history_actor_label == "task:vendors.rescreen_monthly"
    assert ScreeningResult.objects.get(vendor=vendor).trigger == "monthly"
    beat = settings.CELERY_BEAT_SCHEDULE["vendors.rescreen"]
    assert beat["task"] == "vendors.rescreen_monthly"


def test_import_exclusions_prints_what_it_loaded_and_rejected(tmp_path):
    out = StringIO()
    call_command("import_exclusions", "--source", "leie", str(LEIE), "--version", "2026-10", stdout=out)
    assert "10 rows loaded, 0 line(s) rejected" in out.getvalue()
    broken = tmp_path / "2026-11 UPDATED.csv"
    broken.write_text(
        LEIE.read_text(encoding="utf-8") + ",,,LATE CARE,,,,0000000000,,,,IL,,1128a1,2020-01-01,,,\n", encoding="utf-8"
    )
    out = StringIO()
    call_command("import_exclusions", "--source", "leie", str(broken), stdout=out)
    printed = out.getvalue()
    assert "Imported OIG LEIE 2026-11" in printed
    assert "10 rows loaded, 1 line(s) rejected" in printed
    assert "line 12: EXCLDATE '2020-01-01' is not a date (YYYYMMDD)" in printed
    assert "OIG LEIE 2026-10 is no longer current." in printed


def test_import_exclusions_fails_on_a_wrong_file():
    with pytest.raises(CommandError, match="lacks the column"):
        call_command("import_exclusions", "--source", "sam", str(LEIE), stdout=StringIO())
    assert not ExclusionList.objects.exists()


def test_screen_vendors_prints_counts(lists):
    vendor = make_vendor("Acme Medical Supply Inc", sites=[site("IL")])
    make_vendor("Clean Supplies Ltd", sites=[site("IL")])
    out = StringIO()
    call_command("screen_vendors", stdout=out)
    assert "Screened 2 vendor(s) against leie 2026-10, sam 2026-10-20" in out.getvalue()
    assert "1 new hit(s), 1 vendor(s) with standing hits" in out.getvalue()
    out = StringIO()
    call_command("screen_vendors", "--vendor", vendor.number, stdout=out)
    assert f"Screened 1 vendor ({vendor.number})" in out.getvalue()
    assert "0 new hit(s), 1 standing hit(s)" in out.getvalue()
    with pytest.raises(CommandError, match="No vendor V-999999"):
        call_command("screen_vendors", "--vendor", "V-999999")
