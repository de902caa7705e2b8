"""How much a variance is worth, how much a person may accept on their own, and who may not accept it at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Sum
from django.utils import timezone

from approvals.models import ConflictRule, LedgerEntry
from matching.models import AuthorityLimit, Invoice, InvoiceException, LineMatch
from p2p_portal.errors import NotAllowedError
from p2p_portal.roles import Role
from p2p_portal.selectors import has_role_at
from vendors.services.bank import LEDGER_BANK_CHANGED
from vendors.services.defaults import BANK_CONFLICT_RULE

CENT = Decimal("0.01")
LINE_QUANTITY_CODES = ("qty_over_ordered", "qty_over_received")


def variance_amounts(invoice: Invoice, exceptions: Sequence[InvoiceException]) -> dict[int, Decimal]:
    """The money each variance exception puts at stake: extended price variance, quantity over times the invoiced
    unit price, or the header total's difference. Two quantity codes on one line count once (the larger)."""
    lines = {line.line_number: line for line in invoice.lines.all()}
    matches = {
        match.invoice_line.line_number: match
        for match in LineMatch.objects.filter(invoice_line__invoice=invoice).select_related("invoice_line")
    }
    amounts: dict[int, Decimal] = {}
    counted_quantity: dict[int, Decimal] = {}
    for exception in exceptions:
        line = lines.get(exception.line_number or 0)
        match = matches.get(exception.line_number or 0)
        amount = Decimal(0)
        if exception.code == "price_variance" and match is not None:
            amount = abs(match.extended_price_variance)
        elif exception.code in LINE_QUANTITY_CODES and match is not None and line is not None:
            over = match.quantity_over_ordered if exception.code == "qty_over_ordered" else match.quantity_over_received
            whole = abs(over * line.unit_price)
            already = counted_quantity.get(line.line_number, Decimal(0))
            amount = max(whole - already, Decimal(0))
            counted_quantity[line.line_number] = max(already, whole)
        elif exception.code == "total_mismatch":
            lines_total = invoice.lines.aggregate(total=Sum("amount"))["total"] or Decimal(0)
            amount = abs(invoice.total_amount - (lines_total + invoice.tax_amount + invoice.freight_amount))
        amounts[exception.pk] = amount.quantize(CENT)
    return amounts


def authority_limit(user: User, facility_id: int) -> Decimal:
    """The largest variance `user` accepts alone at the facility: the highest limit of the roles they hold there
    (a facility's own row before the network-wide one, before `WORKBENCH_AUTHORITY_DEFAULTS`)."""
    from p2p_portal.models import Facility

    facility = Facility.objects.get(pk=facility_id)
    limits: list[Decimal] = []
    for role in (Role.AP_CLERK, Role.AP_MANAGER):
        if not has_role_at(user, role, facility):
            continue
        rows = {row.facility_id: row.max_variance for row in AuthorityLimit.objects.filter(role=role)}
        if facility_id in rows:
            limits.append(rows[facility_id])
        elif None in rows:
            limits.append(rows[None])
        else:
            limits.append(Decimal(settings.WORKBENCH_AUTHORITY_DEFAULTS.get(role, "0")))
    return max(limits, default=Decimal(0))


def variance_sod_check(user: User, invoice: Invoice) -> None:
    """Refuse a variance acceptance by the clerk who keyed the invoice, or by whoever changed the vendor's bank
    account within the bank-change conflict rule's window; the error names the rule."""
    if invoice.keyed_by_id is not None and invoice.keyed_by_id == user.pk:
        raise NotAllowedError(
            f"You keyed invoice {invoice.invoice_number} by hand; rule maker-checker: its variances are accepted by"
            " someone else.",
            code="sod_keyed_by",
            extra={"rule": "sod_keyed_by"},
        )
    if invoice.vendor_id is None:
        return
    rule = ConflictRule.objects.filter(code=BANK_CONFLICT_RULE, active=True).first()
    days = rule.window_days if rule is not None else 90
    entry = (
        LedgerEntry.objects.filter(
            user=user,
            action=LEDGER_BANK_CHANGED,
            subject=f"vendor:{invoice.vendor_id}",
            occurred_at__gte=timezone.now() - timedelta(days=days),
        )
        .order_by("-occurred_at")
        .first()
    )
    if entry is not None:
        raise NotAllowedError(
            f"You proposed a bank-account change for this vendor on {entry.occurred_at:%Y-%m-%d}; conflict rule"
            f" {BANK_CONFLICT_RULE!r} forbids accepting its invoices' variances within {days} days.",
            code="sod_conflict_rule",
            extra={"rule": f"sod_conflict_rule:{BANK_CONFLICT_RULE}"},
        )
