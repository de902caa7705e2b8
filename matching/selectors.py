"""Scoped reads of intake and matching, shared by the browser and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from matching.models import ExceptionState, Invoice, PurchaseOrder, Receipt, ToleranceRule
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for, scope_to_facilities

# Who reads purchase orders and receipts of a facility (API clients: their own facilities).
ORDER_READER_ROLES = (Role.AP_CLERK, Role.AP_MANAGER, Role.PROCUREMENT_ADMIN, Role.AUDITOR)


def purchase_order_list(*, principal: Any) -> QuerySet[PurchaseOrder]:
    """Purchase orders of the facilities the principal may see."""
    return scope_to_facilities(
        PurchaseOrder.objects.select_related("facility", "vendor"), principal, roles=ORDER_READER_ROLES
    )


def receipt_list(*, principal: Any) -> QuerySet[Receipt]:
    """Receipts of the facilities the principal may see."""
    return scope_to_facilities(
        Receipt.objects.select_related("facility", "purchase_order"), principal, roles=ORDER_READER_ROLES
    )


# Who reads invoices of a facility.
INVOICE_READER_ROLES = (Role.AP_CLERK, Role.AP_MANAGER, Role.PROCUREMENT_ADMIN, Role.AUDITOR)


def invoice_list(*, principal: Any, filters: dict[str, Any] | None = None) -> QuerySet[Invoice]:
    """Invoices of the principal's facilities, filtered by status, exception code (open), vendor number, facility
    code, invoice date range and PO number."""
    filters = filters or {}
    invoices = scope_to_facilities(
        Invoice.objects.select_related("facility", "vendor"), principal, roles=INVOICE_READER_ROLES
    )
    if filters.get("status"):
        invoices = invoices.filter(status=filters["status"])
    if filters.get("exception"):
        invoices = invoices.filter(
            exceptions__code=filters["exception"], exceptions__state=ExceptionState.OPEN
        ).distinct()
    if filters.get("vendor"):
        invoices = invoices.filter(vendor__number=filters["vendor"])
    if filters.get("facility"):
        invoices = invoices.filter(facility__code=filters["facility"])
    if filters.get("date_from"):
        invoices = invoices.filter(invoice_date__gte=filters["date_from"])
    if filters.get("date_to"):
        invoices = invoices.filter(invoice_date__lte=filters["date_to"])
    if filters.get("po"):
        invoices = invoices.filter(po_number=filters["po"])
    return invoices.prefetch_related("exceptions", "lines")


# Who reads tolerance rules: the same roles as orders (AP clerks, AP managers, procurement admins, auditors).
TOLERANCE_READER_ROLES = ORDER_READER_ROLES


def tolerance_rule_list(*, principal: Any) -> QuerySet[ToleranceRule]:
    """Tolerance rules the principal reads: network-wide rules and those of their facilities (none without a role)."""
    rules = ToleranceRule.objects.select_related("facility", "vendor")
    if getattr(principal, "is_superuser", False):
        return rules
    facilities = facilities_for(principal, TOLERANCE_READER_ROLES)
    if not facilities.exists():
        return rules.none()
    # Global, vendor and category rules without a facility apply network-wide; a rule naming a facility is that
    # facility's business only.
    return rules.filter(Q(facility__isnull=True) | Q(facility__in=facilities.values("pk")))
