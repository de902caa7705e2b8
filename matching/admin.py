"""Admin of matching: tolerance rules, saved through the service with the admin user and a reason; never deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from matching.forms import RULE_FIELDS, reason_field, unspsc_clean
from matching.models import ToleranceRule
from matching.services.tolerances import tolerance_rule_save


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
