"""Delegation / out of office: the window, the scope, the role the delegate must hold, no chains, SoD on both."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from approvals import registry
from approvals.models import ApprovalDecision, ApprovalRequest, BlockedAttempt, Delegation
from approvals.registry import DocumentType
from approvals.selectors import delegation_list
from approvals.services import (
    StepSpec,
    approval_request_approve,
    approval_request_submit,
    delegation_create,
    delegation_revoke,
    policy_create,
)
from p2p_portal.errors import InvalidInputError, NotAllowedError
from p2p_portal.roles import Role
from p2p_portal.services import role_revoke
from tests.approvals.conftest import DOC
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def named_step(people):
    """One step naming the AP manager in person, so only they (or their delegate) may decide."""
    return policy_create(actor=SYSTEM, name="named", document_type=DOC, steps=[StepSpec(user=people["ap_manager"])])


def _delegate(people: Any, to: Any, *, start: int = -1, end: int = 1, **scope: Any) -> Delegation:
    today = timezone.localdate()
    return delegation_create(
        actor=people["ap_manager"],
        delegator=people["ap_manager"],
        delegate=to,
        starts_on=today + timedelta(days=start),
        ends_on=today + timedelta(days=end),
        reason="annual leave",
        **scope,
    )


def _submit(people: Any, make_document: Any, **facts: Any) -> ApprovalRequest:
    return approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document(**facts))


def test_delegate_acts_for_the_delegator_inside_the_window(people, managers, named_step, make_document):
    _delegate(people, managers[0])
    request = _submit(people, make_document)
    approval_request_approve(actor=managers[0], request=request)
    decision = ApprovalDecision.objects.get(request=request)
    assert (decision.actor, decision.acting_for) == (managers[0], people["ap_manager"])
    assert decision.history.get().history_user_id == managers[0].pk


@pytest.mark.parametrize(("start", "end"), [(1, 5), (-5, -1)], ids=["not yet started", "expired"])
def test_delegation_outside_its_window_does_not_act(people, managers, named_step, make_document, start, end):
    _delegate(people, managers[0], start=start, end=end)
    request = _submit(people, make_document)
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=managers[0], request=request)
    assert caught.value.code == "not_an_approver"


def test_revoked_delegation_stops_acting(people, managers, named_step, make_document):
    delegation = _delegate(people, managers[0])
    delegation_revoke(actor=people["ap_manager"], delegation=delegation, reason="back early")
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=managers[0], request=_submit(people, make_document))


def test_delegation_limited_to_document_types(people, managers, named_step, make_document):
    registry.register(DocumentType(code="test_other", label="Other", load=str, describe=lambda d: d))
    try:
        _delegate(people, managers[0], document_types=["test_other"])
    finally:
        registry.unregister("test_other")
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=managers[0], request=_submit(people, make_document))


def test_delegation_limited_to_another_facility_does_not_act_here(people, managers, named_step, make_document, south):
    from p2p_portal.services import role_grant

    role_grant(actor=SYSTEM, user=people["ap_manager"], role=Role.AP_MANAGER, facility=south)
    role_grant(actor=SYSTEM, user=managers[0], role=Role.AP_MANAGER, facility=south)
    _delegate(people, managers[0], facility=south)
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=managers[0], request=_submit(people, make_document))


def test_delegate_must_hold_the_role_at_the_facility(people, managers, named_step, make_document, north):
    with pytest.raises(InvalidInputError) as caught:
        _delegate(people, people["vendor_steward"])
    assert caught.value.code == "delegate_lacks_role"
    with pytest.raises(InvalidInputError):
        _delegate(people, people["outsider"])  # an AP manager, but at SOUTH
    _delegate(people, managers[0])
    role_revoke(actor=SYSTEM, user=managers[0], role=Role.AP_MANAGER, facility=north)
    with pytest.raises(NotAllowedError) as at_decision:
        approval_request_approve(actor=managers[0], request=_submit(people, make_document))
    assert at_decision.value.code == "delegate_lacks_role"


def test_delegate_is_blocked_when_the_delegator_made_the_document(people, managers, named_step, make_document):
    _delegate(people, managers[0])
    request = _submit(people, make_document, creator=people["ap_manager"])
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=managers[0], request=request)
    assert caught.value.code == "sod_maker_checker"
    assert "for whom you act" in caught.value.message
    attempt = BlockedAttempt.objects.get()
    assert (attempt.actor, attempt.acting_for, attempt.rule) == (managers[0], people["ap_manager"], "sod_maker_checker")


def test_delegate_is_blocked_when_they_themselves_conflict(people, managers, named_step, make_document):
    _delegate(people, managers[0])
    request = _submit(people, make_document, creator=managers[0])
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=managers[0], request=request)
    assert caught.value.code == "sod_maker_checker"


def test_no_delegation_chains(people, managers, named_step, make_document):
    _delegate(people, managers[0])
    today = timezone.localdate()
    delegation_create(
        actor=managers[0],
        delegator=managers[0],
        delegate=managers[1],
        starts_on=today,
        ends_on=today,
        reason="I am away too",
    )
    request = _submit(people, make_document)
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=managers[1], request=request)
    assert caught.value.code == "not_an_approver"


def test_only_the_delegator_or_a_manager_sets_up_a_delegation_and_managers_see_them(people, managers, north):
    today = timezone.localdate()
    with pytest.raises(NotAllowedError) as caught:
        delegation_create(
            actor=people["ap_clerk"],
            delegator=people["ap_manager"],
            delegate=managers[0],
            starts_on=today,
            ends_on=today,
            reason="x",
        )
    assert caught.value.code == "not_allowed_to_delegate"
    delegation = _delegate(people, managers[0])
    assert delegation.history.get().history_user_id == people["ap_manager"].pk
    assert list(delegation_list(user=people["procurement_admin"])) == [delegation]
    assert list(delegation_list(user=people["outsider"])) == []
    assert list(delegation_list(user=managers[0])) == [delegation]
    assert Delegation.objects.count() == 1
