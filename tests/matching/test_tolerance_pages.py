"""Tolerance rules in the browser and the admin: who reads and changes them, versions, reasons, history, preview."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from matching.models import ToleranceRule, ToleranceScope
from matching.services.tolerances import tolerance_rule_default_ensure, tolerance_rule_save
from tests.factories import SYSTEM, signed_in
from tests.vendors.factories import make_vendor

pytestmark = pytest.mark.django_db

LIST = reverse("matching:tolerances")
NEW = reverse("matching:tolerance_new")
READERS = ("ap_clerk", "ap_manager", "procurement_admin", "auditor")
NOT_READERS = ("vendor_steward", "integration_admin", "nobody")


def make_rule(name: str, scope: str, **fields: Any) -> ToleranceRule:
    """A rule saved through the service, as the pages would."""
    return tolerance_rule_save(actor=SYSTEM, rule=ToleranceRule(name=name, scope=scope, **fields), reason="test data")


def detail(rule: ToleranceRule) -> str:
    return reverse("matching:tolerance", args=[rule.pk])


def form_data(rule: ToleranceRule | None = None, **changes: Any) -> dict[str, Any]:
    """The form as the browser posts it: the rule's current values (or a new global rule's) with changes."""
    values: dict[str, Any] = {
        "name": rule.name if rule else "New rule",
        "scope": rule.scope if rule else ToleranceScope.GLOBAL,
        "facility": rule.facility_id or "" if rule else "",
        "vendor": rule.vendor.number if rule and rule.vendor else "",
        "category": rule.category if rule else "",
        "price_pct": rule.price_pct if rule else "2.00",
        "price_abs": rule.price_abs if rule else "100.00",
        "accept_lower_price": "on",
        "qty_over_received": rule.qty_over_received if rule else "0",
        "qty_over_ordered": rule.qty_over_ordered if rule else "0",
        "header_total_abs": rule.header_total_abs if rule else "0.05",
        "active": "on",
        "reason": "policy review 2026",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


@pytest.fixture
def network_rule(db: None) -> ToleranceRule:
    return tolerance_rule_default_ensure()


@pytest.fixture
def north_rule(north) -> ToleranceRule:
    return make_rule("North pharmacy", ToleranceScope.FACILITY, facility=north, price_pct=Decimal("3.00"))


@pytest.fixture
def south_rule(south) -> ToleranceRule:
    return make_rule("South clinic", ToleranceScope.FACILITY, facility=south)


# --- reading ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "status"), [*((p, 200) for p in READERS), ("outsider", 200), *((p, 404) for p in NOT_READERS)]
)
def test_who_reads_the_rule_list(people, network_rule, persona, status) -> None:
    response = signed_in(people[persona]).get(LIST)
    assert response.status_code == status
    if status == 200:
        assert network_rule.name in response.content.decode()


@pytest.mark.parametrize("url", [LIST, NEW, "/workbench/tolerances/1/"])
def test_anonymous_is_sent_to_sign_in(db, url) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_facility_rules_show_only_at_their_facility(people, network_rule, north_rule, south_rule) -> None:
    north_page = signed_in(people["ap_clerk"]).get(LIST).content.decode()
    assert north_rule.name in north_page
    assert south_rule.name not in north_page
    outsider_page = signed_in(people["outsider"]).get(LIST).content.decode()
    assert network_rule.name in outsider_page
    assert south_rule.name in outsider_page
    assert north_rule.name not in outsider_page


@pytest.mark.parametrize(
    ("persona", "status"), [*((p, 200) for p in READERS), ("outsider", 404), *((p, 404) for p in NOT_READERS)]
)
def test_who_reads_a_facility_rule(people, north_rule, persona, status) -> None:
    assert signed_in(people[persona]).get(detail(north_rule)).status_code == status


@pytest.mark.parametrize(("persona", "has_form"), [(p, p == "ap_manager") for p in READERS])
def test_only_managers_get_the_form(people, north_rule, persona, has_form) -> None:
    page = signed_in(people[persona]).get(detail(north_rule)).content.decode()
    assert ('name="reason"' in page) is has_form
    assert (f'href="{NEW}"' in signed_in(people[persona]).get(LIST).content.decode()) is has_form


# --- changing --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("ap_manager", 302),
        ("outsider", 302),  # an AP manager elsewhere: network-wide rules are every AP manager's
        ("ap_clerk", 403),
        ("procurement_admin", 403),
        ("auditor", 403),
        ("vendor_steward", 404),
        ("integration_admin", 404),
        ("nobody", 404),
    ],
)
def test_who_changes_a_network_rule(people, network_rule, persona, status) -> None:
    response = signed_in(people[persona]).post(detail(network_rule), form_data(network_rule, price_pct="2.50"))
    assert response.status_code == status
    network_rule.refresh_from_db()
    assert network_rule.price_pct == (Decimal("2.50") if status == 302 else Decimal("2.00"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("ap_manager", 302),
        ("outsider", 404),
        ("ap_clerk", 403),
        ("procurement_admin", 403),
        ("auditor", 403),
        ("nobody", 404),
    ],
)
def test_who_changes_a_facility_rule(people, north_rule, persona, status) -> None:
    response = signed_in(people[persona]).post(detail(north_rule), form_data(north_rule, price_pct="4.00"))
    assert response.status_code == status
    north_rule.refresh_from_db()
    assert north_rule.price_pct == (Decimal("4.00") if status == 302 else Decimal("3.00"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("ap_manager", 302),
        ("outsider", 302),
        ("ap_clerk", 403),
        ("procurement_admin", 403),
        ("auditor", 403),
        ("vendor_steward", 404),
        ("nobody", 404),
    ],
)
def test_who_creates_a_rule(people, persona, status) -> None:
    client = signed_in(people[persona])
    assert client.get(NEW).status_code == (200 if status == 302 else status)
    response = client.post(NEW, form_data(name="Surgical supplies", scope="category", category="42131600"))
    assert response.status_code == status
    assert ToleranceRule.objects.filter(name="Surgical supplies").exists() is (status == 302)


def test_a_superuser_reads_and_changes_every_rule(staff_client, north_rule, south_rule) -> None:
    page = staff_client.get(LIST).content.decode()
    assert north_rule.name in page
    assert south_rule.name in page
    response = staff_client.post(detail(south_rule), form_data(south_rule, price_pct="1.50"))
    assert response.status_code == 302
    south_rule.refresh_from_db()
    assert (south_rule.price_pct, south_rule.version) == (Decimal("1.50"), 2)


def test_anonymous_post_changes_nothing(network_rule) -> None:
    response = Client().post(detail(network_rule), form_data(network_rule, price_pct="9.00"))
    assert response.status_code == 302
    network_rule.refresh_from_db()
    assert network_rule.price_pct == Decimal("2.00")


def test_a_manager_creates_a_facility_rule_where_they_manage(people, north) -> None:
    response = signed_in(people["ap_manager"]).post(
        NEW, form_data(name="North ICU", scope="facility", facility=north.pk, price_pct="5.00")
    )
    rule = ToleranceRule.objects.get(name="North ICU")
    assert response["Location"] == detail(rule)
    assert (rule.facility, rule.price_pct, rule.version) == (north, Decimal("5.00"), 1)
    created = rule.history.get()
    assert (created.history_user, created.history_change_reason) == (people["ap_manager"], "policy review 2026")


def test_a_manager_cannot_create_a_facility_rule_where_they_do_not_manage(people, south) -> None:
    response = signed_in(people["ap_manager"]).post(
        NEW, form_data(name="South ICU", scope="facility", facility=south.pk)
    )
    assert response.status_code == 200
    assert "only at facilities where you are AP manager" in response.content.decode()
    assert not ToleranceRule.objects.filter(name="South ICU").exists()


def test_a_manager_cannot_move_a_rule_to_a_facility_they_do_not_manage(people, north_rule, south) -> None:
    response = signed_in(people["ap_manager"]).post(detail(north_rule), form_data(north_rule, facility=south.pk))
    assert response.status_code == 200
    north_rule.refresh_from_db()
    assert north_rule.facility_id != south.pk


def test_a_limit_change_makes_a_new_version_and_a_rename_does_not(people, network_rule) -> None:
    client = signed_in(people["ap_manager"])
    client.post(detail(network_rule), form_data(network_rule, name="Network default, reviewed"))
    network_rule.refresh_from_db()
    assert (network_rule.name, network_rule.version) == ("Network default, reviewed", 1)
    client.post(detail(network_rule), form_data(network_rule, price_abs="150.00"))
    network_rule.refresh_from_db()
    assert (network_rule.price_abs, network_rule.version) == (Decimal("150.00"), 2)


def test_deactivating_is_a_new_version_and_the_rule_stays(people, north_rule) -> None:
    client = signed_in(people["ap_manager"])
    response = client.post(detail(north_rule), form_data(north_rule, active=None, reason="merged into network rule"))
    assert response.status_code == 302
    north_rule.refresh_from_db()
    assert (north_rule.active, north_rule.version) == (False, 2)
    assert "inactive" in client.get(LIST).content.decode()


def test_rules_are_never_deleted_through_the_pages(people, north_rule) -> None:
    response = signed_in(people["ap_manager"]).delete(detail(north_rule))
    assert response.status_code == 405
    assert ToleranceRule.objects.filter(pk=north_rule.pk).exists()


def test_the_reason_is_required_and_said_on_its_field(people, network_rule) -> None:
    response = signed_in(people["ap_manager"]).post(
        detail(network_rule), form_data(network_rule, price_pct="5", reason="")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<p class="field-error" id="id_reason_error" role="alert">Say why the tolerance changes.</p>' in page
    network_rule.refresh_from_db()
    assert (network_rule.price_pct, network_rule.version) == (Decimal("2.00"), 1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"scope": "facility"}, "facility", "A facility rule names its facility."),
        ({"scope": "vendor"}, "vendor", "A vendor rule names its vendor."),
        ({"scope": "category", "category": ""}, "category", "A category rule names its UNSPSC category."),
        ({"scope": "category", "category": "4213"}, "category", "eight digits"),
        ({"scope": "global", "category": "42131600"}, "category", "A global rule leaves this empty."),
        ({"scope": "vendor", "vendor": "V-999999"}, "vendor", "No vendor has this number."),
    ],
)
def test_the_scope_names_its_key(people, changes, field, message) -> None:
    response = signed_in(people["ap_manager"]).post(NEW, form_data(name="Bad", **changes))
    assert response.status_code == 200
    page = response.content.decode()
    error = page[page.index(f'id="id_{field}_error"') :]
    assert message in error[: error.index("</p>")]
    assert not ToleranceRule.objects.filter(name="Bad").exists()


def test_the_history_shows_who_when_version_reason_and_the_limits(people, network_rule) -> None:
    signed_in(people["ap_manager"]).post(
        detail(network_rule), form_data(network_rule, price_pct="2.50", reason="GPO contract allows 2.5 %")
    )
    page = signed_in(people["auditor"]).get(detail(network_rule)).content.decode()
    history = page[page.index('id="history-heading"') :]
    assert "GPO contract allows 2.5 %" in history
    assert people["ap_manager"].get_full_name() in history
    assert "v2" in history
    assert "2 %</del>" in history
    assert "2.5 %</ins>" in history
    assert "default tolerance rule" in history  # the version that created it, with its own reason


# --- which rule applies ----------------------------------------------------------------------------------------------
def test_the_preview_picks_the_most_specific_rule(people, network_rule, north_rule, north) -> None:
    vendor = make_vendor("Medline Industries LP")
    make_rule("Medline", ToleranceScope.VENDOR, vendor=vendor, price_pct=Decimal("1.00"))
    make_rule("Gloves", ToleranceScope.CATEGORY, category="42132200", price_abs=Decimal("20.00"))
    make_rule("Retired gloves", ToleranceScope.CATEGORY, category="42132200", active=False)
    client = signed_in(people["ap_clerk"])

    def answer(**question: Any) -> str:
        page = client.get(LIST, {"facility": "", "vendor": "", "category": "", **question}).content.decode()
        return page[page.index('id="rule-answer"') :]

    assert "<strong>Gloves</strong>" in answer(facility=north.pk, vendor=vendor.number, category="42132200")
    assert "at most 2 % and $20.00 per line" in answer(facility=north.pk, vendor=vendor.number, category="42132200")
    assert "<strong>Medline</strong>" in answer(facility=north.pk, vendor=vendor.number, category="42131600")
    assert "<strong>North pharmacy</strong>" in answer(facility=north.pk, category="42131600")
    assert f"<strong>{network_rule.name}</strong>" in answer()


def test_the_preview_offers_only_facilities_the_reader_sees(people, network_rule, south) -> None:
    page = signed_in(people["ap_clerk"]).get(LIST, {"facility": south.pk}).content.decode()
    assert "Correct the question above." in page


def test_without_a_saved_global_rule_the_preview_answers_with_the_built_in_default(people) -> None:
    page = signed_in(people["ap_clerk"]).get(LIST, {"category": "42131600"}).content.decode()
    assert "No global rule is saved yet" in page
    assert "<strong>The built-in default</strong>" in page


# --- admin -----------------------------------------------------------------------------------------------------------
def admin_data(rule: ToleranceRule, **changes: Any) -> dict[str, Any]:
    data = form_data(rule, **changes)
    data["vendor"] = rule.vendor_id or ""
    return data


def test_an_admin_change_goes_through_the_service(staff_client, staff, network_rule) -> None:
    response = staff_client.post(
        reverse("admin:matching_tolerancerule_change", args=[network_rule.pk]),
        admin_data(network_rule, header_total_abs="0.10", reason="rounding on freight lines"),
    )
    assert response.status_code == 302, response.content[:2000]
    network_rule.refresh_from_db()
    assert (network_rule.header_total_abs, network_rule.version) == (Decimal("0.10"), 2)
    latest = network_rule.history.latest("history_id")
    assert (latest.history_user, latest.history_change_reason, latest.version) == (
        staff,
        "rounding on freight lines",
        2,
    )


def test_the_admin_wants_a_reason_and_never_deletes(staff_client, network_rule) -> None:
    change = reverse("admin:matching_tolerancerule_change", args=[network_rule.pk])
    response = staff_client.post(change, admin_data(network_rule, price_pct="9.00", reason=""))
    assert response.status_code == 200
    assert "Say why the tolerance changes." in response.content.decode()
    network_rule.refresh_from_db()
    assert network_rule.price_pct == Decimal("2.00")
    assert staff_client.get(reverse("admin:matching_tolerancerule_delete", args=[network_rule.pk])).status_code == 403
    assert staff_client.get(reverse("admin:matching_tolerancerule_changelist")).status_code == 200
    assert staff_client.get(reverse("admin:matching_tolerancerule_add")).status_code == 200


def test_a_rule_added_in_the_admin_is_attributed(staff_client, staff, north) -> None:
    response = staff_client.post(
        reverse("admin:matching_tolerancerule_add"),
        {**form_data(name="North admin", scope="facility", facility=north.pk, reason="set up by admin")},
    )
    assert response.status_code == 302, response.content[:2000]
    rule = ToleranceRule.objects.get(name="North admin")
    assert (rule.history.get().history_user, rule.history.get().history_change_reason) == (staff, "set up by admin")
