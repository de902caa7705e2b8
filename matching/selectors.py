"""Scoped reads of intake and matching, shared by the browser and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from matching.models import PurchaseOrder, Receipt
from p2p_portal.roles import Role
from p2p_portal.selectors import scope_to_facilities

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
