"""Evidence pack bookkeeping: the latest verifications of the audit chain, and who downloaded which pack."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from p2p_portal.audit.history import audited_history


class ChainVerification(models.Model):
    """One run of the audit chain verification (p2p_portal.audit's `verify_audit_chain`), kept so that the evidence
    page shows the latest result without re-hashing every history table on each view (insert-only)."""

    checked_at = models.DateTimeField()
    requested_by = models.CharField(max_length=150, help_text="Who ran it: a person or the scheduled task.")
    ok = models.BooleanField(help_text="Every table's chain holds.")
    verified = models.PositiveBigIntegerField(help_text="Sealed rows re-hashed and found intact.")
    unsealed = models.PositiveBigIntegerField(help_text="Rows written since the last seal (not chained yet).")
    # [{"table": ..., "verified": n, "unsealed": n, "head_hash": ..., "broken": "" or the break}]
    tables = models.JSONField(default=list)
    seconds = models.FloatField(help_text="How long the verification took.")
    history = audited_history()

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["-checked_at"], name="insights_ev_chain_latest")]

    def __str__(self) -> str:
        return f"audit chain {'intact' if self.ok else 'BROKEN'} at {self.checked_at:%Y-%m-%d %H:%M}"


class EvidenceDownload(models.Model):
    """That a person downloaded the control evidence of a period (the whole pack or one section), with the files'
    hashes, so the evidence handed to an auditor can be traced and re-checked (insert-only)."""

    downloaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    downloaded_at = models.DateTimeField()
    date_from = models.DateField()
    date_to = models.DateField()
    facilities = models.JSONField(default=list, help_text="Codes of the facilities the pack covers.")
    what = models.CharField(max_length=40, help_text="`pack` for the zip, else the section's key.")
    # [{"file": "bank_changes.csv", "rows": 3, "sha256": "..."}]
    files = models.JSONField(default=list, blank=True)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes sent (the zip; 0 for a streamed section).")
    history = audited_history()

    class Meta:
        ordering = ["-downloaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.what} {self.date_from}..{self.date_to} by {self.downloaded_by_id}"
