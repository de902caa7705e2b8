"""Browser forms of the AP workbench: one small form per clerk action (reason select and note), and the bulk form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from matching.services.workbench.reasons import (
    ACCEPT_REASONS,
    CREDIT_MEMO_REASONS,
    DUPLICATE_DISMISS_REASONS,
    HOLD_REASONS,
    REASSIGN_REASONS,
    RECEIPT_REASONS,
    REJECT_REASONS,
)

NOTE_MAX_LENGTH = 2000


def _reason(reasons: dict[str, str], label: str = "Reason") -> forms.ChoiceField:
    """A reason select over one action's reason codes (an empty first choice, so nobody sends one by accident)."""
    return forms.ChoiceField(
        label=label,
        choices=[("", "Choose a reason\u2026"), *reasons.items()],
        error_messages={"required": "Choose a reason."},
    )


def _note(*, required: bool = False, label: str = "Note", help_text: str = "") -> forms.CharField:
    """The free-text note recorded with the action."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=NOTE_MAX_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write a note."},
    )


class AcceptVarianceForm(forms.Form):
    """Accept the invoice's open variances."""

    reason_code = _reason(ACCEPT_REASONS)
    note = _note()


class CreditMemoForm(forms.Form):
    """Ask the vendor for a credit memo."""

    reason_code = _reason(CREDIT_MEMO_REASONS)
    note = _note(help_text="Sent to the vendor with the request.")


class RouteReceiptForm(forms.Form):
    """Ask the buyer or receiver to confirm the receipt."""

    reason_code = _reason(RECEIPT_REASONS)
    to_email = forms.EmailField(label="Buyer's or receiver's email", max_length=254)
    note = _note()


class ConfirmDuplicateForm(forms.Form):
    """Confirm the invoice is a duplicate (it is rejected)."""

    note = _note()


class DismissDuplicateForm(forms.Form):
    """Not a duplicate."""

    reason_code = _reason(DUPLICATE_DISMISS_REASONS)
    note = _note()


def _default_review_on() -> Any:
    """A week from today: the usual review date of a hold."""
    return timezone.localdate() + timedelta(days=7)


class HoldForm(forms.Form):
    """Put the item on hold until a review date."""

    reason_code = _reason(HOLD_REASONS)
    review_on = forms.DateField(
        label="Review on",
        initial=_default_review_on,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Choose a review date.", "invalid": "Enter a date (YYYY-MM-DD)."},
    )
    note = _note()


class ReleaseHoldForm(forms.Form):
    """Take the item off hold."""

    note = _note()


class RejectForm(forms.Form):
    """Reject the invoice; the note goes to the vendor."""

    reason_code = _reason(REJECT_REASONS)
    note = _note(required=True, label="Message to the vendor", help_text="Goes to the vendor: say what to fix.")


class CommentForm(forms.Form):
    """A comment on the item's timeline."""

    note = _note(required=True, label="Comment")


class ReleaseForm(forms.Form):
    """Give the item back to its queue (nothing to fill in)."""


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A person, shown by name."""

    def label_from_instance(self, obj: Any) -> str:
        """Full name, or the username when there is none."""
        return str(obj.get_full_name() or obj.username)


class ReassignForm(forms.Form):
    """An AP manager gives the item to another clerk."""

    to = PersonChoiceField(
        queryset=User.objects.none(), label="Give to", error_messages={"required": "Choose who takes it."}
    )
    reason_code = _reason(REASSIGN_REASONS)
    note = _note()

    def __init__(self, *args: Any, candidates: QuerySet[User] | None = None, **kwargs: Any) -> None:
        """`candidates`: the people who may work the item."""
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["to"]).queryset = (
            candidates if candidates is not None else User.objects.none()
        )


# Bulk: the same decision for many items. Reasons grouped by action; the action picks which group applies.
BULK_CHOICES: list[tuple[str, str]] = [
    ("accept_variance", "Accept variance"),
    ("request_credit_memo", "Request credit memo"),
    ("route_for_receipt", "Route for receipt"),
    ("confirm_duplicate", "Confirm duplicate"),
    ("dismiss_duplicate", "Dismiss duplicate"),
    ("hold", "Hold"),
    ("reject", "Reject"),
    ("comment", "Comment"),
    ("reassign", "Reassign"),
]
BULK_REASONS: dict[str, dict[str, str]] = {
    "accept_variance": ACCEPT_REASONS,
    "request_credit_memo": CREDIT_MEMO_REASONS,
    "route_for_receipt": RECEIPT_REASONS,
    "dismiss_duplicate": DUPLICATE_DISMISS_REASONS,
    "hold": HOLD_REASONS,
    "reject": REJECT_REASONS,
    "reassign": REASSIGN_REASONS,
}
BULK_LIMIT = 50


class BulkForm(forms.Form):
    """One action with the same reason and note for the checked items."""

    action = forms.ChoiceField(label="Action", choices=[("", "Choose an action\u2026"), *BULK_CHOICES])
    items = forms.TypedMultipleChoiceField(coerce=int, choices=[], error_messages={"required": "Tick some items."})
    reason_code = forms.CharField(label="Reason", required=False)
    review_on = forms.DateField(
        label="Review on (hold)", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    to_email = forms.EmailField(label="Email (route for receipt)", required=False)
    to = PersonChoiceField(queryset=User.objects.none(), label="Give to (reassign)", required=False)
    note = forms.CharField(label="Note", required=False, max_length=NOTE_MAX_LENGTH)

    def __init__(
        self, *args: Any, item_ids: list[int], candidates: QuerySet[User] | None = None, **kwargs: Any
    ) -> None:
        """`item_ids`: the items the bulk form may name (those the person sees in this queue)."""
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["items"]).choices = [(str(pk), str(pk)) for pk in item_ids]
        if candidates is not None:
            cast(PersonChoiceField, self.fields["to"]).queryset = candidates
        else:  # reassigning is for AP managers
            del self.fields["to"]
            cast(forms.ChoiceField, self.fields["action"]).choices = [
                ("", "Choose an action\u2026"),
                *(choice for choice in BULK_CHOICES if choice[0] != "reassign"),
            ]

    def clean(self) -> dict[str, Any]:
        """Each action's own required inputs (the services check them again per item)."""
        data = super().clean() or {}
        action = data.get("action", "")
        reasons = BULK_REASONS.get(action)
        if reasons is not None and data.get("reason_code") not in reasons:
            self.add_error("reason_code", f"Choose a reason for \u201c{dict(BULK_CHOICES)[action].lower()}\u201d.")
        if action == "hold" and not data.get("review_on"):
            self.add_error("review_on", "Choose a review date.")
        if action == "route_for_receipt" and not data.get("to_email"):
            self.add_error("to_email", "Enter the buyer's or receiver's email address.")
        if action == "reassign" and not data.get("to"):
            self.add_error("to", "Choose who takes them.")
        if action in ("reject", "comment") and not (data.get("note") or "").strip():
            self.add_error("note", "Write a note.")
        if len(data.get("items") or []) > BULK_LIMIT:
            self.add_error("items", f"At most {BULK_LIMIT} items at a time.")
        return data

    def params(self) -> dict[str, Any]:
        """The service's keyword arguments for the chosen action (besides actor and item)."""
        data = self.cleaned_data
        action = data["action"]
        params: dict[str, Any] = {"note": data.get("note") or ""}
        if action in BULK_REASONS:
            params["reason_code"] = data["reason_code"]
        if action == "hold":
            params["review_on"] = data["review_on"]
        if action == "route_for_receipt":
            params["to_email"] = data["to_email"]
        if action == "reassign":
            params["to"] = data["to"]
        return params
