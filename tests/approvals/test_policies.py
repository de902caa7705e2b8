"""Policy selection: the most specific policy routes a document; no policy is an error, never an approval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from approvals.models import ApprovalRequest, Policy, RequestStatus
from approvals.services import StepSpec, approval_request_submit, policy_create, policy_save, policy_step_save
from p2p_portal.errors import ApplicationError, InvalidInputError
from p2p_portal.roles import Role
from p2p_portal.services import cost_center_create
from tests.approvals.conftest import DOC
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

MANAGER = [StepSpec(role=Role.AP_MANAGER)]


def _policy(name: str, **scope: object) -> Policy:
    return policy_create(actor=SYSTEM, name=name, document_type=DOC, steps=MANAGER, **scope)


def test_most_specific_policy_wins_facility_over_global(people, north, south, make_document):
    _policy("global")
    _policy("north", facility=north)
    _policy("south", facility=south)
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    assert request.policy.name == "north"


def test_cost_center_beats_facility_and_risk_beats_plain(people, north, make_document):
    document = make_document(cost_center_is_own=True, risk_level="high")
    _policy("north", facility=north)
    _policy("north high", facility=north, risk_level="high")
    assert approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document).policy.name == (
        "north high"
    )
    other = make_document(cost_center_is_own=True, risk_level="high")
    _policy("this cost center", cost_center=other)
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=other)
    assert request.policy.name == "this cost center"
    assert request.policy.facility == north  # a cost-center policy is bound to its facility


def test_amount_band_selects_and_bounds_are_lower_inclusive_upper_exclusive(people, make_document):
    _policy("small", max_amount=Decimal("1000"))
    _policy("large", min_amount=Decimal("1000"))
    at_bound = make_document(amount=Decimal("1000.00"))
    below = make_document(amount=Decimal("999.99"))
    assert (
        approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=at_bound).policy.name == "large"
    )
    assert approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=below).policy.name == "small"


def test_banded_policy_beats_unbanded(people, make_document):
    _policy("any amount")
    _policy("mid band", min_amount=Decimal("10"), max_amount=Decimal("500"))
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    assert request.policy.name == "mid band"


def test_no_matching_policy_is_an_error_the_requester_sees_not_an_approval(people, make_document, recorder):
    _policy("only high", risk_level="high")
    document = make_document(risk_level="low")
    with pytest.raises(InvalidInputError) as caught:
        approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    assert caught.value.code == "no_matching_policy"
    assert "No approval policy" in caught.value.message
    assert not ApprovalRequest.objects.exists()
    assert recorder.approved == []


def test_inactive_policies_do_not_route(people, make_document):
    _policy("off", active=False)
    with pytest.raises(InvalidInputError):
        approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())


def test_equally_specific_policies_are_reported_not_guessed(people, make_document):
    _policy("one")
    _policy("two")
    with pytest.raises(ApplicationError) as caught:
        approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    assert caught.value.code == "ambiguous_policy"


def test_amount_band_must_be_ordered():
    with pytest.raises(ValidationError):
        policy_create(
            actor=SYSTEM, name="bad", document_type=DOC, steps=MANAGER, min_amount=Decimal(5), max_amount=Decimal(5)
        )


def test_unknown_document_type_is_refused(recorder):
    with pytest.raises(InvalidInputError) as caught:
        policy_create(actor=SYSTEM, name="x", document_type="no_such_type", steps=MANAGER)
    assert caught.value.code == "unknown_document_type"


def test_request_records_the_policy_version_that_routed_it(people, make_document):
    policy = _policy("global")
    first = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    assert (first.policy_id, first.policy_version) == (policy.pk, 1)
    assert first.policy_history_id == policy.history.latest("history_id").history_id

    step = policy.steps.get()
    step.approvals_required = 2
    policy_step_save(actor=people["procurement_admin"], step=step)
    policy.name = "global, renamed"
    policy_save(actor=people["procurement_admin"], policy=policy)
    policy.refresh_from_db()
    assert policy.version == 3

    second = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    assert second.policy_version == 3
    assert ApprovalRequest.objects.get(pk=first.pk).policy_version == 1
    routed_by = policy.history.get(history_id=first.policy_history_id)
    assert (routed_by.version, routed_by.name) == (1, "global")
    assert second.status == RequestStatus.PENDING


def test_policy_changes_are_attributed(people):
    policy = _policy("global")
    policy.name = "renamed"
    policy_save(actor=people["procurement_admin"], policy=policy, reason="clearer name")
    row = policy.history.latest("history_id")
    assert row.history_user_id == people["procurement_admin"].pk
    assert row.history_change_reason == "clearer name"


def test_cost_center_of_another_facility_is_refused(north, south):
    elsewhere = cost_center_create(actor=SYSTEM, facility=south, code="S1", name="South line")
    with pytest.raises(InvalidInputError) as caught:
        _policy("mixed", facility=north, cost_center=elsewhere)
    assert caught.value.code == "cost_center_not_at_facility"
