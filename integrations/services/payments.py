"""Payment state pulled from the ERP: our invoices it paid become `paid` here.

A run is a `SyncRun` of entity `payment`; the cursor moves in the transaction that applied its page, so a crash
re-reads the page and applying it again changes nothing (`invoice_mark_paid` is idempotent). A payment we cannot
apply (the invoice is not here, or is in a state that cannot be paid) is an inbound dead letter, and the run goes on.
"""

from __future__ import annotations

from typing import Any, Final

from django.db import transaction
from django.utils import timezone

from integrations.canonical import PaymentRecord
from integrations.errors import ConnectorError
from integrations.models import DeadLetter, Direction, ExternalSystem, SyncCursor, SyncRun, SyncRunStatus
from integrations.registry import connector_for
from integrations.tryton.mapping_outbound import invoice_id_from_reference
from matching.models import Invoice
from matching.services.payments import invoice_mark_paid
from p2p_portal.audit.context import acting_as
from p2p_portal.errors import ApplicationError

ENTITY: Final = "payment"


def _save(instance: Any, actor: Any, reason: str) -> None:
    instance.full_clean()
    with acting_as(actor, reason=reason):
        instance.save()


def payment_apply(*, actor: Any, system: ExternalSystem, record: PaymentRecord) -> bool:
    """Mark our invoice paid when the ERP says so; True when it changed (unpaid or already paid: False)."""
    if not record.paid:
        return False
    invoice_id = invoice_id_from_reference(record.reference)
    invoice = Invoice.objects.filter(pk=invoice_id).first() if invoice_id else None
    if invoice is None:
        raise ApplicationError(f"No invoice here for the ERP's reference {record.reference!r}", code="invoice_unknown")
    return invoice_mark_paid(
        actor=actor, invoice=invoice, paid_on=record.paid_on, reference=f"{system.code} {record.reference}"
    )


def _payload(record: PaymentRecord) -> dict[str, Any]:
    return {
        "reference": record.reference,
        "paid": record.paid,
        "amount_paid": str(record.amount_paid),
        "paid_on": record.paid_on.isoformat() if record.paid_on else None,
        "updated_at": record.updated_at.isoformat(),
        "version": record.version,
    }


def payments_pull(*, actor: Any, system: ExternalSystem, triggered_by: str = "beat") -> SyncRun:
    """Pull payment state from the system since its cursor and apply it, page by page."""
    stored, _ = SyncCursor.objects.get_or_create(system=system, entity=ENTITY)
    run = SyncRun(
        system=system,
        entity=ENTITY,
        started_at=timezone.now(),
        cursor_before=stored.cursor,
        cursor_after=stored.cursor,
        triggered_by=triggered_by[:150],
    )
    _save(run, actor, f"payment pull from {system.code} started")
    connector = connector_for(system)
    try:
        for page in connector.pull(ENTITY, stored.cursor):
            with transaction.atomic():
                for record in page.records:
                    run.fetched += 1
                    if not isinstance(record, PaymentRecord):
                        continue
                    try:
                        with transaction.atomic():
                            changed = payment_apply(actor=actor, system=system, record=record)
                    except ApplicationError as error:
                        run.failed += 1
                        _save(
                            DeadLetter(
                                system=system,
                                direction=Direction.INBOUND,
                                entity=ENTITY,
                                external_id=record.reference[:120],
                                payload=_payload(record),
                                error=error.message,
                                sync_run=run,
                                created_at=timezone.now(),
                            ),
                            actor,
                            f"payment {record.reference} from {system.code} not applied",
                        )
                        continue
                    if changed:
                        run.updated += 1
                    else:
                        run.unchanged += 1
                cursor = SyncCursor.objects.select_for_update().get(pk=stored.pk)
                cursor.cursor = page.cursor
                _save(cursor, actor, f"payment pull from {system.code}")
                run.cursor_after = page.cursor
        run.status = SyncRunStatus.PARTIAL if run.failed else SyncRunStatus.SUCCEEDED
    except ConnectorError as error:
        run.status = SyncRunStatus.FAILED
        run.error = error.message[:2000]
    finally:
        connector.close()
    run.finished_at = timezone.now()
    _save(run, actor, f"payment pull from {system.code} {run.status}")
    return run
