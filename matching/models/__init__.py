"""Purchase orders, receipts, invoices, inbound documents, tolerance rules and what matching found."""

from matching.models.exceptions import (
    WAIVED_KINDS,
    ExceptionCode,
    ExceptionState,
    InvoiceException,
    LineMatch,
    ResolutionKind,
)
from matching.models.invoices import (
    Channel,
    DocumentType,
    InboundDocument,
    InboundOutcome,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from matching.models.orders import (
    MatchType,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    Receipt,
    ReceiptLine,
)
from matching.models.tolerances import ToleranceRule, ToleranceScope
from matching.models.workbench import (
    ACTIVE_STATES,
    AuthorityLimit,
    QueuePriority,
    WorkAction,
    WorkActionKind,
    WorkItem,
    WorkItemState,
    WorkQueue,
)

__all__ = [
    "ACTIVE_STATES",
    "WAIVED_KINDS",
    "AuthorityLimit",
    "Channel",
    "DocumentType",
    "ExceptionCode",
    "ExceptionState",
    "InboundDocument",
    "InboundOutcome",
    "Invoice",
    "InvoiceException",
    "InvoiceLine",
    "InvoiceStatus",
    "LineMatch",
    "MatchType",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
    "QueuePriority",
    "Receipt",
    "ReceiptLine",
    "ResolutionKind",
    "ToleranceRule",
    "ToleranceScope",
    "WorkAction",
    "WorkActionKind",
    "WorkItem",
    "WorkItemState",
    "WorkQueue",
]
