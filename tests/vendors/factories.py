"""Vendors for tests, written through the record services (history and numbering as in production)."""

from __future__ import annotations

from typing import Any

from vendors.dedupe.store import match_keys_rebuild
from vendors.identifiers import bank_details_validate
from vendors.models import BankAccount, BankAccountStatus, Vendor, VendorStatus
from vendors.services.records import (
    ContactData,
    SiteData,
    bank_account_record_create,
    vendor_contacts_replace,
    vendor_record_create,
    vendor_sites_replace,
)

SYSTEM = "tests"


def make_vendor(
    legal_name: str = "Acme Medical Supply Inc",
    *,
    status: str = VendorStatus.ACTIVE,
    sites: list[SiteData] | None = None,
    contacts: list[ContactData] | None = None,
    **fields: Any,
) -> Vendor:
    vendor = vendor_record_create(actor=SYSTEM, reason="test data", legal_name=legal_name, status=status, **fields)
    vendor_sites_replace(
        actor=SYSTEM,
        vendor=vendor,
        sites=sites
        if sites is not None
        else [SiteData(address_line1="100 Main St", city="Springfield", state="IL", postal_code="62701")],
        reason="test data",
    )
    if contacts:
        vendor_contacts_replace(actor=SYSTEM, vendor=vendor, contacts=contacts, reason="test data")
    match_keys_rebuild([vendor.pk])  # as the governed services and imports do
    return vendor


def give_bank_account(
    vendor: Vendor, *, routing_number: str = "011000015", account_number: str = "123456789"
) -> BankAccount:
    details = bank_details_validate(routing_number=routing_number, account_number=account_number)
    account = bank_account_record_create(
        actor=SYSTEM,
        vendor=vendor,
        holder_name=vendor.legal_name,
        details=details,
        status=BankAccountStatus.ACTIVE,
        reason="test data",
    )
    match_keys_rebuild([vendor.pk])
    return account
