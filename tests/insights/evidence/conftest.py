"""A known period of control evidence: for every control, one record just before the period, one at its first
moment, one at its last second and one just after, at NORTH; one inside the period at SOUTH. Each record carries
its label ("before", "first", "last", "after", "south", "global") in a text column, so a test reads which came in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from approvals.models import ApprovalDecision, ApprovalRequest, BlockedAttempt, Policy
from matching.models import Invoice, ToleranceRule, WorkAction, WorkItem
from matching.services.intake import invoice_ingest
from p2p_portal.models import Facility
from p2p_portal.roles import Role
from tests.factories import make_user_with_role
from tests.matching.conftest import canonical, order, supplier  # noqa: F401 -- fixtures
from tests.vendors.factories import make_vendor
from vendors.models import (
    CallbackEvidence,
    ChangeKind,
    ChangeRequest,
    DuplicateCandidate,
    ExclusionEntry,
    ExclusionList,
    ScreeningHit,
    ScreeningResult,
)

DATE_FROM = date(2026, 3, 1)
DATE_TO = date(2026, 3, 31)
PERIOD = {"from": DATE_FROM.isoformat(), "to": DATE_TO.isoformat()}
# The column of each section that holds a record's label.
LABEL_COLUMN = {
    "bank_changes": "reason",
    "sod_blocks_approvals": "message",
    "sod_blocks_workbench": "message",
    "accepted_variances": "note",
    "variance_approvals": "comment",
    "tolerance_rule_edits": "name",
    "vendor_merges": "note",
    "screening_results": "trigger",
    "screening_decisions": "reason",
}
FACILITY_SECTIONS = {
    "bank_changes",
    "sod_blocks_approvals",
    "sod_blocks_workbench",
    "accepted_variances",
    "variance_approvals",
    "tolerance_rule_edits",
}


@dataclass
class Evidence:
    """The users of the data set."""

    steward: User
    admin: User
    clerk: User


def _moments() -> dict[str, datetime]:
    start = timezone.make_aware(datetime(2026, 3, 1))
    end = timezone.make_aware(datetime(2026, 4, 1))
    return {
        "before": start - timedelta(seconds=1),
        "first": start,
        "last": end - timedelta(seconds=1),
        "after": end,
        "south": start + timedelta(days=10),
    }


def _work_item(facility: Facility, number: str, vendor: Any) -> WorkItem:
    invoice: Invoice = invoice_ingest(
        actor="tests", document=canonical(vendor, (1, "10", "12.00"), number=number), channel="api_json",
        facility=facility,
    )  # fmt: skip
    return WorkItem.objects.get(invoice=invoice)


@pytest.fixture
def evidence(north: Facility, south: Facility, supplier, order) -> Evidence:  # noqa: F811
    steward = make_user_with_role("ev-steward", Role.VENDOR_STEWARD, north, south)
    admin = make_user_with_role("ev-admin", Role.PROCUREMENT_ADMIN, north, south)
    clerk = make_user_with_role("ev-clerk", Role.AP_CLERK, north, south)
    items = {north.pk: _work_item(north, "EV-N-1", supplier), south.pk: _work_item(south, "EV-S-1", supplier)}
    policy = Policy.objects.create(name="Evidence test", document_type="invoice_variance")
    leie = ExclusionList.objects.create(
        source="leie", version="2026-02", file_name="UPDATED.csv", file_sha256="0" * 64, row_count=9,
        imported_at=_moments()["before"], is_current=False,
    )  # fmt: skip
    for index, (label, moment) in enumerate(_moments().items()):
        facility = south if label == "south" else north
        vendor, other = make_vendor(f"Evidence Vendor {label} A"), make_vendor(f"Evidence Vendor {label} B")
        change = ChangeRequest.objects.create(
            kind=ChangeKind.BANK_ACCOUNT, vendor=vendor, facility=facility, reason=label, submitted_by=steward,
            submitted_at=moment, status="applied", decided_at=moment,
            diff=[{"field": "bank", "label": "Bank account", "old": "••••1111", "new": "••••2222"}],
        )  # fmt: skip
        CallbackEvidence.objects.create(
            change_request=change, phone_number="2175550199", contact_name="Pat Lee", called_by=admin,
            called_at=moment, outcome="confirmed", recorded_at=moment,
        )  # fmt: skip
        request = ApprovalRequest.objects.create(
            document_type="invoice_variance", document_id=str(items[facility.pk].pk), summary=f"variance {label}",
            facility=facility, amount=Decimal("120.00"), currency="USD", risk_level="low", requester=clerk,
            submitted_by=clerk, policy=policy, policy_version=1, submitted_at=moment,
            status="approved", closed_at=moment,
        )  # fmt: skip
        change.approval_request = request
        change.save()
        ApprovalDecision.objects.create(
            request=request, decision="approve", actor=admin, comment=label, decided_at=moment
        )
        BlockedAttempt.objects.create(
            request=request, actor=clerk, decision="approve", rule="requester_cannot_approve", message=label,
            attempted_at=moment,
        )  # fmt: skip
        item = items[facility.pk]
        for kind, reason in (("blocked", ""), ("accept_variance", "price_agreed")):
            WorkAction.objects.create(
                item=item, invoice=item.invoice, facility=facility, kind=kind, reason_code=reason, note=label,
                actor=clerk, occurred_at=moment, amount=Decimal("20.00"),
                detail={"action": "accept_variance", "rule": "keyed_by_cannot_accept", "authority": "50.00"},
            )  # fmt: skip
        rule = ToleranceRule(name=label, scope="facility", facility=facility)
        rule._history_date = moment  # simple-history dates the row by this
        rule.save()
        DuplicateCandidate.objects.create(
            vendor_a=vendor, vendor_b=other, score=Decimal("0.95"), status="merged", found_at=moment,
            survivor=vendor, decided_by=steward, decided_at=moment, note=label,
        )  # fmt: skip
        ScreeningResult.objects.create(
            vendor=vendor, screened_at=moment, trigger=label, list_versions={"leie": "2026-02"}, hits=1
        )
        entry = ExclusionEntry.objects.create(exclusion_list=leie, row_number=index + 1, name=label, name_key=label)
        ScreeningHit.objects.create(
            vendor=vendor, entry=entry, exclusion_list=leie, match_kind="name_state", score=Decimal("0.9"),
            detail="name", status="cleared", found_at=moment, decided_by=steward, decided_at=moment, reason=label,
        )  # fmt: skip
    rule = ToleranceRule(name="global", scope="global")
    rule._history_date = _moments()["south"]
    rule.save()
    return Evidence(steward=steward, admin=admin, clerk=clerk)
