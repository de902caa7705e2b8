"""Pulling payment state from Tryton: our supplier invoices (reference ``P2P-<id>``) changed since a cursor.

The cursor is the latest `write_date` seen (naive UTC, ISO 8601); the next pull asks for `write_date >= cursor`, so
the invoices at the boundary are read again, which applying a payment (idempotent) makes harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final

from integrations.canonical import PaymentRecord
from integrations.connectors import Page
from integrations.models import ExternalSystem
from integrations.tryton.client import TrytonClient
from integrations.tryton.mapping_outbound import REFERENCE_PREFIX

PAGE_SIZE: Final = 200
EPOCH: Final = dt.datetime(1970, 1, 1)
FIELDS: Final = ("id", "reference", "state", "total_amount", "amount_to_pay", "write_date", "payment_lines")


def _since(cursor: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(cursor) if cursor else EPOCH
    except ValueError:
        return EPOCH


def _paid_on(client: TrytonClient, rows: list[dict[str, Any]]) -> dict[int, dt.date]:
    """The date of the last payment line of each paid invoice."""
    line_ids = [line for row in rows if row["state"] == "paid" for line in row["payment_lines"]]
    if not line_ids:
        return {}
    dates = {line["id"]: line["date"] for line in client.read("account.move.line", line_ids, ["date"])}
    return {
        int(row["id"]): max(dates[line] for line in row["payment_lines"] if line in dates)
        for row in rows
        if row["state"] == "paid" and any(line in dates for line in row["payment_lines"])
    }


def payment_record(row: dict[str, Any], paid_on: dt.date | None) -> PaymentRecord:
    """A Tryton supplier invoice as the canonical payment record."""
    total, to_pay = Decimal(row["total_amount"] or 0), Decimal(row["amount_to_pay"] or 0)
    return PaymentRecord(
        reference=str(row["reference"]),
        paid=row["state"] == "paid",
        amount_paid=abs(total) - abs(to_pay) if row["state"] in ("posted", "paid") else Decimal(0),
        paid_on=paid_on,
        updated_at=row["write_date"],
    )


def pull_payments(client: TrytonClient, system: ExternalSystem, cursor: str) -> Iterator[Page]:
    """Pages of PaymentRecords for our supplier invoices changed since `cursor`, oldest change first."""
    domain = [
        ("type", "=", "in"),
        ("reference", "like", f"{REFERENCE_PREFIX}%"),
        ("write_date", ">=", _since(cursor)),
    ]
    offset = 0
    while True:
        rows = client.search_read(
            "account.invoice",
            domain,
            list(FIELDS),
            offset=offset,
            limit=PAGE_SIZE,
            order=[("write_date", "ASC"), ("id", "ASC")],
        )
        if not rows:
            return
        paid_on = _paid_on(client, rows)
        records = [payment_record(row, paid_on.get(int(row["id"]))) for row in rows]
        latest = max(row["write_date"] for row in rows)
        yield Page(records=list(records), cursor=latest.isoformat())
        if len(rows) < PAGE_SIZE:
            return
        offset += PAGE_SIZE
