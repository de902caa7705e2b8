"""Every write of the approval engine: policies, requests and decisions, delegations, SoD rules and evidence.

Decision services lock the request row (`select_for_update`) before they count anything, so two concurrent
decisions on one step are serialised and cannot both count. Segregation-of-duties refusals raise `SodBlockedError`
(a `NotAllowedError` whose code names the rule) and are recorded as a `BlockedAttempt` after the deciding
transaction has rolled back, so the evidence survives the refusal.
"""

from approvals.services._common import SodBlockedError
from approvals.services.delegation import delegation_create, delegation_revoke
from approvals.services.escalation import EscalationRun, approvals_escalate_overdue, escalation_manager
from approvals.services.notify import (
    approval_request_notify_requester,
    approval_request_notify_waiting,
    step_approvers,
)
from approvals.services.policies import StepSpec, policy_create, policy_save, policy_step_delete, policy_step_save
from approvals.services.requests import (
    approval_request_approve,
    approval_request_reassign,
    approval_request_reject,
    approval_request_request_info,
    approval_request_resubmit,
    approval_request_submit,
    approval_request_withdraw,
)
from approvals.services.sod import blocked_attempt_record, conflict_rule_save, ledger_entry_record

__all__ = [
    "EscalationRun",
    "SodBlockedError",
    "StepSpec",
    "approval_request_approve",
    "approval_request_notify_requester",
    "approval_request_notify_waiting",
    "approval_request_reassign",
    "approval_request_reject",
    "approval_request_request_info",
    "approval_request_resubmit",
    "approval_request_submit",
    "approval_request_withdraw",
    "approvals_escalate_overdue",
    "blocked_attempt_record",
    "conflict_rule_save",
    "delegation_create",
    "delegation_revoke",
    "escalation_manager",
    "ledger_entry_record",
    "policy_create",
    "policy_save",
    "policy_step_delete",
    "policy_step_save",
    "step_approvers",
]
