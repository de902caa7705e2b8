"""Segregation of duties at the moment of each decision, the evidence it leaves, and the static role report."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from approvals.models import ApprovalDecision, BlockedAttempt, ConflictRule, RequestStatus
from approvals.selectors import role_conflicts
from approvals.services import (
    StepSpec,
    approval_request_approve,
    approval_request_submit,
    conflict_rule_save,
    ledger_entry_record,
    policy_create,
)
from p2p_portal.errors import NotAllowedError
from p2p_portal.roles import Role
from p2p_portal.services import cost_center_update, role_grant
from tests.approvals.conftest import DOC
from tests.factories import SYSTEM

VENDOR = "vendor:7"


@pytest.fixture
def policy(people):
    return policy_create(actor=SYSTEM, name="one manager", document_type=DOC, steps=[StepSpec(role=Role.AP_MANAGER)])


@pytest.fixture
def bank_rule(recorder):
    # The rule vendors ship (migration vendors.0002) watches the same ledger action; these tests judge their own.
    for shipped in ConflictRule.objects.filter(ledger_action="vendor.bank_changed"):
        shipped.active = False
        conflict_rule_save(actor=SYSTEM, rule=shipped, reason="tests judge their own rule")
    return conflict_rule_save(
        actor=SYSTEM,
        rule=ConflictRule(
            code="bank-change-vs-approval",
            description="changed the vendor's bank account",
            ledger_action="vendor.bank_changed",
            document_types=[DOC],
            window_days=30,
        ),
    )


@pytest.mark.django_db
def test_submitter_cannot_approve_own_request(people, policy, make_document):
    request = approval_request_submit(actor=people["ap_manager"], document_type=DOC, document=make_document())
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=people["ap_manager"], request=request)
    assert caught.value.code == "sod_self_approval"
    assert "maker-checker" in caught.value.message


@pytest.mark.django_db
def test_requester_named_by_the_document_cannot_approve(people, managers, policy, make_document):
    document = make_document(requester=managers[0])
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    assert request.requester == managers[0]
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=managers[0], request=request)
    assert caught.value.code == "sod_self_approval"


@pytest.mark.django_db
def test_document_creator_cannot_approve(people, managers, policy, make_document):
    request = approval_request_submit(
        actor=people["ap_clerk"], document_type=DOC, document=make_document(creator=managers[0])
    )
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=managers[0], request=request)
    assert caught.value.code == "sod_maker_checker"
    approval_request_approve(actor=managers[1], request=request)


@pytest.mark.django_db
def test_last_changer_cannot_approve_even_after_submission(people, managers, policy, make_document):
    document = make_document()
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=document)
    cost_center_update(actor=managers[1], cost_center=document, name="changed after submission")
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=managers[1], request=request)
    assert caught.value.code == "sod_maker_checker"


@pytest.mark.django_db
def test_conflict_rule_blocks_within_the_window_and_names_the_rule(people, policy, bank_rule, make_document):
    ledger_entry_record(
        actor=SYSTEM,
        user=people["ap_manager"],
        action="vendor.bank_changed",
        subject=VENDOR,
        occurred_at=timezone.now() - timedelta(days=10),
    )
    request = approval_request_submit(
        actor=people["ap_clerk"], document_type=DOC, document=make_document(subjects=(VENDOR,))
    )
    with pytest.raises(NotAllowedError) as caught:
        approval_request_approve(actor=people["ap_manager"], request=request)
    assert caught.value.code == "sod_conflict_rule"
    assert "bank-change-vs-approval" in caught.value.message
    assert caught.value.extra["rule"] == "sod_conflict_rule:bank-change-vs-approval"


@pytest.mark.django_db
def test_conflict_rule_does_not_block_outside_the_window_or_for_another_subject(
    people, policy, bank_rule, make_document
):
    ledger_entry_record(
        actor=SYSTEM,
        user=people["ap_manager"],
        action="vendor.bank_changed",
        subject=VENDOR,
        occurred_at=timezone.now() - timedelta(days=31),
    )
    ledger_entry_record(actor=SYSTEM, user=people["ap_manager"], action="vendor.bank_changed", subject="vendor:8")
    request = approval_request_submit(
        actor=people["ap_clerk"], document_type=DOC, document=make_document(subjects=(VENDOR,))
    )
    assert approval_request_approve(actor=people["ap_manager"], request=request).status == RequestStatus.APPROVED


@pytest.mark.django_db
def test_blocked_attempts_are_recorded_with_the_rule_and_attributed(people, policy, make_document):
    request = approval_request_submit(actor=people["ap_manager"], document_type=DOC, document=make_document())
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=people["ap_manager"], request=request, comment="mine")
    attempt = BlockedAttempt.objects.get()
    assert (attempt.actor, attempt.rule, attempt.decision, attempt.request_id) == (
        people["ap_manager"],
        "sod_self_approval",
        "approve",
        request.pk,
    )
    assert attempt.history.get().history_user_id == people["ap_manager"].pk
    assert not ApprovalDecision.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_blocked_attempt_survives_the_rolled_back_decision(people, policy, make_document):
    request = approval_request_submit(actor=people["ap_manager"], document_type=DOC, document=make_document())
    with pytest.raises(NotAllowedError):
        approval_request_approve(actor=people["ap_manager"], request=request)
    assert BlockedAttempt.objects.filter(request=request, rule="sod_self_approval").count() == 1
    assert not ApprovalDecision.objects.filter(request=request).exists()


@pytest.mark.django_db
def test_role_conflict_report_lists_a_vendor_steward_who_is_also_an_ap_clerk(people, north, south):
    steward = people["vendor_steward"]
    role_grant(actor=SYSTEM, user=steward, role=Role.AP_CLERK, facility=south)  # another facility: no conflict
    assert [c.user for c in role_conflicts()] == []
    role_grant(actor=SYSTEM, user=steward, role=Role.AP_CLERK, facility=north)
    conflicts = role_conflicts()
    assert [(c.user, c.facility, c.roles) for c in conflicts] == [(steward, north, ("vendor_steward", "ap_clerk"))]
    out = StringIO()
    call_command("approvals_role_conflicts", stdout=out)
    assert "vendor_steward_user\tNORTH\tvendor_steward + ap_clerk" in out.getvalue()
