"""PostgreSQL only: the balances' GiST index also carries what the accrual report sums and groups by, so once the
table is vacuumed (the refresh does it) the report reads the index alone."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS ins_fin_accrual_span_cover ON insights_finance_accrualbalance "
    "USING gist (daterange(valid_from, valid_until)) INCLUDE (facility_id, cost_center_id, vendor_id, amount, id)"
)
DROP = "DROP INDEX IF EXISTS ins_fin_accrual_span_cover"
OLD = "DROP INDEX IF EXISTS ins_fin_accrual_span"
OLD_BACK = (
    "CREATE INDEX IF NOT EXISTS ins_fin_accrual_span ON insights_finance_accrualbalance "
    "USING gist (daterange(valid_from, valid_until))"
)


def _on_postgresql(*statements: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("insights_finance", "0002_accrual_span_index")]

    operations = [migrations.RunPython(_on_postgresql(CREATE, OLD), _on_postgresql(OLD_BACK, DROP))]
