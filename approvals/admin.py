"""Admin of approvals: policies with steps, conflict rules, read-only evidence; saves go through services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from approvals import services
from approvals.models import BlockedAttempt, ConflictRule, Delegation, LedgerEntry, Policy, PolicyStep
from approvals.selectors import delegation_list

if TYPE_CHECKING:
    StepInlineBase = admin.TabularInline[PolicyStep, Policy]
else:
    StepInlineBase = admin.TabularInline


class PolicyStepInline(StepInlineBase):
    """The ordered steps of a policy."""

    model = PolicyStep
    extra = 0
    fields = ("position", "role", "user", "approvals_required")


@admin.register(Policy)
class PolicyAdmin(SimpleHistoryAdmin):
    """Policies; every change (steps included) bumps the version the requests record."""

    list_display = (
        "name",
        "document_type",
        "facility",
        "cost_center",
        "min_amount",
        "max_amount",
        "risk_level",
        "version",
        "active",
    )
    list_filter = ("document_type", "active", "risk_level")
    readonly_fields = ("version",)
    inlines = (PolicyStepInline,)

    def save_model(self, request: HttpRequest, obj: Policy, form: ModelForm[Policy], change: bool) -> None:
        services.policy_save(actor=request.user, policy=obj, reason="changed in the admin")

    def save_formset(
        self, request: HttpRequest, form: Any, formset: BaseInlineFormSet[Any, Any, Any], change: bool
    ) -> None:
        steps = formset.save(commit=False)
        for step in formset.deleted_objects:
            services.policy_step_delete(actor=request.user, step=step, reason="removed in the admin")
        for step in steps:
            services.policy_step_save(actor=request.user, step=step, reason="changed in the admin")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # requests point at the policy that routed them: deactivate instead


@admin.register(ConflictRule)
class ConflictRuleAdmin(SimpleHistoryAdmin):
    """Conflict rules between ledger actions and approvals."""

    list_display = ("code", "ledger_action", "window_days", "active")

    def save_model(self, request: HttpRequest, obj: ConflictRule, form: Any, change: bool) -> None:
        services.conflict_rule_save(actor=request.user, rule=obj, reason="changed in the admin")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Evidence and records written only by services: readable, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    """Delegations, read-only; a manager sees those of people at their facilities."""

    list_display = ("delegator", "delegate", "starts_on", "ends_on", "facility", "revoked_at", "reason")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delegation]:
        if request.user.is_superuser:
            return Delegation.objects.all()
        return delegation_list(user=request.user)


@admin.register(BlockedAttempt)
class BlockedAttemptAdmin(ReadOnlyAdmin):
    """Decisions refused by segregation of duties, with the rule."""

    list_display = ("attempted_at", "actor", "acting_for", "decision", "rule", "request")
    list_filter = ("rule", "decision")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """Actions consumers recorded for conflict rules."""

    list_display = ("occurred_at", "user", "action", "subject", "facility")
    list_filter = ("action",)
