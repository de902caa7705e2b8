"""Change requests through the browser pages: a steward checks (diff and duplicates, nothing saved) then submits;
a procurement admin approves or rejects on the review page; bank changes need re-authentication, a call-back to a
number on file, and a fresh password proof to approve."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from approvals.models import ApprovalRequest, RequestStatus
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from tests.factories import reauthenticated as fresh
from tests.factories import signed_in
from tests.vendors.factories import give_bank_account, make_vendor
from vendors.dedupe.store import match_keys_rebuild
from vendors.models import (
    BankAccountStatus,
    CallbackEvidence,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Vendor,
    VendorStatus,
)
from vendors.selectors import current_contacts, current_sites
from vendors.services.records import ContactData, SiteData
from vendors.views.proposals import vendor_initial

pytestmark = pytest.mark.django_db

ON_FILE = "(217) 555-0199"
REAUTH = "/account/reauthenticate/"


@pytest.fixture
def vendor() -> Vendor:
    """A supplier with an address, a contact on file and an active bank account."""
    vendor = make_vendor(
        "Midwest Surgical Supply Inc",
        tax_id="361234567",
        tax_id_kind="ein",
        sites=[SiteData(address_line1="1 Main St", city="Springfield", state="IL", phone="217-555-0100")],
        contacts=[ContactData(name="Pat Lee", email="ar@midwest.example", phone=ON_FILE)],
    )
    give_bank_account(vendor, routing_number="011000015", account_number="111122223333")
    match_keys_rebuild([vendor.pk])
    return vendor


def _flat(values: dict[str, Any]) -> dict[str, str]:
    """Form values as a browser posts them."""
    flat: dict[str, str] = {}
    for name, value in values.items():
        if value is None or value is False:
            continue
        flat[name] = "on" if value is True else value.isoformat() if isinstance(value, date) else str(value)
    return flat


def proposal_post(
    vendor: Vendor | None,
    facility: Facility,
    *,
    action: str = "preview",
    checked: str = "",
    sites: list[dict[str, str]] | None = None,
    contacts: list[dict[str, str]] | None = None,
    reason: str = "Vendor letter of 2026-11-02",
    **fields: Any,
) -> dict[str, str]:
    """What the change request form posts: the vendor's current values with `fields` changed."""
    values: dict[str, Any] = vendor_initial(vendor) if vendor else {"payment_terms": "NET30", "currency": "USD"}
    values.update(fields)
    data = _flat(values)
    data.update({"facility": str(facility.pk), "reason": reason, "action": action, "checked": checked})
    site_rows = sites if sites is not None else [s.as_dict() for s in current_sites(vendor)] if vendor else []
    contact_rows = (
        contacts if contacts is not None else [c.as_dict() for c in current_contacts(vendor)] if vendor else []
    )
    for prefix, rows in (("sites", site_rows), ("contacts", contact_rows)):
        data.update({f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"})
        for index, row in enumerate(rows):
            data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def token(response) -> str:
    """The signature of the check that the page shows."""
    found = re.search(r'name="checked" value="([0-9a-f]+)"', response.text)
    assert found, "the check panel carries the token of what was shown"
    return found.group(1)


def _approval(change: ChangeRequest) -> ApprovalRequest:
    """The approval request of a change request."""
    return ApprovalRequest.objects.get(pk=change.approval_request_id)


# --- Proposing a change ---------------------------------------------------------------------------------------------
def test_the_change_form_starts_from_the_vendor_and_preselects_the_only_facility(people, vendor, north) -> None:
    page = signed_in(people[Role.VENDOR_STEWARD]).get(f"/vendors/{vendor.number}/change/").text
    assert 'value="Midwest Surgical Supply Inc"' in page
    assert 'value="36-1234567"' in page
    assert 'value="1 Main St"' in page
    assert 'value="Pat Lee"' in page
    assert f'<option value="{north.pk}" selected>' in page


def test_check_shows_the_diff_and_saves_nothing_then_submit_records_it(people, vendor, north) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    url = f"/vendors/{vendor.number}/change/"
    data = proposal_post(vendor, north, dba_name="Midwest Surgical", payment_terms="NET45")

    check = client.post(url, data)

    assert check.status_code == 200
    assert "Check: what the request changes" in check.text
    assert "<del>NET30</del>" in check.text
    assert "<ins>NET45</ins>" in check.text
    assert "<ins>Midwest Surgical</ins>" in check.text
    diff_table = check.text.split('id="check"')[1].split("</table>")[0]
    assert "DBA name" in diff_table
    assert "Legal name" not in diff_table
    assert not ChangeRequest.objects.exists()

    submitted = client.post(url, {**data, "action": "submit", "checked": token(check)})

    change = ChangeRequest.objects.get()
    assert submitted.status_code == 302
    assert submitted["Location"] == f"/vendors/changes/{change.pk}/"
    assert (change.kind, change.status, change.facility) == (ChangeKind.UPDATE, ChangeStatus.PENDING, north)
    assert sorted(change.fields) == ["dba_name", "payment_terms"]
    assert change.duplicate_warnings == []
    assert Vendor.objects.get(pk=vendor.pk).payment_terms == "NET30"  # nothing changes before approval
    review = client.get(submitted["Location"]).text
    assert "submitted for approval" in review
    assert "Withdraw" in review


def test_a_submission_that_differs_from_the_check_is_checked_again(people, vendor, north) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    url = f"/vendors/{vendor.number}/change/"
    check = client.post(url, proposal_post(vendor, north, payment_terms="NET45"))
    edited = proposal_post(vendor, north, payment_terms="NET60", action="submit", checked=token(check))

    response = client.post(url, edited)

    assert response.status_code == 200
    assert "The proposal changed since your last check" in response.text
    assert "<ins>NET60</ins>" in response.text
    assert not ChangeRequest.objects.exists()
    assert client.post(url, {**edited, "checked": token(response)}).status_code == 302
    assert ChangeRequest.objects.get().proposed["fields"] == {"payment_terms": "NET60"}


def test_service_refusals_show_under_their_fields(people, vendor, north) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    bad_tax_id = client.post(f"/vendors/{vendor.number}/change/", proposal_post(vendor, north, tax_id="12-34"))
    assert bad_tax_id.status_code == 422
    assert re.search(r'id="id_tax_id_error"[^>]*>[^<]*Not a valid US EIN', bad_tax_id.text)
    assert 'aria-invalid="true"' in bad_tax_id.text
    nothing = client.post(f"/vendors/{vendor.number}/change/", proposal_post(vendor, north))
    assert nothing.status_code == 422
    assert "The proposal changes nothing." in nothing.text
    half_site = [{"kind": "remit_to", "address_line1": "", "city": "Peoria", "country": "US"}]
    site = client.post(f"/vendors/{vendor.number}/change/", proposal_post(vendor, north, sites=half_site))
    assert "Give the street (or clear the row)." in site.text
    assert not ChangeRequest.objects.exists()


def test_an_overlapping_open_request_is_flagged_at_the_check_and_refused_at_submit(people, vendor, north) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    url = f"/vendors/{vendor.number}/change/"
    first = client.post(url, proposal_post(vendor, north, payment_terms="NET45"))
    client.post(url, proposal_post(vendor, north, payment_terms="NET45", action="submit", checked=token(first)))
    open_one = ChangeRequest.objects.get()

    second = client.post(url, proposal_post(vendor, north, payment_terms="NET60"))
    assert f"CR-{open_one.pk}</a> already proposes changes" in second.text
    refused = client.post(
        url, proposal_post(vendor, north, payment_terms="NET60", action="submit", checked=token(second))
    )
    assert refused.status_code == 422
    assert "wait for its decision or withdraw it first" in refused.text
    assert ChangeRequest.objects.count() == 1


def test_a_new_vendor_check_warns_of_a_look_alike_and_the_warning_is_kept(people, vendor, north) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    data = proposal_post(
        None,
        north,
        legal_name="Midwest Surgical Supplies LLC",
        tax_id="36-1234567",
        tax_id_kind="ein",
        sites=[{"kind": "remit_to", "address_line1": "1 Main Street", "city": "Springfield", "state": "IL"}],
        contacts=[{"name": "AR desk", "email": "ar@midwest.example", "phone": ""}],
        reason="New supplier for the OR",
    )

    check = client.post("/vendors/new/", data)

    assert "Possible duplicates (1)" in check.text
    assert vendor.number in check.text
    assert "same tax id" in check.text
    assert Vendor.objects.count() == 1
    submitted = client.post("/vendors/new/", {**data, "action": "submit", "checked": token(check)})
    change = ChangeRequest.objects.get()
    assert submitted.status_code == 302
    assert change.kind == ChangeKind.CREATE
    assert change.vendor.status == VendorStatus.PENDING_APPROVAL
    assert [warning["vendor"] for warning in change.duplicate_warnings] == [vendor.number]
    review = signed_in(people[Role.PROCUREMENT_ADMIN]).get(f"/vendors/changes/{change.pk}/").text
    assert "Possible duplicates (1)" in review
    assert "same tax id" in review


@pytest.mark.parametrize("persona", [Role.AP_CLERK, Role.PROCUREMENT_ADMIN, Role.AUDITOR, Role.AP_MANAGER])
def test_only_stewards_propose(people, vendor, north, persona) -> None:
    client = signed_in(people[persona])
    data = proposal_post(vendor, north, payment_terms="NET45", action="submit")
    assert client.post(f"/vendors/{vendor.number}/change/", data).status_code == 403
    assert client.post("/vendors/new/", proposal_post(None, north, legal_name="X Corp")).status_code == 403
    assert not ChangeRequest.objects.exists()


def test_a_steward_cannot_raise_a_request_at_a_facility_that_is_not_theirs(people, vendor, north, south) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    response = client.post(f"/vendors/{vendor.number}/change/", proposal_post(vendor, south, payment_terms="NET45"))
    assert response.status_code == 422
    assert "Select a valid choice" in response.text


# --- Reviewing and deciding -------------------------------------------------------------------------------------------
@pytest.fixture
def change(people, vendor, north) -> ChangeRequest:
    """An open change (DBA name, a new ordering address) submitted through the pages."""
    client = signed_in(people[Role.VENDOR_STEWARD])
    url = f"/vendors/{vendor.number}/change/"
    sites = [s.as_dict() for s in current_sites(vendor)]
    sites.append({"kind": "ordering", "address_line1": "9 Depot Rd", "city": "Decatur", "state": "IL", "country": "US"})
    data = proposal_post(vendor, north, dba_name="Midwest Surgical", sites=sites)
    check = client.post(url, data)
    client.post(url, {**data, "action": "submit", "checked": token(check)})
    return ChangeRequest.objects.get()


def test_the_review_page_shows_the_diff_side_by_side_with_added_lines(people, change) -> None:
    page = signed_in(people[Role.PROCUREMENT_ADMIN]).get(f"/vendors/changes/{change.pk}/").text
    assert "Current (at submission)" in page
    assert "Proposed" in page
    assert '<li class="diff-added"><ins><span class="visually-hidden">added: </span>Ordering: 9 Depot Rd' in page
    assert "Remit-to: 1 Main St, Springfield, IL, US" in page
    assert "Vendor letter of 2026-11-02" in page
    assert "Vendor_Steward_User" in page or "vendor_steward_user" in page.lower()
    assert "Your decision" in page
    assert "Approve" in page
    assert "Not screened yet." in page or "Screened" in page
    steward_view = signed_in(people[Role.VENDOR_STEWARD]).get(f"/vendors/changes/{change.pk}/").text
    assert "Your decision" not in steward_view  # never one's own request
    auditor_view = signed_in(people[Role.AUDITOR]).get(f"/vendors/changes/{change.pk}/").text
    assert "Your decision" not in auditor_view
    assert "Withdraw" not in auditor_view


def test_the_outsider_and_the_clerk_do_not_see_another_facilitys_request(people, change) -> None:
    for persona in ("outsider", Role.AP_CLERK):
        assert signed_in(people[persona]).get(f"/vendors/changes/{change.pk}/").status_code == 404
        assert (
            signed_in(people[persona])
            .post(f"/vendors/changes/{change.pk}/decide/", {"decision": "approve"})
            .status_code
            == 404
        )


def test_the_change_list_filters_by_status_and_kind(people, change) -> None:
    client = signed_in(people[Role.PROCUREMENT_ADMIN])
    assert f"CR-{change.pk}" in client.get("/vendors/changes/").text
    assert f"CR-{change.pk}" not in client.get("/vendors/changes/", {"status": "applied"}).text
    assert f"CR-{change.pk}" not in client.get("/vendors/changes/", {"status": "all", "kind": "bank_account"}).text
    assert f"CR-{change.pk}" in client.get("/vendors/changes/", {"status": "all", "kind": "update"}).text


def test_a_procurement_admin_approves_and_the_vendor_changes(people, change, vendor) -> None:
    client = signed_in(people[Role.PROCUREMENT_ADMIN])
    response = client.post(f"/vendors/changes/{change.pk}/decide/", {"decision": "approve", "text": "W-9 checked"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPLIED
    vendor.refresh_from_db()
    assert vendor.dba_name == "Midwest Surgical"
    assert vendor.sites.filter(active=True, kind="ordering", city="Decatur").exists()
    page = client.get(response["Location"]).text
    assert "approved and applied" in page
    assert "W-9 checked" in page
    assert "Midwest Surgical" in client.get(f"/vendors/{vendor.number}/").text


def test_a_reject_needs_a_reason_and_leaves_the_vendor_untouched(people, change, vendor) -> None:
    client = signed_in(people[Role.PROCUREMENT_ADMIN])
    no_reason = client.post(f"/vendors/changes/{change.pk}/decide/", {"decision": "reject", "text": ""})
    assert no_reason.status_code == 422
    assert re.search(r'id="id_text_error"[^>]*>Say why you reject it.', no_reason.text)
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PENDING

    rejected = client.post(f"/vendors/changes/{change.pk}/decide/", {"decision": "reject", "text": "Not this DBA"})
    assert rejected.status_code == 302
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.REJECTED
    vendor.refresh_from_db()
    assert vendor.dba_name == ""
    assert not vendor.sites.filter(kind="ordering").exists()


def test_the_submitter_cannot_decide_but_may_withdraw(people, change) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    assert client.post(f"/vendors/changes/{change.pk}/decide/", {"decision": "approve"}).status_code == 403
    admin = signed_in(people[Role.PROCUREMENT_ADMIN])
    assert admin.post(f"/vendors/changes/{change.pk}/withdraw/", {"note": "x"}).status_code == 403
    assert client.post(f"/vendors/changes/{change.pk}/withdraw/", {"note": "Sent in error"}).status_code == 302
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.WITHDRAWN
    assert "Withdraw</button>" not in client.get(f"/vendors/changes/{change.pk}/").text


def test_the_submitter_answers_an_approvers_question(people, change) -> None:
    from approvals.services import approval_request_request_info

    approval_request_request_info(
        actor=people[Role.PROCUREMENT_ADMIN], request=_approval(change), question="Which letter?"
    )
    client = signed_in(people[Role.VENDOR_STEWARD])
    assert "Which letter?" in client.get(f"/vendors/changes/{change.pk}/").text
    assert client.post(f"/vendors/changes/{change.pk}/answer/", {"answer": "The one of 2 Nov"}).status_code == 302
    assert _approval(change).status == RequestStatus.PENDING


# --- Bank-account changes ---------------------------------------------------------------------------------------------
def bank_post(facility: Facility, *, action: str = "preview", checked: str = "", **values: str) -> dict[str, str]:
    """What the bank change form posts."""
    data = {
        "holder_name": "Midwest Surgical Supply Inc",
        "routing_number": "021000021",
        "account_number": "999988887777",
        "iban": "",
        "bic": "",
        "facility": str(facility.pk),
        "reason": "Letter on vendor letterhead dated 2026-11-20",
        "action": action,
        "checked": checked,
    }
    data.update(values)
    return data


def test_the_bank_form_needs_reauthentication_even_to_post(people, vendor, north) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    url = f"/vendors/{vendor.number}/bank/"
    opened = client.get(url)
    assert opened.status_code == 302
    assert opened["Location"] == f"{REAUTH}?next=%2Fvendors%2F{vendor.number}%2Fbank%2F"
    posted = client.post(url, bank_post(north, action="submit"))
    assert posted.status_code == 302
    assert posted["Location"].startswith(REAUTH)
    assert not ChangeRequest.objects.exists()


def test_a_bank_change_is_checked_masked_then_submitted(people, vendor, north) -> None:
    client = fresh(signed_in(people[Role.VENDOR_STEWARD]))
    url = f"/vendors/{vendor.number}/bank/"

    check = client.post(url, bank_post(north))

    panel = check.text.split('id="check"')[1].split("</section>")[0]
    assert "••••3333" in panel
    assert "••••7777" in panel
    assert "999988887777" not in panel
    assert "111122223333" not in check.text
    assert not ChangeRequest.objects.exists()
    submitted = client.post(url, bank_post(north, action="submit", checked=token(check)))
    change = ChangeRequest.objects.get()
    assert submitted.status_code == 302
    assert submitted["Location"] == f"/vendors/changes/{change.pk}/"
    assert change.kind == ChangeKind.BANK_ACCOUNT
    assert change.bank_account.status == BankAccountStatus.PROPOSED
    assert set(change.phones_on_file) == {"2175550199", "2175550100"}


def test_a_bank_account_already_used_by_another_vendor_is_warned_of(people, vendor, north) -> None:
    other = make_vendor("Shady Holdings LLC")
    give_bank_account(other, routing_number="021000021", account_number="999988887777")
    client = fresh(signed_in(people[Role.VENDOR_STEWARD]))
    check = client.post(f"/vendors/{vendor.number}/bank/", bank_post(north))
    assert "Possible duplicates (1)" in check.text
    assert other.number in check.text
    assert "same bank account (active there)" in check.text
    client.post(f"/vendors/{vendor.number}/bank/", bank_post(north, action="submit", checked=token(check)))
    assert ChangeRequest.objects.get().duplicate_warnings[0]["vendor"] == other.number


def test_invalid_bank_details_show_under_their_fields(people, vendor, north) -> None:
    client = fresh(signed_in(people[Role.VENDOR_STEWARD]))
    response = client.post(f"/vendors/{vendor.number}/bank/", bank_post(north, routing_number="123456789"))
    assert response.status_code == 422
    assert re.search(r'id="id_routing_number_error"[^>]*>Not a valid ABA routing number', response.text)
    iban = client.post(f"/vendors/{vendor.number}/bank/", bank_post(north, routing_number="", iban="DE00 1234"))
    assert re.search(r'id="id_iban_error"[^>]*>Not a valid IBAN', iban.text)
    assert not ChangeRequest.objects.exists()


@pytest.fixture
def bank_change(people, vendor, north) -> ChangeRequest:
    """An open bank change submitted through the pages."""
    client = fresh(signed_in(people[Role.VENDOR_STEWARD]))
    check = client.post(f"/vendors/{vendor.number}/bank/", bank_post(north))
    client.post(f"/vendors/{vendor.number}/bank/", bank_post(north, action="submit", checked=token(check)))
    return ChangeRequest.objects.get()


def _called(**values: str) -> dict[str, str]:
    """A call-back form as posted (to a number on file, now)."""
    data = {
        "phone_number": "2175550199",
        "contact_name": "Pat Lee",
        # The form takes whole seconds; the call follows the request, made a moment ago.
        "called_at": (timezone.localtime() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "outcome": "confirmed",
        "notes": "",
    }
    data.update(values)
    return data


def test_a_call_back_to_a_number_not_on_file_is_refused_with_the_message(people, bank_change, steward2) -> None:
    client = signed_in(steward2)
    page = client.get(f"/vendors/changes/{bank_change.pk}/").text
    assert '<option value="2175550199">2175550199</option>' in page

    response = client.post(f"/vendors/changes/{bank_change.pk}/callback/", _called(phone_number="312 555 0000"))

    assert response.status_code == 422
    assert re.search(
        r'id="id_phone_number_error"[^>]*>Call a number that was on file before the request', response.text
    )
    assert "The call-back cannot be accepted." in response.text
    assert not CallbackEvidence.objects.exists()


def test_the_submitter_cannot_record_the_call_back(people, bank_change) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    assert "Record a call-back" not in client.get(f"/vendors/changes/{bank_change.pk}/").text
    assert client.post(f"/vendors/changes/{bank_change.pk}/callback/", _called()).status_code == 403
    assert not CallbackEvidence.objects.exists()


def test_a_bank_change_is_approved_after_a_call_back_with_fresh_reauthentication(
    people, bank_change, steward2, admin2, vendor
) -> None:
    assert signed_in(steward2).post(f"/vendors/changes/{bank_change.pk}/callback/", _called()).status_code == 302
    assert CallbackEvidence.objects.get().called_by == steward2
    review = f"/vendors/changes/{bank_change.pk}/"

    first = signed_in(people[Role.PROCUREMENT_ADMIN])
    page = first.get(review).text
    assert "Pat Lee" in page
    assert "Vendor confirmed the change" in page
    assert "asks for your password again first" in page
    stale = first.post(f"{review}decide/", {"decision": "approve"})
    assert stale.status_code == 302
    assert stale["Location"] == f"{REAUTH}?next=%2Fvendors%2Fchanges%2F{bank_change.pk}%2F%23decide"
    assert not _approval(bank_change).decisions.exists()

    assert fresh(first).post(f"{review}decide/", {"decision": "approve", "text": "call-back seen"}).status_code == 302
    assert ChangeRequest.objects.get(pk=bank_change.pk).status == ChangeStatus.PENDING  # two admins needed
    assert "waits on a further approval" in first.get(review).text

    second = fresh(signed_in(admin2))
    assert second.post(f"{review}decide/", {"decision": "approve"}).status_code == 302
    assert ChangeRequest.objects.get(pk=bank_change.pk).status == ChangeStatus.APPLIED
    vendor_page = second.get(f"/vendors/{vendor.number}/").text
    assert "bank_unverified" in vendor_page
    assert "••••7777" in vendor_page


def test_approving_a_bank_change_without_a_call_back_is_refused_on_the_page(people, bank_change) -> None:
    client = fresh(signed_in(people[Role.PROCUREMENT_ADMIN]))
    response = client.post(f"/vendors/changes/{bank_change.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 422
    assert "Call the vendor back on a number on file" in response.text
    assert ChangeRequest.objects.get(pk=bank_change.pk).status == ChangeStatus.PENDING


def test_the_duplicate_panel_refreshes_as_the_steward_types(people, vendor, north) -> None:
    client = signed_in(people[Role.VENDOR_STEWARD])
    typed = proposal_post(None, north, legal_name="Midwest Surgical Supplies", reason="")  # half-filled is fine
    typed.update({"tax_id": "36-1234567", "tax_id_kind": "ein"})
    response = client.post("/vendors/new/duplicates/", typed, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Possible duplicates (1)" in response.text
    assert vendor.number in response.text
    unlike = client.post("/vendors/new/duplicates/", proposal_post(None, north, legal_name="Zenith Optics"))
    assert "No look-alike vendors" in unlike.text
    own = client.post(f"/vendors/{vendor.number}/change/duplicates/", proposal_post(vendor, north))
    assert "No look-alike vendors" in own.text  # a vendor is no duplicate of itself
    clerk = signed_in(people[Role.AP_CLERK]).post("/vendors/new/duplicates/", typed)
    assert clerk.status_code == 403
    assert not ChangeRequest.objects.exists()
    assert Vendor.objects.count() == 1
