"""Serializers of the vendors API: the golden record (masked), change requests and their input, duplicates, hits."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vendors.access import may_see_tax_id
from vendors.identifiers import tax_id_display, tax_id_masked
from vendors.models import (
    BankAccount,
    CallbackEvidence,
    CallbackOutcome,
    ChangeKind,
    ChangeRequest,
    DuplicateCandidate,
    ScreeningHit,
    SiteKind,
    SourceReference,
    TaxIdKind,
    Vendor,
    VendorContact,
    VendorSite,
)
from vendors.selectors import cooling_off_until, vendor_flags


class VendorSerializer(serializers.ModelSerializer):
    """A vendor as lists show it: the tax id masked unless the caller may see it."""

    tax_id = serializers.SerializerMethodField()
    merged_into = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = Vendor
        fields = [
            "number",
            "legal_name",
            "dba_name",
            "status",
            "tax_id",
            "tax_id_kind",
            "duns",
            "gln",
            "npi",
            "uei",
            "payment_terms",
            "currency",
            "is_1099",
            "w9_received_on",
            "merged_into",
        ]

    @extend_schema_field(serializers.CharField())
    def get_tax_id(self, vendor: Vendor) -> str:
        principal = self.context["request"].user
        if may_see_tax_id(principal):
            return tax_id_display(vendor.tax_id, vendor.tax_id_kind)
        return tax_id_masked(vendor.tax_id, vendor.tax_id_kind)


class SiteSerializer(serializers.ModelSerializer):
    """An active address of a vendor."""

    class Meta:
        model = VendorSite
        fields = ["kind", "address_line1", "address_line2", "city", "state", "postal_code", "country", "phone"]


class ContactSerializer(serializers.ModelSerializer):
    """An active contact of a vendor."""

    class Meta:
        model = VendorContact
        fields = ["name", "email", "phone", "role"]


class BankAccountSerializer(serializers.ModelSerializer):
    """A bank account, masked: never the number, only its last four digits."""

    class Meta:
        model = BankAccount
        fields = ["id", "holder_name", "country", "routing_number", "bic", "account_last4", "status", "activated_at"]


class SourceReferenceSerializer(serializers.ModelSerializer):
    """Where the vendor is known in a source system."""

    class Meta:
        model = SourceReference
        fields = ["system", "external_id", "last_seen_at"]


class VendorDetailSerializer(VendorSerializer):
    """A vendor with sites, contacts, masked bank accounts, cross-references, and the flags its invoices raise."""

    sites = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()
    bank_accounts = BankAccountSerializer(many=True, read_only=True)
    source_references = SourceReferenceSerializer(many=True, read_only=True)
    flags = serializers.SerializerMethodField()
    cooling_off_until = serializers.SerializerMethodField()

    class Meta(VendorSerializer.Meta):
        fields = [
            *VendorSerializer.Meta.fields,
            "sites",
            "contacts",
            "bank_accounts",
            "source_references",
            "flags",
            "cooling_off_until",
        ]

    @extend_schema_field(SiteSerializer(many=True))
    def get_sites(self, vendor: Vendor) -> Any:
        return SiteSerializer(vendor.sites.filter(active=True), many=True).data

    @extend_schema_field(ContactSerializer(many=True))
    def get_contacts(self, vendor: Vendor) -> Any:
        return ContactSerializer(vendor.contacts.filter(active=True), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_flags(self, vendor: Vendor) -> list[str]:
        return vendor_flags(vendor)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_cooling_off_until(self, vendor: Vendor) -> Any:
        until = cooling_off_until(vendor)
        return until.isoformat() if until else None


class CallbackSerializer(serializers.ModelSerializer):
    """Call-back evidence of a bank change."""

    called_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CallbackEvidence
        fields = ["id", "phone_number", "contact_name", "called_by", "called_at", "outcome", "notes", "recorded_at"]


class ChangeRequestSerializer(serializers.ModelSerializer):
    """A change request with its field-level diff (bank accounts only masked)."""

    vendor = serializers.SlugRelatedField(slug_field="number", read_only=True)
    facility = serializers.SlugRelatedField(slug_field="code", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    callbacks = CallbackSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "kind",
            "vendor",
            "facility",
            "status",
            "diff",
            "fields",
            "reason",
            "duplicate_warnings",
            "phones_on_file",
            "submitted_by",
            "submitted_at",
            "approval_request",
            "decided_at",
            "decision_note",
            "callbacks",
        ]


class SiteInputSerializer(serializers.Serializer):
    """An address in a proposal."""

    kind = serializers.ChoiceField(choices=SiteKind.choices, default=SiteKind.REMIT_TO)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    state = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=2, min_length=2, default="US")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class ContactInputSerializer(serializers.Serializer):
    """A contact in a proposal."""

    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class FieldsInputSerializer(serializers.Serializer):
    """Governed fields a proposal sets (omitted fields stay as they are)."""

    legal_name = serializers.CharField(max_length=200, required=False)
    dba_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    tax_id = serializers.CharField(max_length=30, required=False, allow_blank=True)
    tax_id_kind = serializers.ChoiceField(choices=TaxIdKind.choices, required=False, allow_blank=True)
    duns = serializers.RegexField(r"^\d{9}$", required=False, allow_blank=True)
    gln = serializers.CharField(max_length=13, required=False, allow_blank=True)
    npi = serializers.CharField(max_length=10, required=False, allow_blank=True)
    uei = serializers.CharField(max_length=12, required=False, allow_blank=True)
    status = serializers.CharField(max_length=20, required=False)
    payment_terms = serializers.CharField(max_length=20, required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    is_1099 = serializers.BooleanField(required=False)
    w9_received_on = serializers.DateField(required=False, allow_null=True)


class BankInputSerializer(serializers.Serializer):
    """A proposed bank account: ABA routing + account number, or IBAN (+ BIC)."""

    holder_name = serializers.CharField(max_length=200)
    routing_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    account_number = serializers.CharField(max_length=34, required=False, allow_blank=True, default="")
    iban = serializers.CharField(max_length=42, required=False, allow_blank=True, default="")
    bic = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")


class ChangeRequestCreateSerializer(serializers.Serializer):
    """A proposal: a new vendor, a change of governed fields, or a bank-account change."""

    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    vendor = serializers.CharField(required=False, help_text="Portal number; required unless kind is create.")
    facility = serializers.CharField(help_text="Code of the facility where the request is approved.")
    reason = serializers.CharField()
    fields = FieldsInputSerializer(required=False)
    sites = SiteInputSerializer(many=True, required=False)
    contacts = ContactInputSerializer(many=True, required=False)
    bank_account = BankInputSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["kind"]
        if kind != ChangeKind.CREATE and not attrs.get("vendor"):
            raise serializers.ValidationError({"vendor": "Name the vendor to change (its portal number)."})
        if kind == ChangeKind.BANK_ACCOUNT and not attrs.get("bank_account"):
            raise serializers.ValidationError({"bank_account": "A bank-account change needs the new account."})
        if kind != ChangeKind.BANK_ACCOUNT and attrs.get("bank_account"):
            raise serializers.ValidationError({"bank_account": "Bank accounts change only with kind bank_account."})
        return attrs


class CallbackInputSerializer(serializers.Serializer):
    """A call-back made to verify a bank change."""

    phone_number = serializers.CharField(max_length=30)
    contact_name = serializers.CharField(max_length=200)
    called_at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(choices=CallbackOutcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeRequestWithdrawSerializer(serializers.Serializer):
    """Why the submitter withdraws."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DuplicateCandidateSerializer(serializers.ModelSerializer):
    """A candidate pair with score and reasons."""

    vendor_a = serializers.SlugRelatedField(slug_field="number", read_only=True)
    vendor_b = serializers.SlugRelatedField(slug_field="number", read_only=True)
    survivor = serializers.SlugRelatedField(slug_field="number", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DuplicateCandidate
        fields = [
            "id",
            "vendor_a",
            "vendor_b",
            "score",
            "reasons",
            "status",
            "found_at",
            "survivor",
            "decided_by",
            "decided_at",
            "note",
        ]


class ScreeningHitSerializer(serializers.ModelSerializer):
    """A possible exclusion-list match with the list version it was found in."""

    vendor = serializers.SlugRelatedField(slug_field="number", read_only=True)
    list_source = serializers.CharField(source="exclusion_list.source", read_only=True)
    list_version = serializers.CharField(source="exclusion_list.version", read_only=True)
    entry_name = serializers.CharField(source="entry.name", read_only=True)
    entry_state = serializers.CharField(source="entry.state", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScreeningHit
        fields = [
            "id",
            "vendor",
            "list_source",
            "list_version",
            "entry_name",
            "entry_state",
            "match_kind",
            "score",
            "detail",
            "status",
            "found_at",
            "decided_by",
            "decided_at",
            "reason",
        ]
