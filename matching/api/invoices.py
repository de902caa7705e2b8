"""Invoices API: JSON, UBL 2.1, cXML or X12 810 in the body (by Content-Type), one or up to 1,000 at once. Every
body is stored raw before it is read; a bad one is answered field by field and kept with its errors."""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api.bulk_items import invoice_values, invoices_represented
from matching.api.serializers import (
    BulkInvoicesInputSerializer,
    InvoiceInputSerializer,
    InvoiceSerializer,
)
from matching.intake.canonical import CanonicalInvoice, CanonicalLine, DocumentError
from matching.intake.formats import MAX_DOCUMENT_BYTES, parse_document
from matching.models import Channel, ExceptionCode, InboundDocument, InboundOutcome, Invoice, InvoiceStatus
from matching.selectors import invoice_list
from matching.services.inbound import inbound_document_outcome, inbound_document_record
from matching.services.intake import BatchItem, facility_resolve, invoices_ingest_batch
from p2p_portal.api.idempotency import HEADER, idempotent
from p2p_portal.api.permissions import ScopedPermission, is_api_client
from p2p_portal.api.views import IDEMPOTENCY_PARAMETER
from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.models import Facility
from p2p_portal.roles import Role, Scope
from p2p_portal.selectors import has_role_at

BULK_LIMIT = 1000


class RawBodyParser(BaseParser):
    """Leaves XML and X12 bodies to our own safe parsers (DRF's XML parsing is never used)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:
        return b""


class DocumentRejectedError(ApplicationError):
    """A document that could not be read: every bad field or path in `errors`."""

    status = 422


def _channel_of(content_type: str) -> str:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        return Channel.API_JSON
    return ""  # decided by the parser (UBL, cXML or X12)


def _canonical_from_json(data: dict[str, Any], reader: InvoiceInputSerializer | None = None) -> CanonicalInvoice:
    """The invoice of a JSON body: read by hand when well-formed, else by the serializer, whose errors name each bad
    field (a bulk request passes one `reader` for all its items: its fields built once)."""
    values = invoice_values(data)
    if values is None and reader is not None:
        values = reader.run_validation(data)
    elif values is None:
        serializer = InvoiceInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
    reference = values.get("vendor_ref") or {}
    lines = tuple(
        CanonicalLine(
            line_number=line["line_number"],
            po_line_number=line["po_line_number"],
            item_code=line["item_code"],
            gtin="",
            description=line["description"],
            quantity=line["quantity"],
            unit_of_measure=line["unit_of_measure"],
            unit_price=line["unit_price"],
            amount=line["amount"],
        )
        for line in values["lines"]
    )
    return CanonicalInvoice(
        document_type=values["document_type"],
        invoice_number=values["invoice_number"],
        invoice_date=values["invoice_date"],
        due_date=values["due_date"],
        currency=values["currency"],
        vendor_number=values["vendor"],
        vendor_ref_system=reference.get("system", ""),
        vendor_ref_id=reference.get("id", ""),
        vendor_tax_id="",
        vendor_gln="",
        vendor_name="",
        facility=values["facility"],
        po_number=values["po_number"],
        original_invoice_number=values["original_invoice_number"],
        subtotal=sum((line.amount for line in lines), start=lines[0].amount * 0),
        tax_amount=values["tax_amount"],
        freight_amount=values["freight_amount"],
        total_amount=values["total_amount"],
        lines=lines,
        source_format="json",
        cost_center=values["cost_center"],
    )


def _facility_for(principal: Any, identifier: str) -> Facility:
    """The invoice's facility, where the caller may submit invoices (403 otherwise, naming it)."""
    facility = facility_resolve(identifier)
    if facility is None:
        raise InvalidInputError(
            f"No facility {identifier!r} (a facility code or GLN).", code="unknown_facility", field="facility"
        )
    allowed = (
        principal.facilities.filter(pk=facility.pk).exists()
        if is_api_client(principal)
        else has_role_at(principal, Role.AP_CLERK, facility)
    )
    if not allowed:
        raise NotAllowedError(f"You may not submit invoices at {facility.code}.", code="facility_not_allowed")
    return facility


def _ingest(principal: Any, document: CanonicalInvoice, channel: str, inbound: InboundDocument) -> Invoice:
    """Store and match one invoice through the batch path (a batch of one: a few queries, not one per field)."""
    facility = _facility_for(principal, document.facility)
    keyed_by = None if is_api_client(principal) else principal
    (made,) = invoices_ingest_batch(
        actor=principal, items=[BatchItem(document, facility)], channel=channel, inbound=inbound, keyed_by=keyed_by
    )
    if isinstance(made, ApplicationError):
        raise made
    return made


def _rejected(index: int, error: ApplicationError) -> dict[str, Any]:
    """A bulk item's result when it was refused."""
    return {"index": index, "status": "rejected", "code": error.code, "detail": error.message, "errors": error.errors}


def _errors_of(error: Exception) -> list[dict[str, str]]:
    if isinstance(error, DocumentError):
        return [{"path": problem.path, "message": problem.message} for problem in error.errors]
    if isinstance(error, serializers.ValidationError):
        return [{"path": "", "message": json.dumps(error.detail, default=str)}]
    if isinstance(error, ApplicationError):
        return [{"path": name, "message": text} for name, texts in error.errors.items() for text in texts] or [
            {"path": "", "message": error.message}
        ]
    return [{"path": "", "message": str(error)}]


def _document_problem(error: DocumentError) -> DocumentRejectedError:
    problem = DocumentRejectedError(
        "The document could not be read; see `errors` for each element or segment.",
        code=error.code,
        errors={},
    )
    problem.errors = {}
    for item in error.errors:
        problem.errors.setdefault(item.path, []).append(item.message)
    if error.code == "too_large":
        problem.status = 413
    elif error.code in ("malformed", "unsupported_document", "unsafe_xml"):
        problem.status = 400
    return problem


class InvoiceFilter(django_filters.FilterSet):
    """Filters of the invoice list (applied by the selector)."""

    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, method="noop")
    exception = django_filters.ChoiceFilter(choices=ExceptionCode.choices, method="noop")
    vendor = django_filters.CharFilter(method="noop")
    facility = django_filters.CharFilter(method="noop")
    date_from = django_filters.DateFilter(method="noop")
    date_to = django_filters.DateFilter(method="noop")
    po = django_filters.CharFilter(method="noop")

    def noop(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset

    class Meta:
        model = Invoice
        fields: list[str] = []


class InvoiceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices of the caller's facilities; POST submits one (JSON, UBL, cXML or X12 810 by Content-Type)."""

    permission_classes = [ScopedPermission]
    required_scopes = {
        "list": Scope.INVOICES_READ,
        "retrieve": Scope.INVOICES_READ,
        "create": Scope.INVOICES_WRITE,
        "bulk": Scope.INVOICES_WRITE,
    }
    required_user_perms = {
        "list": "p2p_portal.view_facility",
        "retrieve": "p2p_portal.view_facility",
        "create": "p2p_portal.view_facility",
        "bulk": "p2p_portal.view_facility",
    }
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    parser_classes = [RawBodyParser]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Invoice]:
        if getattr(self, "swagger_fake_view", False):
            return Invoice.objects.none()
        params = self.request.query_params
        keys = ("status", "exception", "vendor", "facility", "date_from", "date_to", "po")
        return invoice_list(principal=self.request.user, filters={key: params.get(key) for key in keys}).order_by("-pk")

    def _raw(self, request: Request) -> bytes:
        return bytes(request._request.body)

    @extend_schema(
        request=InvoiceInputSerializer, responses={201: InvoiceSerializer}, parameters=[IDEMPOTENCY_PARAMETER]
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Submit one invoice or credit memo; the answer carries its status and exceptions."""
        raw = self._raw(request)
        content_type = request.content_type or ""
        channel = _channel_of(content_type)
        inbound = inbound_document_record(
            principal=request.user,
            channel=channel or Channel.UBL,
            content_type=content_type,
            raw=raw,
            keep_bytes=MAX_DOCUMENT_BYTES,
            idempotency_key=request.headers.get(HEADER, ""),
        )
        try:
            if len(raw) > MAX_DOCUMENT_BYTES:
                raise InvalidInputError(
                    f"The document has {len(raw)} bytes; at most {MAX_DOCUMENT_BYTES} are accepted.", code="too_large"
                )
            if channel == Channel.API_JSON:
                try:
                    body = json.loads(raw or b"null")
                except ValueError as error:
                    raise InvalidInputError(f"The body is not JSON: {error}.", code="malformed_json") from None
                if not isinstance(body, dict):
                    raise InvalidInputError(
                        "The body is a JSON object with the invoice's fields.", code="malformed_json"
                    )
                document = _canonical_from_json(body)
            else:
                document = parse_document(raw, content_type)
                channel = document.source_format
                if inbound.channel != channel:
                    inbound.channel = channel
            # The invoice and the "accepted" outcome commit together: one commit, not two, on the hot path. The raw
            # document itself was committed on its own before anything was read.
            with transaction.atomic():
                invoice = _ingest(request.user, document, channel, inbound)
                inbound_document_outcome(actor=request.user, document=inbound, outcome=InboundOutcome.ACCEPTED)
        except DocumentError as error:
            inbound_document_outcome(
                actor=request.user, document=inbound, outcome=InboundOutcome.REJECTED, errors=_errors_of(error)
            )
            raise _document_problem(error) from None
        except (serializers.ValidationError, ApplicationError) as error:
            inbound_document_outcome(
                actor=request.user, document=inbound, outcome=InboundOutcome.REJECTED, errors=_errors_of(error)
            )
            if isinstance(error, InvalidInputError) and error.code == "too_large":
                error.status = 413
            raise
        return Response(InvoiceSerializer(self._fresh(invoice)).data, status=status.HTTP_201_CREATED)

    def _fresh(self, invoice: Invoice) -> Invoice:
        return (
            Invoice.objects.select_related("facility", "vendor", "cost_center")
            .prefetch_related("exceptions", "lines")
            .get(pk=invoice.pk)
        )

    @extend_schema(request=BulkInvoicesInputSerializer, parameters=[IDEMPOTENCY_PARAMETER])
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request: Request) -> Response:
        """Up to 1,000 JSON invoices: a result per item, good items kept when others fail."""
        raw = self._raw(request)
        inbound = inbound_document_record(
            principal=request.user,
            channel=Channel.BULK,
            content_type=request.content_type or "",
            raw=raw,
            idempotency_key=request.headers.get(HEADER, ""),
        )
        try:
            body = json.loads(raw or b"null")
            serializer = BulkInvoicesInputSerializer(data=body if isinstance(body, dict) else {})
            serializer.is_valid(raise_exception=True)
        except (ValueError, serializers.ValidationError) as error:
            inbound_document_outcome(
                actor=request.user, document=inbound, outcome=InboundOutcome.REJECTED, errors=_errors_of(error)
            )
            if isinstance(error, serializers.ValidationError):
                raise
            raise InvalidInputError(f"The body is not JSON: {error}.", code="malformed_json") from None
        results: dict[int, dict[str, Any]] = {}
        batch: list[tuple[int, BatchItem]] = []
        facilities: dict[str, Facility | ApplicationError] = {}
        reader = InvoiceInputSerializer()
        for index, item in enumerate(serializer.validated_data["invoices"]):
            try:
                if not isinstance(item, dict):
                    raise InvalidInputError(
                        "Each item is a JSON object with an invoice's fields.", code="malformed_json"
                    )
                document = _canonical_from_json(item, reader)
                if document.facility not in facilities:
                    try:
                        facilities[document.facility] = _facility_for(request.user, document.facility)
                    except ApplicationError as error:
                        facilities[document.facility] = error
                facility = facilities[document.facility]
                if isinstance(facility, ApplicationError):
                    raise facility
            except serializers.ValidationError as error:
                results[index] = {"index": index, "status": "rejected", "errors": error.detail}
                continue
            except ApplicationError as error:
                results[index] = _rejected(index, error)
                continue
            batch.append((index, BatchItem(document, facility)))
        produced = invoices_ingest_batch(
            actor=request.user,
            items=[item for _, item in batch],
            channel=Channel.BULK,
            inbound=inbound,
            keyed_by=None if is_api_client(request.user) else request.user,
        )
        created = invoices_represented(invoice.pk for invoice in produced if isinstance(invoice, Invoice))
        for (index, _item), made in zip(batch, produced, strict=True):
            if isinstance(made, ApplicationError):
                results[index] = _rejected(index, made)
            else:
                results[index] = {
                    "index": index,
                    "status": "created",
                    "invoice": created[made.pk],
                }
        ordered = [results[index] for index in sorted(results)]
        accepted = sum(result["status"] == "created" for result in ordered)
        outcome = InboundOutcome.ACCEPTED if accepted else InboundOutcome.REJECTED
        inbound_document_outcome(
            actor=request.user,
            document=inbound,
            outcome=outcome,
            errors=[
                {
                    "path": f"invoices.{r['index']}",
                    "message": json.dumps(r.get("errors") or r.get("detail"), default=str),
                }
                for r in ordered
                if r["status"] == "rejected"
            ],
        )
        return Response(
            {"accepted": accepted, "rejected": len(ordered) - accepted, "results": ordered}, status=status.HTTP_200_OK
        )
