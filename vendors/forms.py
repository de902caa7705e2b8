"""Browser forms of the vendors section: change requests (fields, sites, contacts), bank changes, call-backs and
the small decision forms of the review queues. Forms only parse input; the services judge it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from p2p_portal.errors import ApplicationError
from p2p_portal.models import Facility
from p2p_portal.validators import validate_gln
from vendors.models import CallbackOutcome, SiteKind, TaxIdKind, Vendor, VendorStatus
from vendors.services.changes import PROPOSABLE_STATUSES
from vendors.services.records import ContactData, SiteData

# What <input type="datetime-local" step="1"> sends: to the second, or to the minute when seconds are left out.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M:%S"
DATETIME_LOCAL_MINUTES = "%Y-%m-%dT%H:%M"


def errors_onto_form(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's refusal on the form: its message at the top, each field's messages under that field."""
    form.add_error(None, error.message)
    for name, messages in error.errors.items():
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            elif message != error.message:
                form.add_error(None, message)


def limit_facilities(form: forms.BaseForm, facilities: QuerySet[Facility]) -> None:
    """Limit a form's `facility` field to where the steward may propose (preselected when there is only one)."""
    field = form.fields["facility"]
    field.queryset = facilities  # type: ignore[attr-defined]
    if facilities.count() == 1:
        form.initial.setdefault("facility", facilities.first())
        field.empty_label = None  # type: ignore[attr-defined]


class VendorChangeForm(forms.Form):
    """The governed fields of a vendor as a steward proposes them, where it is approved, and why."""

    legal_name = forms.CharField(label="Legal name", max_length=200)
    dba_name = forms.CharField(label="DBA name", max_length=200, required=False, help_text="Doing-business-as name.")
    tax_id = forms.CharField(label="Tax id", max_length=30, required=False, help_text="EIN 12-3456789, SSN or VAT.")
    tax_id_kind = forms.ChoiceField(label="Tax id kind", choices=[("", "—"), *TaxIdKind.choices], required=False)
    duns = forms.CharField(label="DUNS", max_length=9, required=False)
    gln = forms.CharField(label="GLN", max_length=13, required=False, validators=[validate_gln])
    npi = forms.CharField(label="NPI", max_length=10, required=False)
    uei = forms.CharField(
        label="SAM UEI", max_length=12, required=False, help_text="SAM.gov Unique Entity ID, 12 characters."
    )
    status = forms.ChoiceField(label="Status", choices=VendorStatus.choices)
    payment_terms = forms.CharField(label="Payment terms", max_length=20, initial="NET30")
    currency = forms.CharField(label="Currency", max_length=3, min_length=3, initial="USD")
    is_1099 = forms.BooleanField(label="1099 reportable", required=False)
    w9_received_on = forms.DateField(
        label="W-9 received", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    facility = forms.ModelChoiceField(
        label="Facility", queryset=Facility.objects.none(), help_text="Where the request is approved."
    )
    reason = forms.CharField(
        label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the change is needed."
    )

    def __init__(self, *args: Any, facilities: QuerySet[Facility], vendor: Vendor | None, **kwargs: Any) -> None:
        """Facilities limit the facility field; a change (not a new vendor) may set the status."""
        super().__init__(*args, **kwargs)
        limit_facilities(self, facilities)
        if vendor is None:
            del self.fields["status"]
        else:
            choices: list[tuple[str, str]] = [(str(value), VendorStatus(value).label) for value in PROPOSABLE_STATUSES]
            if vendor.status not in PROPOSABLE_STATUSES:
                choices.insert(0, (vendor.status, vendor.get_status_display()))
            self.fields["status"].choices = choices  # type: ignore[attr-defined]

    def clean_currency(self) -> str:
        """ISO currency codes are upper case."""
        return str(self.cleaned_data["currency"]).upper()


class SiteForm(forms.Form):
    """One address row; a row left blank is no address."""

    kind = forms.ChoiceField(label="Kind", choices=SiteKind.choices, initial=SiteKind.REMIT_TO)
    address_line1 = forms.CharField(label="Street", max_length=200, required=False)
    address_line2 = forms.CharField(label="Street, line 2", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    state = forms.CharField(label="State", max_length=50, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    country = forms.CharField(label="Country", max_length=2, min_length=2, required=False, initial="US")
    phone = forms.CharField(label="Phone", max_length=30, required=False)

    ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "postal_code", "phone")

    def is_blank(self) -> bool:
        """Whether the row holds no address at all (the kind and country alone say nothing)."""
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in self.ADDRESS_FIELDS)

    def clean(self) -> dict[str, Any]:
        """A row with anything in it needs a street and a city."""
        cleaned = super().clean() or {}
        if not self.is_blank():
            if not cleaned.get("address_line1"):
                self.add_error("address_line1", "Give the street (or clear the row).")
            if not cleaned.get("city"):
                self.add_error("city", "Give the city (or clear the row).")
        cleaned["country"] = (cleaned.get("country") or "US").upper()
        return cleaned

    def as_site(self) -> SiteData:
        """The row as the services take it."""
        data = self.cleaned_data
        return SiteData(**{name: data.get(name) or "" for name in SiteData.__dataclass_fields__})


class ContactForm(forms.Form):
    """One contact row; a row left blank is no contact."""

    name = forms.CharField(label="Name", max_length=200, required=False)
    role = forms.CharField(label="Role", max_length=100, required=False)
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(label="Phone", max_length=30, required=False)

    def is_blank(self) -> bool:
        """Whether the row holds nothing."""
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("name", "role", "email", "phone"))

    def clean(self) -> dict[str, Any]:
        """A row with anything in it needs a name."""
        cleaned = super().clean() or {}
        if not self.is_blank() and not cleaned.get("name"):
            self.add_error("name", "Give the contact's name (or clear the row).")
        return cleaned

    def as_contact(self) -> ContactData:
        """The row as the services take it."""
        data = self.cleaned_data
        return ContactData(
            name=data["name"], email=data.get("email") or "", phone=data.get("phone") or "", role=data.get("role") or ""
        )


SiteFormSet = forms.formset_factory(SiteForm, extra=1, max_num=12)
ContactFormSet = forms.formset_factory(ContactForm, extra=1, max_num=20)


class BankChangeForm(forms.Form):
    """A new remit-to bank account: routing + account number (US) or IBAN (+ BIC)."""

    holder_name = forms.CharField(label="Account holder", max_length=200)
    routing_number = forms.CharField(label="ABA routing number", max_length=20, required=False)
    account_number = forms.CharField(
        label="Account number",
        max_length=34,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    iban = forms.CharField(
        label="IBAN", max_length=42, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    bic = forms.CharField(label="BIC", max_length=11, required=False)
    facility = forms.ModelChoiceField(
        label="Facility", queryset=Facility.objects.none(), help_text="Where the request is approved."
    )
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the account changes and how the vendor told you.",
    )

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        """Facilities limit the facility field."""
        super().__init__(*args, **kwargs)
        limit_facilities(self, facilities)


class CallbackForm(forms.Form):
    """The call-back on a bank change: which number on file, whom, when, what they said."""

    # A plain text field behind a select: a number not on file reaches the service, which explains the refusal.
    phone_number = forms.CharField(label="Number called", max_length=30)
    contact_name = forms.CharField(label="Whom you spoke to", max_length=200)
    called_at = forms.DateTimeField(
        label="Called at",
        input_formats=[DATETIME_LOCAL, DATETIME_LOCAL_MINUTES],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format=DATETIME_LOCAL),
    )
    outcome = forms.ChoiceField(label="Outcome", choices=CallbackOutcome.choices)
    notes = forms.CharField(label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, phones: list[str], **kwargs: Any) -> None:
        """The number field offers the numbers on file."""
        super().__init__(*args, **kwargs)
        # Now, to the next whole second: the input drops fractions, and rounding down could place a call made
        # right after the request before it.
        self.fields["called_at"].initial = lambda: timezone.localtime().replace(microsecond=0) + timedelta(seconds=1)
        self.fields["phone_number"].widget = forms.Select(
            choices=[("", "Choose a number on file"), *[(p, p) for p in phones]]
        )


class DecisionForm(forms.Form):
    """Approve or reject a change request on its review page."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    text = forms.CharField(
        label="Comment or reason", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    """A required note or reason that goes with a queue decision."""

    note = forms.CharField(label="Note", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RevealForm(forms.Form):
    """Why someone needs the full bank account number."""

    reason = forms.CharField(label="Why you need the full number", max_length=300)
