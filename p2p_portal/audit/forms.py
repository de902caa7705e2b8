"""The audit trail's filter form."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from p2p_portal.audit.entries import AuditFilters, object_type_choices, readable_facilities


class AuditFilterForm(forms.Form):
    """Filters of the audit list and its CSV export (all optional)."""

    object_type = forms.ChoiceField(label="Record type", required=False)
    object_id = forms.CharField(label="Record id", required=False, max_length=64)
    actor = forms.CharField(label="Actor", required=False, max_length=150, help_text="Username, API client or process")
    facility = forms.ChoiceField(label="Facility", required=False)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, principal: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["object_type"]).choices = [("", "Any record"), *object_type_choices()]
        cast(forms.ChoiceField, self.fields["facility"]).choices = [
            ("", "All my facilities"),
            *[(facility.code, str(facility)) for facility in readable_facilities(principal).order_by("code")],
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filters(self) -> AuditFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return AuditFilters(
            object_type=data.get("object_type") or "",
            object_id=(data.get("object_id") or "").strip(),
            actor=(data.get("actor") or "").strip(),
            facility=data.get("facility") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
