"""Output serializers of the workbench API: queue health, work items, the item page's contents and action results."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.models import ExceptionState, WorkItem

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
QUANTITY: dict[str, Any] = {"max_digits": 14, "decimal_places": 4}


class QueueHealthSerializer(serializers.Serializer):
    """A queue with its health; `id` null collects items whose exception codes no queue takes."""

    id = serializers.IntegerField(source="queue.pk", allow_null=True, default=None)
    code = serializers.CharField(source="queue.code", default="unrouted")
    name = serializers.CharField(source="queue.name", default="Not routed to any queue")
    priority = serializers.CharField(source="queue.priority", allow_null=True, default=None)
    group = serializers.CharField(source="queue.group.name", allow_null=True, default=None, help_text="Its role.")
    facilities = serializers.SerializerMethodField(help_text="Facility codes; empty: every facility.")
    exception_codes = serializers.ListField(child=serializers.CharField(), source="queue.exception_codes", default=list)
    active = serializers.BooleanField(source="queue.active", default=True)
    open = serializers.IntegerField()
    claimed = serializers.IntegerField(help_text="Open items whose lease runs.")
    waiting = serializers.IntegerField(help_text="Waiting for a credit memo, a receipt or an approval.")
    on_hold = serializers.IntegerField()
    breaches = serializers.IntegerField(help_text="Active items past their due time.")
    oldest_opened_at = serializers.DateTimeField(allow_null=True)
    oldest_age_days = serializers.IntegerField(allow_null=True)
    buckets = serializers.DictField(child=serializers.IntegerField(), help_text="Open items by age in days.")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_facilities(self, health: Any) -> list[str]:
        if health.queue is None:
            return []
        return sorted(facility.code for facility in health.queue.facilities.all())


class InvoiceBriefSerializer(serializers.Serializer):
    """The invoice a list row shows."""

    id = serializers.IntegerField()
    invoice_number = serializers.CharField()
    document_type = serializers.CharField()
    invoice_date = serializers.DateField()
    status = serializers.CharField()
    vendor = serializers.CharField(source="vendor.number", allow_null=True, default=None)
    vendor_name = serializers.CharField(source="vendor.name", allow_null=True, default=None)
    currency = serializers.CharField()
    po_number = serializers.CharField()
    total_amount = serializers.DecimalField(**MONEY)


@extend_schema_field(serializers.ListField(child=serializers.CharField()))
class OpenCodesField(serializers.Field):
    """The codes of the invoice's open exceptions (prefetched by the list selector; read otherwise)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, item: WorkItem) -> list[str]:
        invoice = item.invoice
        exceptions = getattr(invoice, "open_exceptions", None)
        if exceptions is None:
            exceptions = invoice.exceptions.filter(state=ExceptionState.OPEN).order_by("line_number", "code")
        return list(dict.fromkeys(exception.code for exception in exceptions))


class WorkItemSerializer(serializers.Serializer):
    """A work item: where it stands, who holds it, until when, and the invoice it is about."""

    id = serializers.IntegerField()
    state = serializers.CharField()
    facility = serializers.CharField(source="facility.code")
    queue = serializers.IntegerField(source="queue_id", allow_null=True)
    queue_name = serializers.CharField(source="queue.name", allow_null=True, default=None)
    invoice = InvoiceBriefSerializer()
    open_exception_codes = OpenCodesField()
    opened_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    breached = serializers.SerializerMethodField(help_text="Past its due time and not closed.")
    claimed_by = serializers.CharField(source="claimed_by.username", allow_null=True, default=None)
    claimed_at = serializers.DateTimeField(allow_null=True)
    lease_expires_at = serializers.DateTimeField(allow_null=True)
    waiting_since = serializers.DateTimeField(allow_null=True)
    hold_until = serializers.DateField(allow_null=True)
    credit_expected = serializers.DecimalField(**MONEY, allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    def get_breached(self, item: WorkItem) -> bool:
        return item.closed_at is None and item.due_at < timezone.now()


class RuleSerializer(serializers.Serializer):
    """The tolerance rule (and its version) that judged a line or an exception."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField(help_text="The rule's version when it judged (not necessarily today's).")


class ExceptionSerializer(serializers.Serializer):
    """An exception with the rule that raised it."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    line = serializers.IntegerField(source="line_number", allow_null=True)
    detail = serializers.CharField()
    state = serializers.CharField()
    rule = serializers.SerializerMethodField()
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", allow_null=True)
    raised_at = serializers.DateTimeField()
    resolution_kind = serializers.CharField()

    @extend_schema_field(RuleSerializer(allow_null=True))
    def get_rule(self, exception: Any) -> dict[str, Any] | None:
        return _rule(exception.rule, exception.rule_version)


def _rule(rule: Any, version: int | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"id": rule.pk, "name": rule.name, "version": version if version is not None else rule.version}


class PoLineSerializer(serializers.Serializer):
    """A PO line with its running totals."""

    line_number = serializers.IntegerField()
    item_code = serializers.CharField()
    description = serializers.CharField()
    quantity_ordered = serializers.DecimalField(**QUANTITY)
    unit_of_measure = serializers.CharField()
    unit_price = serializers.DecimalField(**QUANTITY)
    match_type = serializers.CharField()
    quantity_received = serializers.DecimalField(**QUANTITY)
    quantity_invoiced = serializers.DecimalField(**QUANTITY)


class MatchSerializer(serializers.Serializer):
    """How an invoice line matched: the figures the tolerance rule judged."""

    quantity = serializers.DecimalField(**QUANTITY)
    received_quantity = serializers.DecimalField(**QUANTITY)
    previously_invoiced_quantity = serializers.DecimalField(**QUANTITY)
    price_variance = serializers.DecimalField(**QUANTITY)
    price_variance_pct = serializers.DecimalField(max_digits=9, decimal_places=2)
    extended_price_variance = serializers.DecimalField(**MONEY)
    quantity_over_received = serializers.DecimalField(**QUANTITY)
    quantity_over_ordered = serializers.DecimalField(**QUANTITY)
    rule = serializers.SerializerMethodField()
    matched_at = serializers.DateTimeField()

    @extend_schema_field(RuleSerializer(allow_null=True))
    def get_rule(self, match: Any) -> dict[str, Any] | None:
        return _rule(match.rule, match.rule_version)


class LineSerializer(serializers.Serializer):
    """An invoice line beside the PO line it matched, with the match figures and its exceptions."""

    line_number = serializers.IntegerField(source="line.line_number")
    po_line_number = serializers.IntegerField(source="line.po_line_number", allow_null=True)
    item_code = serializers.CharField(source="line.item_code")
    description = serializers.CharField(source="line.description")
    quantity = serializers.DecimalField(source="line.quantity", **QUANTITY)
    unit_of_measure = serializers.CharField(source="line.unit_of_measure")
    unit_price = serializers.DecimalField(source="line.unit_price", **QUANTITY)
    amount = serializers.DecimalField(source="line.amount", **MONEY)
    po_line = PoLineSerializer(allow_null=True)
    match = MatchSerializer(allow_null=True)
    exceptions = ExceptionSerializer(many=True)


class ReceiptLineBriefSerializer(serializers.Serializer):
    """A quantity received on a PO line."""

    po_line_number = serializers.IntegerField(source="po_line.line_number")
    quantity = serializers.DecimalField(**QUANTITY)


class ReceiptBriefSerializer(serializers.Serializer):
    """A receipt on the invoice's PO."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    received_on = serializers.DateField()
    lines = ReceiptLineBriefSerializer(many=True)


class InvoiceHeaderSerializer(InvoiceBriefSerializer):
    """The invoice's header as the item page shows it."""

    due_date = serializers.DateField(allow_null=True)
    facility = serializers.CharField(source="facility.code")
    vendor_status = serializers.CharField(source="vendor.status", allow_null=True, default=None)
    vendor_reference = serializers.JSONField()
    subtotal = serializers.DecimalField(**MONEY)
    tax_amount = serializers.DecimalField(**MONEY)
    freight_amount = serializers.DecimalField(**MONEY)
    channel = serializers.CharField()
    received_at = serializers.DateTimeField()
    keyed_by = serializers.CharField(source="keyed_by.username", allow_null=True, default=None)


class InvoiceLineBriefSerializer(serializers.Serializer):
    """A line of the duplicate the invoice resembles."""

    line_number = serializers.IntegerField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(**QUANTITY)
    unit_price = serializers.DecimalField(**QUANTITY)
    amount = serializers.DecimalField(**MONEY)


class DuplicateSerializer(InvoiceBriefSerializer):
    """The live invoice this one may duplicate, with its lines, to compare side by side."""

    lines = InvoiceLineBriefSerializer(many=True)


class TimelineEntrySerializer(serializers.Serializer):
    """One dated event of the invoice: a change, an action or a decision."""

    when = serializers.DateTimeField()
    who = serializers.CharField()
    what = serializers.CharField()
    note = serializers.CharField()
    kind = serializers.CharField()


class WorkItemDetailSerializer(serializers.Serializer):
    """Everything needed to decide on an item without leaving it (built from the `work_item_detail` selector)."""

    item = WorkItemSerializer()
    invoice = InvoiceHeaderSerializer()
    lines = LineSerializer(many=True)
    header_exceptions = ExceptionSerializer(many=True)
    open_exceptions = ExceptionSerializer(many=True)
    po_lines = PoLineSerializer(many=True)
    receipts = ReceiptBriefSerializer(many=True)
    vendor_flags = serializers.ListField(child=serializers.CharField(), help_text="vendor_not_active, ...")
    cooling_off_until = serializers.DateTimeField(allow_null=True, help_text="End of the bank change's cooling-off.")
    duplicate = DuplicateSerializer(allow_null=True)
    raw_document = serializers.CharField(help_text="The inbound document as received (first 20,000 bytes).")
    timeline = TimelineEntrySerializer(many=True, help_text="Newest first.")
    variance_total = serializers.DecimalField(**MONEY, help_text="Money at stake in the open variances.")
    may_work = serializers.BooleanField(help_text="Whether I may act on this item.")
    holds_lease = serializers.BooleanField(help_text="Whether I hold its lease now.")


class WorkActionSerializer(serializers.Serializer):
    """An entry of the item's log: who did what, why, for how much."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    reason_code = serializers.CharField()
    note = serializers.CharField()
    actor = serializers.CharField(source="actor.username")
    occurred_at = serializers.DateTimeField()
    amount = serializers.DecimalField(**MONEY, allow_null=True)
    approval_request = serializers.IntegerField(source="approval_request_id", allow_null=True)


class ActionResultSerializer(serializers.Serializer):
    """What an action did: the item as it now stands and the log entry recorded (none for claims and leases)."""

    item = WorkItemSerializer()
    action = WorkActionSerializer(allow_null=True)


class VarianceResultSerializer(ActionResultSerializer):
    """Accepting a variance: accepted within my authority, or sent to an AP manager for approval."""

    outcome = serializers.CharField(help_text="`accepted` or `sent_for_approval`.")
    accepted = serializers.BooleanField()
    amount = serializers.DecimalField(**MONEY, help_text="The variance at stake.")
    authority = serializers.DecimalField(**MONEY, help_text="The most I may accept on my own here.")
    approval_request = serializers.IntegerField(allow_null=True, help_text="The approval request, when sent.")


class BulkResultSerializer(serializers.Serializer):
    """What a bulk action did to one item."""

    item = serializers.IntegerField(source="item_id")
    ok = serializers.BooleanField()
    code = serializers.CharField(help_text="The rule that refused it (empty when done).")
    message = serializers.CharField()
    outcome = serializers.CharField(help_text='For accept_variance: "accepted" or "sent_for_approval".')


class BulkResponseSerializer(serializers.Serializer):
    """A result per item, in the order given."""

    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BulkResultSerializer(many=True)
