"""PostgreSQL only: a GiST index on each balance's date range, so "the balances holding this date" is an index
probe, not a scan of every interval before it. SQLite keeps the B-tree index of 0001 (the fallback query uses it)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS ins_fin_accrual_span ON insights_finance_accrualbalance "
    "USING gist (daterange(valid_from, valid_until))"
)
DROP = "DROP INDEX IF EXISTS ins_fin_accrual_span"


def _on_postgresql(sql: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("insights_finance", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
