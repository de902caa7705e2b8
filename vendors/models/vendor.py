"""The golden record: a vendor, its sites, contacts and bank accounts, and where it came from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from p2p_portal.audit.history import audited_history
from p2p_portal.validators import validate_gln


class VendorStatus(models.TextChoices):
    """Where a vendor stands; only `active` vendors are paid."""

    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    BLOCKED = "blocked", "Blocked"
    INACTIVE = "inactive", "Inactive"


class TaxIdKind(models.TextChoices):
    """Which kind of tax identifier a vendor's tax id is (decides validation and masking)."""

    EIN = "ein", "US EIN"
    SSN = "ssn", "US SSN"
    VAT = "vat", "VAT number"


class Vendor(models.Model):
    """A supplier as the network knows it: one golden record, however many source systems hold a copy."""

    number = models.CharField(max_length=12, unique=True, help_text="Portal number, V-000123.")
    legal_name = models.CharField(max_length=200)
    dba_name = models.CharField("DBA name", max_length=200, blank=True)
    tax_id = models.CharField(max_length=30, blank=True, help_text="Normalised (digits, or country prefix + digits).")
    tax_id_kind = models.CharField(max_length=5, choices=TaxIdKind.choices, blank=True)
    duns = models.CharField("DUNS", max_length=9, blank=True)
    gln = models.CharField("GLN", max_length=13, blank=True, validators=[validate_gln])
    npi = models.CharField("NPI", max_length=10, blank=True)
    uei = models.CharField("SAM UEI", max_length=12, blank=True, help_text="SAM.gov Unique Entity ID (12 characters).")
    status = models.CharField(max_length=20, choices=VendorStatus.choices, default=VendorStatus.DRAFT)
    payment_terms = models.CharField(max_length=20, default="NET30")
    currency = models.CharField(max_length=3, default="USD")
    is_1099 = models.BooleanField("1099 reportable", default=False)
    w9_received_on = models.DateField("W-9 received", null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    bank_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a bank-account change was last applied (starts the cooling-off)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = audited_history()
    # The audit trail shows the tax id masked to readers without this permission.
    audit_masked_fields = {"tax_id": "vendors.view_tax_id"}

    class Meta:
        ordering = ["number"]
        permissions = [("view_tax_id", "Can see vendors' tax ids unmasked")]
        indexes = [
            models.Index(fields=["tax_id"], name="vendors_vendor_tax_id"),
            models.Index(fields=["status"], name="vendors_vendor_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status="inactive"),
                name="vendors_merged_vendor_is_inactive",
                violation_error_message="A vendor merged into another is inactive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.legal_name}"


class SiteKind(models.TextChoices):
    """What an address is for."""

    REMIT_TO = "remit_to", "Remit-to"
    ORDERING = "ordering", "Ordering"


class VendorSite(models.Model):
    """An address of a vendor: where we send payments (remit-to) or orders."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="sites")
    kind = models.CharField(max_length=10, choices=SiteKind.choices)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    phone = models.CharField(max_length=30, blank=True)
    active = models.BooleanField(default=True)
    history = audited_history()

    class Meta:
        ordering = ["vendor", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.address_line1}, {self.city} {self.state}"


class VendorContact(models.Model):
    """A person at a vendor; their phone numbers are the ones call-backs may use."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    role = models.CharField(max_length=100, blank=True, help_text="e.g. Accounts receivable")
    active = models.BooleanField(default=True)
    history = audited_history()

    class Meta:
        ordering = ["vendor", "name"]

    def __str__(self) -> str:
        return self.name


class BankAccountStatus(models.TextChoices):
    """A bank account is proposed by a change request, active once applied, retired when replaced."""

    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"
    REJECTED = "rejected", "Rejected"


class BankAccount(models.Model):
    """A vendor's bank account: the number is encrypted at rest; only the last four digits are stored in clear."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="bank_accounts")
    holder_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, default="US")
    routing_number = models.CharField("ABA routing number", max_length=9, blank=True)
    iban_encrypted = models.TextField(blank=True, editable=False)
    bic = models.CharField("BIC", max_length=11, blank=True)
    account_number_encrypted = models.TextField(editable=False)
    account_last4 = models.CharField(max_length=4, editable=False)
    # Keyed hash of routing + account: finds the same account on two vendors without decrypting either.
    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(max_length=10, choices=BankAccountStatus.choices, default=BankAccountStatus.PROPOSED)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    history = audited_history()
    # Ciphertext and the fingerprint say nothing to a reader of the audit trail (and the fingerprint links accounts).
    audit_hidden_fields = ("account_number_encrypted", "iban_encrypted", "fingerprint")

    class Meta:
        ordering = ["vendor", "-activated_at", "-id"]
        permissions = [("reveal_bankaccount", "Can reveal a full bank account number (audited)")]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor"], condition=Q(status="active"), name="vendors_one_active_bank_account"
            ),
        ]

    def __str__(self) -> str:
        bank = self.routing_number or self.bic
        return f"{bank} ••••{self.account_last4}"


class BankAccountReveal(models.Model):
    """Evidence that a person saw a full bank account number, and why."""

    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="reveals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    revealed_at = models.DateTimeField()
    history = audited_history()

    class Meta:
        ordering = ["-revealed_at"]

    def __str__(self) -> str:
        return f"{self.user} revealed {self.bank_account} at {self.revealed_at:%Y-%m-%d %H:%M}"


class SourceReference(models.Model):
    """That record `external_id` in source system `system` is this vendor, with the last payload we saw."""

    system = models.CharField(max_length=30, help_text="Code of the source system, e.g. ERP or GHX.")
    external_id = models.CharField(max_length=100)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="source_references")
    last_payload = models.JSONField(default=dict, blank=True)
    last_seen_at = models.DateTimeField()
    history = audited_history(excluded_fields=["last_payload", "last_seen_at"])

    class Meta:
        ordering = ["system", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "external_id"], name="vendors_sourceref_unique_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.external_id} → {self.vendor_id}"
