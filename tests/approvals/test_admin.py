"""The admin of approvals opens, and a policy saved there gets its version bumped and its actor recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals.models import Policy
from approvals.services import StepSpec, policy_create
from p2p_portal.roles import Role
from tests.approvals.conftest import DOC
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["policy", "conflictrule", "delegation", "blockedattempt", "ledgerentry"])
def test_changelists_open(staff_client, model):
    assert staff_client.get(reverse(f"admin:approvals_{model}_changelist")).status_code == 200


def test_policy_edited_in_the_admin_is_versioned_and_attributed(staff_client, staff, people):
    policy = policy_create(actor=SYSTEM, name="p", document_type=DOC, steps=[StepSpec(role=Role.AP_MANAGER)])
    step = policy.steps.get()
    response = staff_client.post(
        reverse("admin:approvals_policy_change", args=[policy.pk]),
        {
            "name": "p renamed",
            "document_type": DOC,
            "facility": "",
            "cost_center": "",
            "min_amount": "",
            "max_amount": "",
            "risk_level": "",
            "active": "on",
            "escalation": "add_manager_step",
            "steps-TOTAL_FORMS": "1",
            "steps-INITIAL_FORMS": "1",
            "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "1000",
            "steps-0-id": str(step.pk),
            "steps-0-policy": str(policy.pk),
            "steps-0-position": "1",
            "steps-0-role": Role.AP_MANAGER,
            "steps-0-user": "",
            "steps-0-approvals_required": "2",
            "steps-0-sla_business_days": "2",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    policy = Policy.objects.get(pk=policy.pk)
    assert (policy.name, policy.version, policy.steps.get().approvals_required) == ("p renamed", 3, 2)
    assert policy.history.latest("history_id").history_user_id == staff.pk
