"""A test-only document type over CostCenter rows: the engine sees them as "budget changes" with set facts."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from approvals import registry
from approvals.models import ApprovalRequest
from approvals.registry import DocumentFacts, DocumentType
from p2p_portal.models import CostCenter, Facility
from p2p_portal.roles import Role
from p2p_portal.services import cost_center_create
from tests.factories import SYSTEM, make_user_with_role

DOC = "test_budget_change"
_codes = itertools.count(1)


@dataclass
class FakeFacts:
    amount: Decimal = Decimal("100.00")
    risk_level: str = "low"
    requester: User | None = None
    cost_center_is_own: bool = False
    subjects: tuple[str, ...] = ()


@dataclass
class Recorder:
    facts: dict[int, FakeFacts] = field(default_factory=dict)
    approved: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)


def _history_users(cost_center: CostCenter) -> tuple[int | None, int | None]:
    rows = list(cost_center.history.order_by("history_id").values_list("history_user_id", flat=True))
    return (rows[0], rows[-1]) if rows else (None, None)


@pytest.fixture(autouse=True)
def recorder(db: None) -> Iterator[Recorder]:
    """Registers the test document type; its creator/last changer come from the cost center's own history."""
    rec = Recorder()

    def describe(cost_center: CostCenter) -> DocumentFacts:
        facts = rec.facts.get(cost_center.pk, FakeFacts())
        created_by, changed_by = _history_users(cost_center)
        return DocumentFacts(
            amount=facts.amount,
            currency="USD",
            facility=cost_center.facility,
            cost_center=cost_center if facts.cost_center_is_own else None,
            risk_level=facts.risk_level,
            summary=f"budget change {cost_center.code}",
            requester=facts.requester,
            created_by_id=created_by,
            last_changed_by_id=changed_by,
            subjects=facts.subjects,
        )

    def on(bucket: list[int]) -> registry.Callback:
        return lambda request: bucket.append(request.pk)

    registry.register(
        DocumentType(
            code=DOC,
            label="Budget change (test)",
            load=lambda document_id: CostCenter.objects.select_related("facility").get(pk=int(document_id)),
            describe=describe,
            on_approved=on(rec.approved),
            on_rejected=on(rec.rejected),
            on_withdrawn=on(rec.withdrawn),
        )
    )
    yield rec
    registry.unregister(DOC)


@pytest.fixture
def make_document(recorder: Recorder, north: Facility):
    """Build a document (a cost center at NORTH, created by `creator`) with the given facts."""

    def build(*, creator: object = SYSTEM, facility: Facility | None = None, **facts: object) -> CostCenter:
        cost_center = cost_center_create(
            actor=creator, facility=facility or north, code=f"CC{next(_codes)}", name="Budget line"
        )
        recorder.facts[cost_center.pk] = FakeFacts(**facts)
        return cost_center

    return build


@pytest.fixture
def managers(people: dict[str, User], north: Facility) -> list[User]:
    """Three more AP managers at NORTH (distinct approvers for multi-approval steps)."""
    return [make_user_with_role(f"manager{n}", Role.AP_MANAGER, north) for n in (2, 3, 4)]


def open_request(request: ApprovalRequest) -> ApprovalRequest:
    return ApprovalRequest.objects.get(pk=request.pk)
