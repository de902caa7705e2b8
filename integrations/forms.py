"""Forms of the integrations console: list filters, run now, replay of many, discard with a reason."""

from __future__ import annotations

from typing import Any

from django import forms

from integrations.models import DeadLetterStatus, DeliveryStatus, Direction, ExternalSystem, SyncRunStatus
from integrations.services.sync import ENTITIES

REASON_MAX = 500


def _system_choices() -> list[tuple[str, str]]:
    """Every system by code (systems are network-wide: whoever reads the console reads them all)."""
    return [("", "Any system"), *ExternalSystem.objects.order_by("code").values_list("code", "name")]


def _entity_choices() -> list[tuple[str, str]]:
    """Every entity inbound sync pulls."""
    return [("", "Any entity"), *((name, name.replace("_", " ")) for name in ENTITIES)]


class _FilterForm(forms.Form):
    """A GET filter whose unknown values are ignored rather than refused (a stale link still opens)."""

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        if "system" in self.fields:
            self.fields["system"].choices = _system_choices()  # type: ignore[attr-defined]

    def values(self) -> dict[str, str]:
        """Every filter's valid value ("" when absent or unknown), for the selectors and the pager links."""
        self.is_valid()  # fills cleaned_data with the fields that are valid, drops the others
        cleaned = getattr(self, "cleaned_data", {})
        return {name: str(cleaned.get(name) or "") for name in self.fields}


class SyncRunFilterForm(_FilterForm):
    """Sync runs by system, entity and status."""

    system = forms.ChoiceField(required=False)
    entity = forms.ChoiceField(required=False, choices=_entity_choices)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *SyncRunStatus.choices])


class DeliveryFilterForm(_FilterForm):
    """Deliveries by status and system."""

    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *DeliveryStatus.choices])
    system = forms.ChoiceField(required=False)


class DeadLetterFilterForm(_FilterForm):
    """Dead letters by status, system, direction and entity."""

    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *DeadLetterStatus.choices])
    system = forms.ChoiceField(required=False)
    direction = forms.ChoiceField(required=False, choices=[("", "Either direction"), *Direction.choices])


class RunNowForm(forms.Form):
    """Which entity of a system to sync now."""

    entity = forms.CharField(max_length=30)


class ReplayManyForm(forms.Form):
    """The dead letters ticked for replay."""

    letters = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "Tick at least one dead letter."})

    def __init__(self, data: Any = None, *, letter_ids: list[int], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["letters"].choices = [(pk, str(pk)) for pk in letter_ids]  # type: ignore[attr-defined]


class DiscardForm(forms.Form):
    """Why a dead letter is dropped for good (kept on the record and in its history)."""

    reason = forms.CharField(
        max_length=REASON_MAX,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say why this dead letter is discarded.",
            "min_length": "Say why this dead letter is discarded (5 characters at least).",
        },
        help_text="Why nothing needs to be done with it: kept on the dead letter and in the audit trail.",
    )

    def clean_reason(self) -> str:
        """A reason of blanks is no reason."""
        reason = " ".join(str(self.cleaned_data["reason"]).split())
        if len(reason) < 5:
            raise forms.ValidationError("Say why this dead letter is discarded (5 characters at least).")
        return reason
