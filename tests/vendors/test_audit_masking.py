"""The audit trail does not undo the supplier master's masking: tax ids stay masked for readers who may not see
them, and bank account ciphertext and fingerprints are never shown."""

from __future__ import annotations

import pytest

from p2p_portal.audit.entries import AuditFilters, audit_entries
from p2p_portal.roles import Role
from tests.vendors.factories import give_bank_account, make_vendor

pytestmark = pytest.mark.django_db


def _values(principal, object_type: str) -> dict[str, str]:
    entries = audit_entries(principal=principal, filters=AuditFilters(object_type=object_type))
    return {change.field: change.after for entry in entries for change in entry.changes}


def test_tax_ids_are_masked_in_the_audit_trail_unless_the_reader_may_see_them(people) -> None:
    make_vendor("Stryker Instruments Inc", tax_id="381239739", tax_id_kind="ein")
    assert _values(people[Role.AP_MANAGER], "vendors.vendor")["tax_id"] == "••••9739"
    assert _values(people[Role.AUDITOR], "vendors.vendor")["tax_id"] == "381239739"


def test_bank_account_ciphertext_and_fingerprints_never_appear(people) -> None:
    give_bank_account(make_vendor(), account_number="123412341234")
    shown = _values(people[Role.AUDITOR], "vendors.bankaccount")
    assert shown["account_last4"] == "1234"
    assert {"account_number_encrypted", "fingerprint"} & set(shown) == set()
