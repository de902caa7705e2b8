"""Browser forms of the approvals section."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.models import User

from approvals.registry import registered
from p2p_portal.models import Facility


class DecisionForm(forms.Form):
    """One decision from the inbox: which, and the comment, reason or question that goes with it."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject"), ("request_info", "Request info")]
    )
    text = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    on_behalf_of = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DelegationForm(forms.Form):
    """Out of office: who decides for me, when, for what."""

    delegate: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Who decides for you"
    )
    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Until (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    facility = forms.ModelChoiceField(
        queryset=Facility.objects.filter(active=True), required=False, empty_label="All my facilities"
    )
    document_types = forms.MultipleChoiceField(
        required=False, label="Only for", widget=forms.CheckboxSelectMultiple, help_text="Leave empty for every type."
    )
    reason = forms.CharField(max_length=300)

    def __init__(self, *args: Any, delegates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = delegates  # type: ignore[attr-defined]
        self.fields["document_types"].choices = [(t.code, t.label) for t in registered()]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts: date | None = cleaned.get("starts_on")
        ends: date | None = cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The end is before the start.")
        return cleaned
