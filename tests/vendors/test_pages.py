"""The vendors pages by persona: who may open what (404 for people without a vendors role), the search, the vendor
page with its masking, the audited reveal of a bank account number, and the duplicate and screening queues."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from p2p_portal.audit.context import acting_as
from p2p_portal.roles import Role
from tests.factories import reauthenticated as fresh
from tests.factories import signed_in
from tests.vendors.factories import give_bank_account, make_vendor
from vendors.dedupe.store import match_keys_rebuild, vendor_duplicates_scan
from vendors.models import (
    BankAccount,
    BankAccountReveal,
    ChangeRequest,
    DuplicateCandidate,
    DuplicateStatus,
    HitStatus,
    ScreeningHit,
    Vendor,
    VendorStatus,
)
from vendors.screening.services import exclusion_list_import, vendor_screen
from vendors.services.changes import VendorProposal, vendor_change_request_submit
from vendors.services.imports import source_reference_record
from vendors.services.records import ContactData, SiteData

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
TAX_ID = "123456789"  # EIN 12-3456789
ACCOUNT = "444455556666"
REAUTH = "/account/reauthenticate/"


@pytest.fixture
def vendor() -> Vendor:
    """A supplier with a tax id, an address, a contact, a bank account and an ERP cross-reference."""
    vendor = make_vendor(
        "Acme Medical Supply Inc",
        dba_name="Acme Med",
        tax_id=TAX_ID,
        tax_id_kind="ein",
        sites=[
            SiteData(
                address_line1="100 Main St", city="Springfield", state="IL", postal_code="62701", phone="2175550100"
            )
        ],
        contacts=[ContactData(name="Pat Lee", email="ar@acme.example", phone="(217) 555-0199", role="AR")],
    )
    give_bank_account(vendor, routing_number="011000015", account_number=ACCOUNT)
    source_reference_record(actor="tests", vendor=vendor, system="ERP", external_id="V100", payload={})
    match_keys_rebuild([vendor.pk])
    return vendor


@pytest.fixture
def change(people, north, vendor) -> ChangeRequest:
    """An open change of the DBA name at NORTH, proposed by the steward."""
    return vendor_change_request_submit(
        actor=people[Role.VENDOR_STEWARD],
        vendor=vendor,
        facility=north,
        proposal=VendorProposal(fields={"dba_name": "Acme Medical"}),
        reason="The vendor's letter of 2026-11-02",
    )


# --- Who may open what ---------------------------------------------------------------------------------------------
VIEWERS = {"vendor_steward", "procurement_admin", "ap_clerk", "ap_manager", "auditor", "outsider"}
GOVERNANCE = {"vendor_steward", "procurement_admin", "auditor"}
PERSONAS = ["vendor_steward", "procurement_admin", "ap_clerk", "ap_manager", "auditor", "integration_admin"]
PERSONAS += ["outsider", "nobody"]


def _expected(page: str, persona: str) -> int:
    """The status each persona gets on each page (before re-authentication, which the pages ask for later)."""
    if persona not in VIEWERS:
        return 404  # the vendors section does not exist for people without a vendors role
    if page in {"search", "vendor"}:
        return 200
    if page in {"new", "change", "bank"}:
        return (302 if page == "bank" else 200) if persona == "vendor_steward" else 403
    if page == "reveal":
        return 302 if persona == "procurement_admin" else 403
    if page == "review":
        return 200 if persona in GOVERNANCE else 404  # other facilities' (and non-governance) requests do not exist
    return 200 if persona in GOVERNANCE else 403  # changes, duplicates, screening


PAGES = ["search", "vendor", "new", "change", "bank", "reveal", "changes", "review", "duplicates", "screening"]


def _path(page: str, vendor: Vendor, change: ChangeRequest) -> str:
    """The URL of a page of the vendors section."""
    account = vendor.bank_accounts.get()
    return {
        "search": "/vendors/",
        "vendor": f"/vendors/{vendor.number}/",
        "new": "/vendors/new/",
        "change": f"/vendors/{vendor.number}/change/",
        "bank": f"/vendors/{vendor.number}/bank/",
        "reveal": f"/vendors/{vendor.number}/bank-accounts/{account.pk}/reveal/",
        "changes": "/vendors/changes/",
        "review": f"/vendors/changes/{change.pk}/",
        "duplicates": "/vendors/duplicates/",
        "screening": "/vendors/screening/",
    }[page]


# The parameter is not called `page`: that name is Playwright's page fixture (it would make these browser tests).
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("page_name", PAGES)
def test_who_may_open_each_page(people, vendor, change, page_name, persona) -> None:
    path = _path(page_name, vendor, change)
    response = signed_in(people[persona]).get(path)
    assert response.status_code == _expected(page_name, persona), (page_name, persona)
    if response.status_code == 302:
        assert response["Location"].startswith(REAUTH)


@pytest.mark.parametrize("page_name", PAGES)
def test_an_anonymous_visitor_is_sent_to_log_in(client, vendor, change, page_name) -> None:
    path = _path(page_name, vendor, change)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize(
    "path",
    [
        "/vendors/new/",
        "/vendors/changes/{change}/decide/",
        "/vendors/changes/{change}/callback/",
        "/vendors/changes/{change}/withdraw/",
        "/vendors/duplicates/1/merge/",
        "/vendors/screening/1/confirm/",
    ],
)
def test_people_without_a_vendors_role_get_404_on_every_post(people, change, path) -> None:
    for persona in ("nobody", "integration_admin"):
        response = signed_in(people[persona]).post(path.format(change=change.pk), {"note": "x"})
        assert response.status_code == 404, (path, persona)


def test_the_bank_form_opens_for_a_freshly_reauthenticated_steward(people, vendor) -> None:
    response = fresh(signed_in(people[Role.VENDOR_STEWARD])).get(f"/vendors/{vendor.number}/bank/")
    assert response.status_code == 200
    assert "Change the bank account of" in response.text


def test_an_unknown_vendor_is_404(people) -> None:
    assert signed_in(people[Role.AP_CLERK]).get("/vendors/V-999999/").status_code == 404


# --- Search --------------------------------------------------------------------------------------------------------
def test_search_finds_by_name_number_and_tax_id_and_masks_the_tax_id_for_a_clerk(people, vendor) -> None:
    make_vendor("Zenith Surgical LLC")
    clerk = signed_in(people[Role.AP_CLERK])
    page = clerk.get("/vendors/").text
    assert "Acme Medical Supply Inc" in page
    assert "Zenith Surgical LLC" in page
    assert "12-3456789" not in page
    assert "•••••6789" in page
    assert "Propose a new vendor" not in page  # clerks do not propose
    assert "Change requests" not in page

    by_number = clerk.get("/vendors/", {"q": vendor.number}).text
    assert "Acme Medical Supply Inc" in by_number
    assert "Zenith" not in by_number
    by_tax_id = clerk.get("/vendors/", {"q": "12-3456789"}).text
    assert "Acme Medical Supply Inc" in by_tax_id
    assert "Zenith" not in by_tax_id

    steward = signed_in(people[Role.VENDOR_STEWARD]).get("/vendors/").text
    assert "12-3456789" in steward
    assert "Propose a new vendor" in steward
    assert "Duplicate review" in steward


def test_search_forgives_a_typo_and_filters_by_status(people, vendor) -> None:
    held = make_vendor("Acme Holdings Group", status=VendorStatus.ON_HOLD)
    match_keys_rebuild([held.pk])
    client = signed_in(people[Role.AP_CLERK])
    typo = client.get("/vendors/", {"q": "Acme Medcal Supply"}).text
    assert vendor.number in typo
    on_hold = client.get("/vendors/", {"q": "acme", "status": "on_hold"}).text
    assert held.number in on_hold
    assert vendor.number not in on_hold


def test_htmx_search_returns_only_the_results(people, vendor) -> None:
    response = signed_in(people[Role.AP_CLERK]).get(
        "/vendors/", {"q": vendor.number}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="vendor-results"
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert vendor.number in response.text
    assert "1 vendor" in response.text


def test_search_pages_by_fifty(people) -> None:
    for n in range(51):
        make_vendor(f"Bulk Vendor {n}", sites=[])
    client = signed_in(people[Role.AP_CLERK])
    first = client.get("/vendors/").text
    assert len(re.findall(r'href="/vendors/V-\d+/"', first)) == 50
    assert "page 1 of 2" in first
    second = client.get("/vendors/", {"page": 2}).text
    assert len(re.findall(r'href="/vendors/V-\d+/"', second)) == 1


# --- The vendor page -----------------------------------------------------------------------------------------------
def test_the_vendor_page_shows_the_record_masked_for_a_clerk(people, vendor, change) -> None:
    page = signed_in(people[Role.AP_CLERK]).get(f"/vendors/{vendor.number}/").text
    for text in (
        "Acme Medical Supply Inc",
        "Acme Med",
        "100 Main St, Springfield, IL, 62701",
        "Pat Lee",
        "ERP",
        "V100",
    ):
        assert text in page
    assert "•••••6789" in page
    assert "12-3456789" not in page
    assert "••••6666" in page
    assert ACCOUNT not in page
    assert "Reveal" not in page
    assert "Propose a change" not in page
    assert f"CR-{change.pk}" not in page  # change requests are for vendor governance
    assert "test data" in page  # the vendor's history, for everyone who sees the vendor
    assert TAX_ID not in page  # with the tax id masked there too
    assert f"/audit/vendors.vendor/{vendor.pk}/" not in page  # clerks do not read the audit trail


def test_the_vendor_page_for_a_steward_has_the_actions_and_change_requests(people, vendor, change) -> None:
    page = signed_in(people[Role.VENDOR_STEWARD]).get(f"/vendors/{vendor.number}/").text
    assert "12-3456789" in page
    assert "Propose a change" in page
    assert "Change bank account" in page
    assert f"CR-{change.pk}" in page
    assert "Reveal" not in page  # stewards never see full account numbers


def test_the_vendor_page_for_an_auditor_embeds_the_history(people, vendor) -> None:
    page = signed_in(people[Role.AUDITOR]).get(f"/vendors/{vendor.number}/").text
    assert "test data" in page  # the reason of the creating history row
    assert f"/audit/vendors.vendor/{vendor.pk}/" in page
    manager = signed_in(people[Role.AP_MANAGER]).get(f"/vendors/{vendor.number}/").text
    assert "12-3456789" not in manager  # an AP manager reads the history, tax id masked
    assert "•••••6789" in manager


def test_the_vendor_page_shows_flags_with_the_cooling_off_end(people, vendor) -> None:
    vendor.bank_changed_at = timezone.now()
    vendor.status = VendorStatus.ON_HOLD
    with acting_as("tests", reason="test data"):
        vendor.save()
    page = signed_in(people[Role.AP_CLERK]).get(f"/vendors/{vendor.number}/").text
    assert "vendor_not_active" in page
    assert "bank_unverified" in page
    until = timezone.localtime(vendor.bank_changed_at + timedelta(days=settings.BANK_CHANGE_COOLING_OFF_DAYS))
    assert until.strftime("%Y-%m-%d %H:%M") in page


# --- Revealing a bank account number -------------------------------------------------------------------------------
def test_a_procurement_admin_reveals_a_number_after_reauthentication_and_it_is_recorded(people, vendor) -> None:
    admin = people[Role.PROCUREMENT_ADMIN]
    account = vendor.bank_accounts.get()
    url = f"/vendors/{vendor.number}/bank-accounts/{account.pk}/reveal/"
    client = signed_in(admin)
    assert "Reveal" in client.get(f"/vendors/{vendor.number}/").text

    stale = client.post(url, {"reason": "Vendor asked us to confirm the account"})
    assert stale.status_code == 302
    assert stale["Location"].startswith(REAUTH)
    assert not BankAccountReveal.objects.exists()

    fresh(client)
    form = client.get(url)
    assert form.status_code == 200
    assert ACCOUNT not in form.text
    revealed = client.post(url, {"reason": "Vendor asked us to confirm the account"})
    assert revealed.status_code == 200
    assert ACCOUNT in revealed.text
    assert "no-cache" in revealed["Cache-Control"] or "no-store" in revealed["Cache-Control"]
    reveal = BankAccountReveal.objects.get()
    assert (reveal.user, reveal.bank_account, reveal.reason) == (
        admin,
        account,
        "Vendor asked us to confirm the account",
    )

    again = client.get(f"/vendors/{vendor.number}/").text
    assert ACCOUNT not in again  # shown once, on the response page only


def test_a_reveal_without_a_reason_is_refused_on_the_form(people, vendor) -> None:
    account = vendor.bank_accounts.get()
    client = fresh(signed_in(people[Role.PROCUREMENT_ADMIN]))
    response = client.post(f"/vendors/{vendor.number}/bank-accounts/{account.pk}/reveal/", {"reason": " "})
    assert response.status_code == 422
    assert ACCOUNT not in response.text
    assert 'aria-invalid="true"' in response.text
    assert not BankAccountReveal.objects.exists()


@pytest.mark.parametrize("persona", [Role.VENDOR_STEWARD, Role.AP_CLERK, Role.AUDITOR])
def test_nobody_else_may_reveal_even_when_freshly_reauthenticated(people, vendor, persona) -> None:
    account = vendor.bank_accounts.get()
    client = fresh(signed_in(people[persona]))
    response = client.post(f"/vendors/{vendor.number}/bank-accounts/{account.pk}/reveal/", {"reason": "curious"})
    assert response.status_code == 403
    assert not BankAccountReveal.objects.exists()


def test_an_account_of_another_vendor_cannot_be_revealed_through_this_one(people, vendor) -> None:
    other = make_vendor("Other Supply Co")
    account = give_bank_account(other, account_number="777788889999")
    client = fresh(signed_in(people[Role.PROCUREMENT_ADMIN]))
    response = client.post(f"/vendors/{vendor.number}/bank-accounts/{account.pk}/reveal/", {"reason": "x"})
    assert response.status_code == 404
    assert not BankAccount.objects.get(pk=account.pk).reveals.exists()


# --- Duplicate review ----------------------------------------------------------------------------------------------
@pytest.fixture
def pair(vendor) -> DuplicateCandidate:
    """The vendor and a second record of the same supplier, found by the scan."""
    make_vendor(
        "ACME Medical Supplies, L.L.C.",
        tax_id=TAX_ID,
        tax_id_kind="ein",
        sites=[SiteData(address_line1="100 Main Street", city="Springfield", state="IL", postal_code="62701")],
    )
    vendor_duplicates_scan(actor="tests")
    return DuplicateCandidate.objects.get()


def test_the_duplicate_queue_shows_both_vendors_side_by_side(people, pair) -> None:
    page = signed_in(people[Role.VENDOR_STEWARD]).get("/vendors/duplicates/").text
    assert pair.vendor_a.number in page
    assert pair.vendor_b.number in page
    assert "same tax id" in page
    assert "12-3456789" in page
    assert "2175550199" in page  # phones on file
    assert "ERP:V100" in page
    assert "Merge" in page
    assert "Dismiss" in page
    auditor = signed_in(people[Role.AUDITOR]).get("/vendors/duplicates/").text
    assert pair.vendor_a.number in auditor
    assert f"/vendors/duplicates/{pair.pk}/merge/" not in auditor  # auditors read, never decide


def test_a_steward_merges_a_pair_into_the_chosen_survivor(people, pair) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    survivor, loser = pair.vendor_a, pair.vendor_b
    response = client.post(
        f"/vendors/duplicates/{pair.pk}/merge/", {"survivor": survivor.pk, "note": "Same EIN, same address"}
    )
    assert response.status_code == 302
    pair.refresh_from_db()
    assert (pair.status, pair.survivor) == (DuplicateStatus.MERGED, survivor)
    assert Vendor.objects.get(pk=loser.pk).merged_into == survivor
    merged_tab = client.get("/vendors/duplicates/", {"status": "merged"}).text
    assert "Same EIN, same address" in merged_tab


def test_merge_without_a_survivor_or_a_note_is_refused_on_the_page(people, pair) -> None:
    client = signed_in(people[Role.PROCUREMENT_ADMIN])
    no_survivor = client.post(f"/vendors/duplicates/{pair.pk}/merge/", {"note": "same"})
    assert no_survivor.status_code == 422
    assert "Choose which vendor survives." in no_survivor.text
    no_note = client.post(f"/vendors/duplicates/{pair.pk}/dismiss/", {"note": ""})
    assert no_note.status_code == 422
    assert 'role="alert"' in no_note.text
    assert DuplicateCandidate.objects.get(pk=pair.pk).status == DuplicateStatus.OPEN


def test_a_dismissed_pair_moves_to_its_tab_and_only_deciders_may_decide(people, pair) -> None:
    for persona in (Role.AUDITOR, Role.AP_CLERK):
        refused = signed_in(people[persona]).post(f"/vendors/duplicates/{pair.pk}/dismiss/", {"note": "different"})
        assert refused.status_code == 403
    client = signed_in(people[Role.VENDOR_STEWARD])
    assert client.post(f"/vendors/duplicates/{pair.pk}/dismiss/", {"note": "Different EIN owners"}).status_code == 302
    assert "No pairs wait for review." in client.get("/vendors/duplicates/").text
    assert "Different EIN owners" in client.get("/vendors/duplicates/", {"status": "dismissed"}).text


# --- Screening review ----------------------------------------------------------------------------------------------
@pytest.fixture
def hit(vendor) -> ScreeningHit:
    """The vendor matches an LEIE entry by name within its state."""
    exclusion_list_import(actor="tests", source="leie", path=DATA / "leie_sample.csv", version="2026-10")
    exclusion_list_import(actor="tests", source="sam", path=DATA / "sam_sample.csv", version="2026-10-20")
    [found] = vendor_screen(actor="tests", vendor=vendor, trigger="manual")
    return found


def test_the_screening_queue_compares_the_vendor_with_the_entry(people, hit) -> None:
    page = signed_in(people[Role.VENDOR_STEWARD]).get("/vendors/screening/").text
    for text in ("ACME MEDICAL SUPPLY, INC.", "1200 INDUSTRIAL PKWY", "1128b7", "2019-03-21", "2026-10", "name_state"):
        assert text in page, text
    assert "100 Main St, Springfield" in page
    assert "Confirm and block" in page


def test_confirming_a_hit_blocks_the_vendor_and_clearing_needs_a_reason(people, hit) -> None:
    client = signed_in(people[Role.PROCUREMENT_ADMIN])
    refused = client.post(f"/vendors/screening/{hit.pk}/clear/", {"note": ""})
    assert refused.status_code == 422
    assert ScreeningHit.objects.get(pk=hit.pk).status == HitStatus.OPEN

    assert client.post(f"/vendors/screening/{hit.pk}/confirm/", {"note": "Same address and owner"}).status_code == 302
    assert ScreeningHit.objects.get(pk=hit.pk).status == HitStatus.CONFIRMED
    assert Vendor.objects.get(pk=hit.vendor_id).status == VendorStatus.BLOCKED
    confirmed = client.get("/vendors/screening/", {"status": "confirmed"}).text
    assert "Same address and owner" in confirmed
    vendor_page = client.get(f"/vendors/{hit.vendor.number}/").text
    assert "vendor_excluded" in vendor_page


def test_a_clerk_or_auditor_cannot_decide_a_hit(people, hit) -> None:
    assert signed_in(people[Role.AUDITOR]).post(f"/vendors/screening/{hit.pk}/clear/", {"note": "x"}).status_code == 403
    assert (
        signed_in(people[Role.AP_CLERK]).post(f"/vendors/screening/{hit.pk}/clear/", {"note": "x"}).status_code == 403
    )
    assert ScreeningHit.objects.get(pk=hit.pk).status == HitStatus.OPEN


def test_pages_use_no_inline_script_or_style(people, vendor, change) -> None:
    client = fresh(signed_in(people[Role.VENDOR_STEWARD]))
    for path in (
        "/vendors/",
        f"/vendors/{vendor.number}/",
        "/vendors/new/",
        f"/vendors/{vendor.number}/change/",
        f"/vendors/{vendor.number}/bank/",
        "/vendors/changes/",
        f"/vendors/changes/{change.pk}/",
        "/vendors/duplicates/",
        "/vendors/screening/",
    ):
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert " style=" not in page, path
        assert not re.search(r"<[^>]+\son[a-z]+=", page), path
