"""Browser forms of the workbench: tolerance rules and the "which rule applies?" question."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet

from matching.models import ToleranceRule, ToleranceScope
from p2p_portal.errors import ApplicationError
from p2p_portal.models import Facility
from vendors.models import Vendor

UNSPSC = re.compile(r"\d{8}")
REASON_REQUIRED = "Say why the tolerance changes."
# The history table keeps the change reason in a 100-character column.
REASON_MAX_LENGTH = 100


def unspsc_clean(value: str) -> str:
    """An UNSPSC commodity code as stored: exactly eight digits (spaces and dashes people type are dropped)."""
    compact = re.sub(r"[\s-]", "", value or "")
    if compact and not UNSPSC.fullmatch(compact):
        raise forms.ValidationError("An UNSPSC category is eight digits, e.g. 42131600.")
    return compact


def vendor_field(*, label: str = "Vendor number") -> forms.ModelChoiceField[Vendor]:
    """A vendor typed by its portal number (a list of every supplier would be thousands long)."""
    return forms.ModelChoiceField(
        queryset=Vendor.objects.all(),
        to_field_name="number",
        required=False,
        label=label,
        widget=forms.TextInput(attrs={"placeholder": "V-000123", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"invalid_choice": "No vendor has this number."},
    )


def errors_onto_form(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's refusal on the form: under its field when it names one, at the top otherwise."""
    placed = False
    for name, messages in error.errors.items():
        if name in form.fields:
            for message in messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# The fields of a rule people set (the version is the service's), for the page and the admin alike.
RULE_FIELDS = [
    "name",
    "scope",
    "facility",
    "vendor",
    "category",
    "price_pct",
    "price_abs",
    "accept_lower_price",
    "qty_over_received",
    "qty_over_ordered",
    "header_total_abs",
    "active",
]


def reason_field() -> forms.CharField:
    """The required reason a change of a rule records in its history."""
    return forms.CharField(
        label="Reason for this change",
        max_length=REASON_MAX_LENGTH,
        help_text="Recorded in the rule's history with your name.",
        error_messages={"required": REASON_REQUIRED},
    )


class ToleranceRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """Create or change a tolerance rule; the scope names its key, and every change says why."""

    vendor = vendor_field()
    reason = reason_field()

    class Meta:
        model = ToleranceRule
        fields = RULE_FIELDS
        labels = {
            "accept_lower_price": "Accept a lower price",
            "qty_over_received": "Quantity over received",
            "qty_over_ordered": "Quantity over ordered",
            "active": "Active (clear to deactivate the rule)",
        }
        help_texts = {
            "price_pct": "How far a unit price may exceed the PO price, in percent (both price limits must hold).",
            "price_abs": "How far the extended variance of one line may go, in dollars.",
            "qty_over_received": "Quantity (in the PO unit) that may be invoiced beyond what was received.",
            "qty_over_ordered": "Quantity (in the PO unit) that may be invoiced beyond what was ordered.",
            "header_total_abs": "Rounding allowed between the header total and lines + tax + freight.",
        }

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility = self.fields["facility"]
        facility.queryset = facilities  # type: ignore[attr-defined]
        facility.empty_label = "No facility"  # type: ignore[attr-defined]
        facility.help_text = "Required for a facility rule; optional on a vendor or category rule (narrows it)."
        facility.error_messages["invalid_choice"] = (
            "You may set tolerances only at facilities where you are AP manager."
        )
        self.fields["vendor"].help_text = "Required for a vendor rule; optional on a category rule (narrows it)."
        self.fields["category"].help_text = "Eight-digit UNSPSC commodity code; required for a category rule."
        self.fields["category"].widget.attrs.update({"inputmode": "numeric", "placeholder": "42131600"})
        if not self.is_bound and self.instance.pk is not None:
            if self.instance.vendor_id is not None:
                self.initial["vendor"] = self.instance.vendor.number
            for name in ("qty_over_received", "qty_over_ordered"):  # 0 rather than 0.0000
                value = getattr(self.instance, name)
                self.initial[name] = format(value.normalize(), "f") if value else "0"

    def clean_category(self) -> str:
        """Eight digits or nothing."""
        return unspsc_clean(self.cleaned_data.get("category", ""))

    def clean(self) -> dict[str, Any]:
        """The scope names exactly its key (the database checks it too; here the message lands on the field)."""
        cleaned = super().clean() or {}
        scope: str = cleaned.get("scope") or ""
        facility, vendor, category = cleaned.get("facility"), cleaned.get("vendor"), cleaned.get("category")
        required: dict[str, tuple[str, Any, str]] = {
            ToleranceScope.FACILITY: ("facility", facility, "A facility rule names its facility."),
            ToleranceScope.VENDOR: ("vendor", vendor, "A vendor rule names its vendor."),
            ToleranceScope.CATEGORY: ("category", category, "A category rule names its UNSPSC category."),
        }
        if scope in required:
            name, value, message = required[scope]
            if not value and name not in self.errors:
                self.add_error(name, message)
        # Keys a scope may not carry (a vendor rule may be narrowed to a facility, a category rule to both).
        forbidden: dict[str, tuple[str, ...]] = {
            ToleranceScope.GLOBAL: ("facility", "vendor", "category"),
            ToleranceScope.FACILITY: ("vendor", "category"),
            ToleranceScope.VENDOR: ("category",),
        }
        for name in forbidden.get(scope, ()):
            if cleaned.get(name):
                self.add_error(name, f"A {scope} rule leaves this empty.")
        return cleaned


class RulePreviewForm(forms.Form):
    """Which rule would judge an invoice line of this facility, vendor and category."""

    facility = forms.ModelChoiceField(queryset=Facility.objects.none(), required=False, empty_label="Any facility")
    vendor = vendor_field()
    category = forms.CharField(
        label="UNSPSC category",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "42131600"}),
    )

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities  # type: ignore[attr-defined]

    def clean_category(self) -> str:
        """Eight digits or nothing."""
        return unspsc_clean(self.cleaned_data.get("category", ""))
