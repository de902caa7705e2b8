"""Golden supplier master: vendors with their sites, contacts, bank accounts and source cross-references;
change requests; duplicate candidates; exclusion lists and screening hits."""

from vendors.models.changes import CallbackEvidence, CallbackOutcome, ChangeKind, ChangeRequest, ChangeStatus
from vendors.models.duplicates import DuplicateCandidate, DuplicateStatus, VendorMatchKey
from vendors.models.screening import (
    ExclusionEntry,
    ExclusionList,
    ExclusionSource,
    HitStatus,
    ScreeningHit,
    ScreeningResult,
)
from vendors.models.vendor import (
    BankAccount,
    BankAccountReveal,
    BankAccountStatus,
    SiteKind,
    SourceReference,
    TaxIdKind,
    Vendor,
    VendorContact,
    VendorSite,
    VendorStatus,
)

__all__ = [
    "BankAccount",
    "BankAccountReveal",
    "BankAccountStatus",
    "CallbackEvidence",
    "CallbackOutcome",
    "ChangeKind",
    "ChangeRequest",
    "ChangeStatus",
    "DuplicateCandidate",
    "DuplicateStatus",
    "ExclusionEntry",
    "ExclusionList",
    "ExclusionSource",
    "HitStatus",
    "ScreeningHit",
    "ScreeningResult",
    "SiteKind",
    "SourceReference",
    "TaxIdKind",
    "Vendor",
    "VendorContact",
    "VendorMatchKey",
    "VendorSite",
    "VendorStatus",
]
