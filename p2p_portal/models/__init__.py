"""Platform models: organisation, API clients, idempotency records, task heartbeats."""

from p2p_portal.models.clients import ApiClient, ApiToken
from p2p_portal.models.heartbeat import TaskHeartbeat
from p2p_portal.models.idempotency import IdempotencyRecord
from p2p_portal.models.notifications import Notification
from p2p_portal.models.org import CostCenter, Facility, RoleAssignment
from p2p_portal.models.outbox import OutboxEvent

__all__ = [
    "ApiClient",
    "ApiToken",
    "CostCenter",
    "Facility",
    "IdempotencyRecord",
    "Notification",
    "OutboxEvent",
    "RoleAssignment",
    "TaskHeartbeat",
]

# Users are a platform concern: their changes (activation, staff flags, names) are audited like any record.
# The password hash and last_login are left out: one is a secret, the other changes on every login.
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history import register

from p2p_portal.audit.history import AuditedHistoricalRecords, AuditedHistoryBase

register(
    get_user_model(),
    app="p2p_portal",
    records_class=AuditedHistoricalRecords,
    bases=[AuditedHistoryBase],
    excluded_fields=["password", "last_login"],
)

# Second-factor devices: enrolment, confirmation and removal are security events auditors ask for.
# The TOTP secret never enters the history; nor do the counters that change on every use.
register(
    TOTPDevice,
    app="p2p_portal",
    records_class=AuditedHistoricalRecords,
    bases=[AuditedHistoryBase],
    excluded_fields=[
        "key",
        "last_t",
        "drift",
        "throttling_failure_timestamp",
        "throttling_failure_count",
        "last_used_at",
    ],
)
