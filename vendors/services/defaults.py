"""The approval set-up vendor governance needs, ensured when the first change request is routed: the policies
that route vendor changes and bank-account changes, and the SoD conflict rule on bank changes. Existing ones are
left as they are, so procurement admins' own policies and edits are never overridden."""

from __future__ import annotations

from django.db import transaction

from approvals.models import ConflictRule, Policy
from approvals.services import StepSpec, conflict_rule_save, policy_create
from p2p_portal.roles import Role
from vendors.services.bank import LEDGER_BANK_CHANGED, VENDOR_BANK_CHANGE
from vendors.services.changes import VENDOR_CHANGE

ACTOR = "system: vendors defaults"
BANK_CONFLICT_RULE = "bank-change-then-approve"


@transaction.atomic
def vendor_approval_defaults_ensure() -> None:
    """Create the default vendor policies and the bank-change conflict rule where none exist yet."""
    defaults = (
        ("Vendor changes: one procurement admin", VENDOR_CHANGE, 1),
        ("Vendor bank-account changes: two procurement admins", VENDOR_BANK_CHANGE, 2),
    )
    for name, document_type, approvals_required in defaults:
        if not Policy.objects.filter(document_type=document_type).exists():
            policy_create(
                actor=ACTOR,
                name=name,
                document_type=document_type,
                steps=[StepSpec(role=Role.PROCUREMENT_ADMIN, approvals_required=approvals_required)],
            )
    if not ConflictRule.objects.filter(code=BANK_CONFLICT_RULE).exists():
        conflict_rule_save(
            actor=ACTOR,
            rule=ConflictRule(
                code=BANK_CONFLICT_RULE,
                description="Whoever proposed a vendor's bank-account change may not approve that vendor's documents",
                ledger_action=LEDGER_BANK_CHANGED,
                document_types=[],
                window_days=90,
            ),
            reason="default conflict rule of vendor governance",
        )
