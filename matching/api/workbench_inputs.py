"""Input serializers of the workbench API: one small serializer per action, whose fields are the service's keyword
arguments (reason codes are the reasons lists of the services, so the API offers exactly what the UI offers)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.services.workbench.reasons import (
    ACCEPT_REASONS,
    CREDIT_MEMO_REASONS,
    DUPLICATE_DISMISS_REASONS,
    HOLD_REASONS,
    REASSIGN_REASONS,
    RECEIPT_REASONS,
    REJECT_REASONS,
)
from matching.workbench_selectors import VIEW_STATES

BULK_LIMIT = 200
NOTE_LENGTH = 2000


def _reasons(reasons: dict[str, str]) -> serializers.ChoiceField:
    """A reason code from one action's list (the labels are what the UI shows)."""
    return serializers.ChoiceField(choices=list(reasons.items()), help_text="Why; `other` needs a note.")


def _note(required: bool = False, help_text: str = "") -> serializers.CharField:
    return serializers.CharField(
        max_length=NOTE_LENGTH,
        required=required,
        allow_blank=not required,
        default=serializers.empty if required else "",
        help_text=help_text or "Free text kept with the action.",
    )


class WorkNoteInputSerializer(serializers.Serializer):
    """An action whose only input is an optional note (confirm a duplicate, take off hold)."""

    note = _note()


class WorkCommentInputSerializer(serializers.Serializer):
    """A comment on the item's timeline."""

    note = _note(required=True, help_text="The comment.")


class WorkAcceptVarianceInputSerializer(serializers.Serializer):
    """Accept the invoice's open variances, or only those listed in `exception_ids`."""

    reason_code = _reasons(ACCEPT_REASONS)
    note = _note()
    exception_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=500,
        help_text="The open variance exceptions to accept; leave out to accept them all.",
    )


class WorkCreditMemoInputSerializer(serializers.Serializer):
    """Ask the vendor for a credit memo covering the open variances."""

    reason_code = _reasons(CREDIT_MEMO_REASONS)
    note = _note(help_text="Added to the email the vendor receives.")


class WorkRouteForReceiptInputSerializer(serializers.Serializer):
    """Ask the buyer or receiver to confirm what was received."""

    reason_code = _reasons(RECEIPT_REASONS)
    to_email = serializers.EmailField(help_text="The buyer's or receiver's email address.")
    note = _note(help_text="Added to the email the buyer or receiver receives.")


class WorkDismissDuplicateInputSerializer(serializers.Serializer):
    """The invoice is not a duplicate of the one it resembles."""

    reason_code = _reasons(DUPLICATE_DISMISS_REASONS)
    note = _note()


class WorkHoldInputSerializer(serializers.Serializer):
    """Put the item on hold until a review date (at most 90 days ahead)."""

    reason_code = _reasons(HOLD_REASONS)
    review_on = serializers.DateField(help_text="When the item is back in its queue.")
    note = _note()


class WorkRejectInputSerializer(serializers.Serializer):
    """Reject the invoice; the note is what the vendor is told."""

    reason_code = _reasons(REJECT_REASONS)
    note = _note(required=True, help_text="What the vendor is told (required).")


@extend_schema_field(OpenApiTypes.STR)
class UserReferenceField(serializers.Field):
    """A person named by username or by id."""

    default_error_messages = {"unknown": "No active user {value!r} (give a username or an id)."}

    def to_internal_value(self, data: Any) -> User:
        text = str(data).strip()
        users = User.objects.filter(is_active=True)
        found = users.filter(pk=int(text)).first() if text.isdigit() else None
        found = found or users.filter(username=text).first()
        if found is None:
            raise serializers.ValidationError(self.error_messages["unknown"].format(value=text), code="unknown")
        return found

    def to_representation(self, value: User) -> str:
        return value.get_username()


class WorkReassignInputSerializer(serializers.Serializer):
    """Give the item to another clerk who works its queue (AP managers)."""

    to = UserReferenceField(help_text="The clerk's username or id.")
    reason_code = _reasons(REASSIGN_REASONS)
    note = _note()


# The input of each bulk action: the same serializer as the single action's (bulk checks each item the same way).
BULK_INPUTS: dict[str, type[serializers.Serializer]] = {
    "accept_variance": WorkAcceptVarianceInputSerializer,
    "request_credit_memo": WorkCreditMemoInputSerializer,
    "route_for_receipt": WorkRouteForReceiptInputSerializer,
    "confirm_duplicate": WorkNoteInputSerializer,
    "dismiss_duplicate": WorkDismissDuplicateInputSerializer,
    "hold": WorkHoldInputSerializer,
    "reject": WorkRejectInputSerializer,
    "comment": WorkCommentInputSerializer,
    "reassign": WorkReassignInputSerializer,
}


class WorkBulkInputSerializer(serializers.Serializer):
    """One decision for many items: `params` are the single action's fields (e.g. reason_code, note)."""

    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=BULK_LIMIT, help_text="Work item ids."
    )
    action = serializers.ChoiceField(choices=sorted(BULK_INPUTS))
    params = serializers.DictField(required=False, default=dict, help_text="The action's input, as for one item.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        params = BULK_INPUTS[attrs["action"]](data=attrs["params"])
        if not params.is_valid():
            raise serializers.ValidationError({"params": params.errors})
        attrs["params"] = dict(params.validated_data)
        attrs["items"] = list(dict.fromkeys(attrs["items"]))  # each item once, in the order given
        return attrs


class WorkItemListQuerySerializer(serializers.Serializer):
    """Filters of the item list."""

    queue = serializers.IntegerField(required=False, min_value=1, help_text="A queue id.")
    view = serializers.ChoiceField(
        choices=sorted(VIEW_STATES), default="open", help_text="open, waiting (credit memo, receipt, approval), on_hold"
    )
    mine = serializers.BooleanField(required=False, default=False, help_text="Only items whose lease I hold.")
