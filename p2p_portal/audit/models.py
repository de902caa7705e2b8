"""Audit models: the hash-chain seals of the history tables and the per-table head that sealers take turns on."""

from __future__ import annotations

from django.db import models


class AuditColumnSet(models.Model):
    """The columns of a history table that the digests of the rows sealed under it cover.

    Recorded once per table layout, so adding a column to a history table later does not change what
    an already sealed row is verified against (the new column is simply not part of its digest).
    """

    table = models.CharField(max_length=100)
    columns = models.JSONField(help_text="Sorted column names.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the table name and the columns.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["table", "created_at"]

    def __str__(self) -> str:
        return f"{self.table}: {len(self.columns)} columns"


class AuditChainLink(models.Model):
    """One sealed history row: its digest and the chain hash that binds it to every row sealed before it."""

    table = models.CharField(max_length=100)
    history_id = models.BigIntegerField()
    # Chain order is seal order (1, 2, 3... per table), not history id order: a row committed late is
    # sealed when it becomes visible, after rows with higher ids.
    position = models.BigIntegerField()
    row_digest = models.CharField(max_length=64)
    chain_hash = models.CharField(max_length=64)
    column_set = models.ForeignKey(AuditColumnSet, on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["table", "position"]
        constraints = [
            models.UniqueConstraint(fields=["table", "history_id"], name="auditchainlink_unique_row"),
            # Two sealers that both got past the head lock could not fork a chain: the second insert fails.
            models.UniqueConstraint(fields=["table", "position"], name="auditchainlink_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.table}#{self.history_id} at {self.position}"


class AuditChainHead(models.Model):
    """Where the chain of one history table stands; sealers lock this row so one extends a chain at a time.

    Mutable bookkeeping (not evidence): the links themselves are the evidence and are append-only.
    """

    table = models.CharField(max_length=100, unique=True)
    chain_hash = models.CharField(max_length=64, blank=True)
    link_count = models.BigIntegerField(default=0)
    # Rows with a history id at or below `settled_below` were all sealed while visible; the periodic sealer
    # only looks above it. The floor moves to `observed_max_id` once that observation is old enough that no
    # transaction still holding a lower id can plausibly be open (services.SETTLE_AFTER).
    settled_below = models.BigIntegerField(default=0)
    observed_max_id = models.BigIntegerField(default=0)
    observed_at = models.DateTimeField(null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["table"]

    def __str__(self) -> str:
        return f"{self.table}: {self.link_count} sealed"
