"""Admin of matching: tolerance rules, workbench queues and authority limits saved with the admin user and a reason
(never deleted); work items and their actions shown read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from matching.forms import RULE_FIELDS, reason_field, unspsc_clean
from matching.models import AuthorityLimit, ExceptionCode, ToleranceRule, WorkAction, WorkItem, WorkQueue
from matching.services.tolerances import tolerance_rule_save
from p2p_portal.audit.context import acting_as


class ToleranceRuleAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """Every field of a rule (the version is the service's) and the reason the history records."""

    reason = reason_field()

    class Meta:
        model = ToleranceRule
        fields = RULE_FIELDS

    def clean_category(self) -> str:
        """Eight digits or nothing."""
        return unspsc_clean(self.cleaned_data.get("category", ""))


@admin.register(ToleranceRule)
class ToleranceRuleAdmin(SimpleHistoryAdmin):
    """Tolerance rules; a change of scope or limits bumps the version the exceptions record."""

    form = ToleranceRuleAdminForm
    list_display = (
        "name",
        "scope",
        "facility",
        "vendor",
        "category",
        "price_pct",
        "price_abs",
        "header_total_abs",
        "version",
        "active",
    )
    list_filter = ("scope", "active", "facility")
    search_fields = ("name", "category", "vendor__number", "vendor__legal_name")
    readonly_fields = ("version",)
    raw_id_fields = ("vendor",)

    def save_model(self, request: HttpRequest, obj: ToleranceRule, form: Any, change: bool) -> None:
        """Save through the service, attributed to the admin user with the reason given."""
        tolerance_rule_save(actor=request.user, rule=obj, reason=form.cleaned_data["reason"])

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Exceptions point at the rule that judged them: deactivate instead."""
        return False


# --- AP workbench: queues and authority limits are configuration; items and actions are evidence -----------------
class ReasonedAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """A configuration form with the reason its history records."""

    reason = reason_field()


class WorkQueueAdminForm(ReasonedAdminForm):
    """A queue's settings and the reason for the change."""

    class Meta:
        model = WorkQueue
        fields = ["code", "name", "facilities", "exception_codes", "priority", "group", "position", "active"]

    def clean_exception_codes(self) -> list[str]:
        """A list of known exception codes."""
        codes = self.cleaned_data.get("exception_codes") or []
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise forms.ValidationError('A list of exception codes, e.g. ["price_variance", "qty_over_received"].')
        unknown = sorted(set(codes) - set(ExceptionCode.values))
        if unknown:
            raise forms.ValidationError(f"Unknown exception codes: {', '.join(unknown)}.")
        return codes


class AuthorityLimitAdminForm(ReasonedAdminForm):
    """A role's variance limit at a facility (or everywhere) and the reason for the change."""

    class Meta:
        model = AuthorityLimit
        fields = ["role", "facility", "max_variance"]


class ReasonedHistoryAdmin(SimpleHistoryAdmin):
    """Saves attributed to the admin user with the reason given (the history row says who and why); never deleted."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Validate and save with the admin user and the reason on the history row."""
        obj.full_clean()
        with acting_as(request.user, reason=form.cleaned_data["reason"]):
            obj.save()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many fields (a queue's facilities) saved under the same actor and reason."""
        with acting_as(request.user, reason=form.cleaned_data["reason"]):
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Items and their history point at these rows: deactivate or change instead."""
        return False


@admin.register(WorkQueue)
class WorkQueueAdmin(ReasonedHistoryAdmin):
    """Workbench queues: which exception codes each takes at which facilities, how urgent, who works it."""

    form = WorkQueueAdminForm
    list_display = ("name", "code", "priority", "group", "position", "active")
    list_filter = ("priority", "active", "group")
    search_fields = ("name", "code")
    filter_horizontal = ("facilities",)


@admin.register(AuthorityLimit)
class AuthorityLimitAdmin(ReasonedHistoryAdmin):
    """How large a variance each role accepts alone, per facility or network-wide."""

    form = AuthorityLimitAdminForm
    list_display = ("role", "facility", "max_variance")
    list_filter = ("role", "facility")


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Evidence: shown, never added, changed or deleted here (the workbench's services write it)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Written by the workbench only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Read-only."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Read-only."""
        return False


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    """Work items, one per invoice with open exceptions."""

    list_display = ("invoice", "facility", "queue", "state", "opened_at", "due_at", "claimed_by", "lease_expires_at")
    list_filter = ("state", "facility", "queue")
    search_fields = ("invoice__invoice_number",)
    list_select_related = ("invoice", "facility", "queue", "claimed_by")


@admin.register(WorkAction)
class WorkActionAdmin(ReadOnlyAdmin):
    """What was done to each work item, by whom, why."""

    list_display = ("occurred_at", "kind", "invoice", "actor", "reason_code", "amount")
    list_filter = ("kind", "facility")
    search_fields = ("invoice__invoice_number", "note")
    list_select_related = ("invoice", "actor")
