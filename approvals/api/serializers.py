"""Serializers of the approvals API: requests, decisions, inbox items, delegations, and each transition's input."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import ApprovalDecision, ApprovalRequest, Delegation
from p2p_portal.models import Facility


class _UsernameField(serializers.SlugRelatedField):
    """A person named by username (active accounts only)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", queryset=User.objects.filter(is_active=True), **kwargs)


class ApprovalRequestSerializer(serializers.ModelSerializer):
    """An approval request as the list shows it."""

    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    cost_center = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    policy = serializers.CharField(source="policy.name", read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "document_type",
            "document_id",
            "summary",
            "facility",
            "cost_center",
            "amount",
            "currency",
            "risk_level",
            "status",
            "requester",
            "submitted_by",
            "policy",
            "policy_version",
            "current_step",
            "assignee",
            "submitted_at",
            "closed_at",
        ]
        read_only_fields = fields


class ApprovalDecisionSerializer(serializers.ModelSerializer):
    """One decision on a request: who, for whom, what, why and when."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    acting_for = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = ["id", "step_position", "decision", "actor", "acting_for", "assigned_to", "comment", "decided_at"]
        read_only_fields = fields


class ApprovalRequestDetailSerializer(ApprovalRequestSerializer):
    """An approval request with its open question, the answer and every decision, oldest first."""

    decisions = ApprovalDecisionSerializer(many=True, read_only=True)

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [*ApprovalRequestSerializer.Meta.fields, "info_question", "info_answer", "decisions"]
        read_only_fields = fields


class InboxStepSerializer(serializers.Serializer):
    """The step a request waits on and who it needs: a role at the facility, a named user, or a reassignee."""

    position = serializers.IntegerField()
    role = serializers.CharField()
    user = serializers.CharField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    approvals_required = serializers.IntegerField()


class InboxItemSerializer(serializers.Serializer):
    """A request waiting on a decision the caller may take now, in their own right or for a delegator."""

    id = serializers.IntegerField(source="request.id")
    document_type = serializers.CharField(source="request.document_type")
    document_id = serializers.CharField(source="request.document_id")
    summary = serializers.CharField(source="request.summary")
    facility = serializers.CharField(source="request.facility.code")
    amount = serializers.DecimalField(source="request.amount", max_digits=14, decimal_places=2)
    currency = serializers.CharField(source="request.currency")
    risk_level = serializers.CharField(source="request.risk_level")
    requester = serializers.CharField(source="request.requester.username")
    submitted_at = serializers.DateTimeField(source="request.submitted_at")
    step = serializers.SerializerMethodField()
    acting_for = serializers.SerializerMethodField(help_text="The delegator's username when deciding for them.")
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()

    @extend_schema_field(InboxStepSerializer)
    def get_step(self, item: Any) -> dict[str, Any]:
        step, request = item.step, item.request
        return dict(
            InboxStepSerializer(
                {
                    "position": step.position,
                    "role": step.role,
                    "user": step.user.username if step.user_id else None,
                    "assignee": request.assignee.username if request.assignee_id else None,
                    "approvals_required": step.approvals_required,
                }
            ).data
        )

    @extend_schema_field({"type": "string", "nullable": True})
    def get_acting_for(self, item: Any) -> str | None:
        return item.acting_for.username if item.acting_for is not None else None


class ApproveInputSerializer(serializers.Serializer):
    """Input of approve: an optional comment, and the delegator's username when acting for them."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")
    on_behalf_of = _UsernameField(required=False, allow_null=True, default=None)


class RejectInputSerializer(serializers.Serializer):
    """Input of reject: the reason is required."""

    reason = serializers.CharField()
    on_behalf_of = _UsernameField(required=False, allow_null=True, default=None)


class RequestInfoInputSerializer(serializers.Serializer):
    """Input of request-info: the question for the requester."""

    question = serializers.CharField()
    on_behalf_of = _UsernameField(required=False, allow_null=True, default=None)


class ResubmitInputSerializer(serializers.Serializer):
    """Input of resubmit: the requester's answer to the question."""

    answer = serializers.CharField()


class WithdrawInputSerializer(serializers.Serializer):
    """Input of withdraw: an optional reason."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReassignInputSerializer(serializers.Serializer):
    """Input of reassign (managers): who decides the current step from now on, and why."""

    to = _UsernameField()
    reason = serializers.CharField()


class DelegationSerializer(serializers.ModelSerializer):
    """A delegation: who decides for whom, when, for which document types and facility."""

    delegator = serializers.SlugRelatedField(slug_field="username", read_only=True)
    delegate = serializers.SlugRelatedField(slug_field="username", read_only=True)
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    document_types = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Delegation
        fields = [
            "id",
            "delegator",
            "delegate",
            "starts_on",
            "ends_on",
            "document_types",
            "facility",
            "reason",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = fields


class DelegationCreateSerializer(serializers.Serializer):
    """Input of POST /delegations/: the delegator defaults to the caller (managers may name someone else)."""

    delegate = _UsernameField()
    delegator = _UsernameField(required=False, allow_null=True, default=None)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField(max_length=300)
    document_types = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    facility = serializers.SlugRelatedField(
        slug_field="code", queryset=Facility.objects.all(), required=False, allow_null=True, default=None
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["ends_on"] < attrs["starts_on"]:
            raise serializers.ValidationError({"ends_on": "The delegation must not end before it starts."})
        return attrs


class DelegationRevokeSerializer(serializers.Serializer):
    """Input of revoke: why the delegation ends now."""

    reason = serializers.CharField()
