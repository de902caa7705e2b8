"""`import_vendors`: bad rows reported by line while the rest load, idempotent re-runs through the cross-reference,
governed values never overwritten by a source, bank numbers encrypted, every write attributed to the command."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from p2p_portal.errors import ApplicationError
from tests.helpers import manage
from tests.vendors.factories import make_vendor
from vendors import crypto
from vendors.models import (
    BankAccount,
    BankAccountStatus,
    SiteKind,
    SourceReference,
    TaxIdKind,
    Vendor,
    VendorContact,
    VendorSite,
    VendorStatus,
)
from vendors.services.imports import IMPORT_COLUMNS, source_reference_record, vendors_import_csv

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "vendors_sample.csv"
ACTOR = "command:import_vendors"


def run_import(path: Path = SAMPLE, system: str = "ERP") -> str:
    out = StringIO()
    call_command("import_vendors", str(path), "--source-system", system, stdout=out)
    return out.getvalue()


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as source:
        return list(csv.DictReader(source))


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] | list[str] = IMPORT_COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def vendor_of(source_id: str, system: str = "ERP") -> Vendor:
    return SourceReference.objects.get(system=system, external_id=source_id).vendor


def test_bad_rows_are_reported_by_line_with_the_reason_and_the_rest_load() -> None:
    output = run_import()

    lines = output.splitlines()
    assert any(line.startswith("line 6: tax_id: Not a valid US EIN") for line in lines), output
    assert any(line.startswith("line 9: bank_routing: Not a valid ABA routing number") for line in lines), output
    assert lines[-1] == (
        "12 row(s) from ERP: 10 created, 0 unchanged, 0 differ from the golden record (not applied), 2 rejected."
    )
    assert Vendor.objects.count() == 10
    assert not Vendor.objects.filter(legal_name__in=["Piedmont Pharmacy Wholesale Co", "Allegheny Dietary Foods Inc"])
    assert set(Vendor.objects.values_list("status", flat=True)) == {VendorStatus.ACTIVE}
    assert not BankAccount.objects.filter(routing_number="011000016").exists(), "a rejected row loads nothing"


def test_a_row_becomes_an_active_vendor_with_remit_to_site_receivables_contact_and_cross_reference() -> None:
    run_import()

    linen = vendor_of("ERP-10002")
    assert (linen.legal_name, linen.dba_name, linen.tax_id, linen.tax_id_kind) == (
        "Great Plains Linen Services LLC",
        "GP Linen",
        "462810375",
        TaxIdKind.EIN,
    )
    site = linen.sites.get()
    assert (site.kind, site.address_line2, site.city, site.state, site.postal_code, site.country, site.phone) == (
        SiteKind.REMIT_TO,
        "Dock 4, Building B",
        "Omaha",
        "NE",
        "68127",
        "US",
        "402-555-0177",
    )
    contact = linen.contacts.get()
    assert (contact.name, contact.role, contact.email, contact.phone) == (
        "Accounts receivable",
        "Accounts receivable",
        "billing@gplinen.example",
        "402-555-0177",
    )
    interpreter = vendor_of("ERP-10006")
    assert (interpreter.tax_id, interpreter.tax_id_kind) == ("123456789", TaxIdKind.SSN)
    assert interpreter.sites.get().country == "US", "a blank country is the US"
    assert not interpreter.bank_accounts.exists()
    assert not vendor_of("ERP-10009").contacts.exists(), "no phone and no email: no receivables contact"
    reference = SourceReference.objects.get(system="ERP", external_id="ERP-10002")
    assert reference.last_payload["legal_name"] == "Great Plains Linen Services LLC"
    assert reference.last_seen_at is not None


def test_the_bank_account_is_stored_encrypted_and_never_in_clear() -> None:
    run_import()

    account = vendor_of("ERP-10001").bank_accounts.get()
    assert account.status == BankAccountStatus.ACTIVE
    assert account.activated_at is not None
    assert vendor_of("ERP-10001").bank_changed_at is None, "an account already in use starts no cooling-off"
    assert account.routing_number == "011000015"
    assert account.account_last4 == "8731"
    assert account.account_number_encrypted != "4410098731"
    assert "4410098731" not in account.account_number_encrypted
    assert crypto.decrypt(account.account_number_encrypted) == "4410098731"
    payload = SourceReference.objects.get(system="ERP", external_id="ERP-10001").last_payload
    assert payload["bank_account"] == "******8731", "the cross-reference keeps no clear copy of the number"


def test_re_running_creates_nothing_and_reports_unchanged() -> None:
    run_import()
    first_seen = SourceReference.objects.get(system="ERP", external_id="ERP-10001").last_seen_at
    vendor_history = Vendor.history.count()

    output = run_import()

    assert output.splitlines()[-1] == (
        "12 row(s) from ERP: 0 created, 10 unchanged, 0 differ from the golden record (not applied), 2 rejected."
    )
    assert "differs" not in output
    assert Vendor.objects.count() == 10
    assert VendorSite.objects.count() == 10
    assert BankAccount.objects.count() == 8
    assert Vendor.history.count() == vendor_history
    assert SourceReference.objects.get(system="ERP", external_id="ERP-10001").last_seen_at > first_seen


def test_a_changed_row_is_reported_as_differing_and_leaves_the_golden_record_untouched(tmp_path: Path) -> None:
    run_import()
    surgical = vendor_of("ERP-10001")
    rows = sample_rows()
    rows[0].update(legal_name="Lakeshore Surgical Supply Holdings Inc", tax_id="98-7654321")
    rows[1].update(bank_account="999888777")
    rows[2].update(address_line1="50 Commerce Dr")
    rows[3].update(phone="503-555-0199")  # not governed: neither applied nor reported

    output = run_import(write_csv(tmp_path / "changed.csv", rows))

    assert (
        f"line 2: differs from {surgical.number} in legal_name, tax_id; not applied (propose a change request)."
        in output.splitlines()
    )
    assert f"line 3: differs from {vendor_of('ERP-10002').number} in bank account;" in output
    assert f"line 4: differs from {vendor_of('ERP-10003').number} in address;" in output
    assert "line 5:" not in output
    assert output.splitlines()[-1] == (
        "12 row(s) from ERP: 0 created, 7 unchanged, 3 differ from the golden record (not applied), 2 rejected."
    )
    surgical.refresh_from_db()
    assert (surgical.legal_name, surgical.tax_id) == ("Lakeshore Surgical Supply Inc", "123456789")
    assert crypto.decrypt(vendor_of("ERP-10002").bank_accounts.get().account_number_encrypted) == "000123456789"
    assert vendor_of("ERP-10003").sites.get().address_line1 == "48 Commerce Dr"
    assert vendor_of("ERP-10004").contacts.get().phone == "503-555-0190"
    reference = SourceReference.objects.get(system="ERP", external_id="ERP-10001")
    assert reference.last_payload["legal_name"] == "Lakeshore Surgical Supply Holdings Inc", "the source's last word"
    assert Vendor.objects.count() == 10


def test_the_cross_reference_is_unique_per_system() -> None:
    run_import(system="ERP")
    run_import(system="GHX")

    assert Vendor.objects.count() == 20
    erp, ghx = vendor_of("ERP-10001", "ERP"), vendor_of("ERP-10001", "GHX")
    assert erp != ghx
    with pytest.raises(ApplicationError) as refused:
        source_reference_record(actor=ACTOR, vendor=ghx, system="ERP", external_id="ERP-10001", payload={})
    assert refused.value.code == "source_reference_taken"
    assert vendor_of("ERP-10001", "ERP") == erp


def test_source_reference_record_creates_then_refreshes() -> None:
    vendor = make_vendor()

    created = source_reference_record(actor=ACTOR, vendor=vendor, system="GHX", external_id="G-1", payload={"a": "1"})
    refreshed = source_reference_record(actor=ACTOR, vendor=vendor, system="GHX", external_id="G-1", payload={"a": "2"})

    assert refreshed.pk == created.pk
    assert refreshed.last_payload == {"a": "2"}
    assert refreshed.last_seen_at >= created.last_seen_at
    assert created.history.count() == 1, "payload and last-seen are not history"


def test_a_source_id_twice_in_one_file_is_an_error_for_the_second_line(tmp_path: Path) -> None:
    rows = sample_rows()[:3]
    rows[1]["address_line2"] = "Dock 4\nBuilding B"  # a quoted field over two lines: line numbers stay physical
    duplicate = {**rows[0], "legal_name": "Lakeshore Surgical (copy)"}

    output = run_import(write_csv(tmp_path / "twice.csv", [*rows, duplicate]))

    assert "line 6: source_id: ERP-10001 already appears on line 2." in output.splitlines()
    assert Vendor.objects.count() == 3
    assert vendor_of("ERP-10001").legal_name == "Lakeshore Surgical Supply Inc"


def test_every_bad_field_of_a_row_is_named(tmp_path: Path) -> None:
    row = {
        **sample_rows()[0],
        "legal_name": "",
        "email": "not-an-address",
        "country": "USA",
        "bank_routing": "",
        "city": "",
    }

    output = run_import(write_csv(tmp_path / "bad.csv", [row]))

    assert output.splitlines()[:-1] == [
        "line 2: legal_name: required.",
        "line 2: country: a two-letter country code, not 'USA'.",
        "line 2: city: required with an address.",
        "line 2: email: Enter a valid email address.",
        "line 2: bank_routing: Give an ABA routing number (US) or an IBAN.",
    ]
    assert not Vendor.objects.exists()


def test_extra_columns_are_ignored(tmp_path: Path) -> None:
    rows = [{**row, "vendor_class": "MED"} for row in sample_rows()[:2]]

    output = run_import(write_csv(tmp_path / "extra.csv", rows, ["vendor_class", *IMPORT_COLUMNS]))

    assert "2 created" in output
    assert SourceReference.objects.get(external_id="ERP-10001").last_payload["vendor_class"] == "MED"


def test_a_wrong_header_loads_nothing_and_names_the_missing_columns(tmp_path: Path) -> None:
    columns = [column for column in IMPORT_COLUMNS if column not in ("tax_id", "bank_account")]
    path = write_csv(tmp_path / "short.csv", sample_rows(), columns)

    with pytest.raises(CommandError, match="lacks column\\(s\\): tax_id, bank_account") as error:
        run_import(path)

    assert error.value.returncode == 1
    assert not Vendor.objects.exists()


def test_the_command_exits_1_on_a_wrong_header(tmp_path: Path) -> None:
    environment = {"P2P_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    path = write_csv(tmp_path / "short.csv", sample_rows(), [c for c in IMPORT_COLUMNS if c != "legal_name"])

    finished = manage("import_vendors", str(path), "--source-system", "ERP", environment=environment)

    assert finished.returncode == 1
    assert "lacks column(s): legal_name" in finished.stderr


def test_a_file_that_is_not_utf8_is_refused_before_loading(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    text = SAMPLE.read_text(encoding="utf-8-sig").replace("Maria Delgado", "María Delgado")
    path.write_bytes(text.encode("latin-1"))

    with pytest.raises(CommandError, match="not UTF-8 text \\(line 7"):
        run_import(path)

    assert not Vendor.objects.exists()


def test_history_rows_are_attributed_to_the_command_with_the_line(tmp_path: Path) -> None:
    run_import()

    vendor = vendor_of("ERP-10001")
    records = [
        vendor.history.get(),
        VendorSite.history.get(vendor_id=vendor.pk),
        VendorContact.history.get(vendor_id=vendor.pk),
        BankAccount.history.get(vendor_id=vendor.pk),
        SourceReference.history.get(vendor_id=vendor.pk),
    ]
    for record in records:
        assert (record.history_actor_label, record.history_change_reason, record.history_user_id) == (
            ACTOR,
            "imported from ERP line 2",
            None,
        )
    assert vendor_of("ERP-10012").history.get().history_change_reason == "imported from ERP line 13"


def test_new_vendors_get_match_keys_and_a_screening_once_loaded() -> None:
    from vendors.models import ScreeningResult, VendorMatchKey
    from vendors.screening.services import exclusion_list_import

    leie = exclusion_list_import(
        actor=ACTOR, source="leie", path=Path(__file__).parent / "data" / "leie_sample.csv", version="2026-10"
    )
    report = vendors_import_csv(actor=ACTOR, path=SAMPLE, system="ERP")
    again = vendors_import_csv(actor=ACTOR, path=SAMPLE, system="ERP")

    created = sorted(Vendor.objects.values_list("pk", flat=True))
    assert sorted(set(VendorMatchKey.objects.values_list("vendor_id", flat=True))) == created
    results = ScreeningResult.objects.all()
    assert sorted(results.values_list("vendor_id", flat=True)) == created, "screened once each, not again on a re-run"
    assert {(result.trigger, result.list_versions["leie"]) for result in results} == {
        ("create", leie.exclusion_list.version)
    }
    assert (report.created, again.created, again.unchanged) == (10, 0, 10)


def test_a_source_id_another_process_loads_meanwhile_is_rejected_and_the_rest_of_the_chunk_loads(monkeypatch) -> None:
    import vendors.services.imports as imports

    other = make_vendor("Northstar Biomedical Repair Corp")
    real_insert = imports._new_vendors_insert

    def insert_after_a_concurrent_import(*, actor, new_vendors):
        if not SourceReference.objects.filter(system="ERP", external_id="ERP-10003").exists():
            # Committed by another import between this chunk's look-up and its insert.
            source_reference_record(
                actor="another import", vendor=other, system="ERP", external_id="ERP-10003", payload={}
            )
        real_insert(actor=actor, new_vendors=new_vendors)

    monkeypatch.setattr(imports, "_new_vendors_insert", insert_after_a_concurrent_import)

    report = vendors_import_csv(actor=ACTOR, path=SAMPLE, system="ERP")

    assert (report.created, report.rejected) == (9, 3)
    assert [problem.line for problem in report.problems] == [4, 6, 9]
    assert report.problems[0].message.startswith("source_id: ERP-10003 could not be loaded")
    assert vendor_of("ERP-10003") == other
    assert Vendor.objects.count() == 10
    assert vendor_of("ERP-10001").history.get().history_change_reason == "imported from ERP line 2"
