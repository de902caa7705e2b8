"""Workbench API actions on one item or many: each a POST with a small input serializer, calling one workbench
service. Refusals leave as problem+json naming the rule (`code`; `rule` for segregation-of-duties refusals)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from matching.api.workbench_inputs import (
    WorkAcceptVarianceInputSerializer,
    WorkBulkInputSerializer,
    WorkCommentInputSerializer,
    WorkCreditMemoInputSerializer,
    WorkDismissDuplicateInputSerializer,
    WorkHoldInputSerializer,
    WorkNoteInputSerializer,
    WorkReassignInputSerializer,
    WorkRejectInputSerializer,
    WorkRouteForReceiptInputSerializer,
)
from matching.api.workbench_serializers import (
    ActionResultSerializer,
    BulkResponseSerializer,
    VarianceResultSerializer,
)
from matching.models import WorkAction, WorkActionKind, WorkItem
from matching.services.workbench import actions as services
from matching.services.workbench.bulk import BulkResult, work_items_bulk
from matching.services.workbench.claims import (
    work_item_claim,
    work_item_lease_renew,
    work_item_reassign,
    work_item_release,
)
from matching.workbench_selectors import work_item_get, work_item_readable
from p2p_portal.api.idempotency import idempotent
from p2p_portal.api.views import IDEMPOTENCY_PARAMETER
from p2p_portal.errors import ApplicationError

NOT_FOUND = "No such work item, or not one you may see."


def _schema(request: type[serializers.Serializer] | None, response: Any = ActionResultSerializer) -> Any:
    """The schema of an item action: its input, its result, and the Idempotency-Key header."""
    return extend_schema(request=request, responses=response, parameters=[IDEMPOTENCY_PARAMETER])


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class WorkItemActions:
    """The POST actions of the item viewset (claims, leases, decisions, comments, reassignment, bulk)."""

    request: Request
    kwargs: dict[str, Any]

    def _item(self) -> WorkItem:
        """The item of the URL if I may see it (404 otherwise, as for the item page)."""
        return work_item_get(user=self.request.user, pk=int(self.kwargs["pk"]))

    def _answer(self, item: WorkItem, kind: str | None = None) -> Response:
        """The item as it now stands and, for a decision, the log entry I just recorded."""
        return Response(ActionResultSerializer(self._result(item, kind)).data)

    def _result(self, item: WorkItem, kind: str | None) -> dict[str, Any]:
        recorded = None
        if kind is not None:
            recorded = (
                WorkAction.objects.filter(item_id=item.pk, actor=self.request.user, kind=kind)
                .select_related("actor")
                .order_by("-occurred_at", "-id")
                .first()
            )
        return {"item": work_item_get(user=self.request.user, pk=item.pk), "action": recorded}

    def _decide(
        self, request: Request, inputs: type[serializers.Serializer], act: Callable[..., Any], kind: str
    ) -> Response:
        item = self._item()  # first: an item I may not see is 404 whatever the body says
        data = _valid(inputs, request)
        act(actor=request.user, item=item, **data)
        return self._answer(item, kind)

    # --- Claims and leases ------------------------------------------------------------------------------------
    @_schema(None)
    @action(detail=True, methods=["post"])
    @idempotent
    def claim(self, request: Request, pk: str) -> Response:
        """Take this item (409 `claimed_by_other` while another clerk's lease runs); renews my own lease."""
        return self._answer(work_item_claim(actor=request.user, item=self._item()))

    @_schema(None)
    @action(detail=True, methods=["post"])
    @idempotent
    def release(self, request: Request, pk: str) -> Response:
        """Give the item back to its queue (409 `not_claimed` when I do not hold it)."""
        return self._answer(work_item_release(actor=request.user, item=self._item()))

    @_schema(None)
    @action(detail=True, methods=["post"])
    @idempotent
    def renew(self, request: Request, pk: str) -> Response:
        """Extend my lease while I work (409 `lease_lost` when it ran out or went to someone else)."""
        item = self._item()
        if not work_item_lease_renew(actor=request.user, item=item):
            raise ApplicationError("You no longer hold this item; claim it again.", code="lease_lost")
        return self._answer(item)

    # --- Decisions --------------------------------------------------------------------------------------------
    @_schema(WorkAcceptVarianceInputSerializer, VarianceResultSerializer)
    @action(detail=True, methods=["post"], url_path="accept-variance", url_name="accept-variance")
    @idempotent
    def accept_variance(self, request: Request, pk: str) -> Response:
        """Accept the open variances (or `exception_ids`): within my authority they are resolved and the invoice
        matched again (`outcome` accepted); above it an approval request goes to AP managers (sent_for_approval).
        The clerk who keyed the invoice, or who changed the vendor's bank account, is refused (403, `rule`)."""
        item = self._item()
        data = _valid(WorkAcceptVarianceInputSerializer, request)
        outcome = services.work_item_accept_variance(actor=request.user, item=item, **data)
        kind = WorkActionKind.ACCEPT_VARIANCE if outcome.accepted else WorkActionKind.REQUEST_VARIANCE_APPROVAL
        approval = outcome.approval_request
        result = {
            **self._result(item, kind),
            "outcome": "accepted" if outcome.accepted else "sent_for_approval",
            "accepted": outcome.accepted,
            "amount": outcome.amount,
            "authority": outcome.authority,
            "approval_request": approval.pk if approval is not None else None,
        }
        return Response(VarianceResultSerializer(result).data)

    @_schema(WorkCreditMemoInputSerializer)
    @action(detail=True, methods=["post"], url_path="request-credit-memo", url_name="request-credit-memo")
    @idempotent
    def request_credit_memo(self, request: Request, pk: str) -> Response:
        """Ask the vendor for a credit memo for the open variances; the item waits for it."""
        return self._decide(
            request,
            WorkCreditMemoInputSerializer,
            services.work_item_request_credit_memo,
            WorkActionKind.REQUEST_CREDIT_MEMO,
        )

    @_schema(WorkRouteForReceiptInputSerializer)
    @action(detail=True, methods=["post"], url_path="route-for-receipt", url_name="route-for-receipt")
    @idempotent
    def route_for_receipt(self, request: Request, pk: str) -> Response:
        """Ask the buyer or receiver (`to_email`) to confirm receipt; the item waits until a receipt arrives."""
        return self._decide(
            request,
            WorkRouteForReceiptInputSerializer,
            services.work_item_route_for_receipt,
            WorkActionKind.ROUTE_RECEIPT,
        )

    @_schema(WorkNoteInputSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-duplicate", url_name="confirm-duplicate")
    @idempotent
    def confirm_duplicate(self, request: Request, pk: str) -> Response:
        """The invoice is a duplicate: it is rejected and the vendor told which invoice it repeats."""
        return self._decide(
            request, WorkNoteInputSerializer, services.work_item_confirm_duplicate, WorkActionKind.CONFIRM_DUPLICATE
        )

    @_schema(WorkDismissDuplicateInputSerializer)
    @action(detail=True, methods=["post"], url_path="dismiss-duplicate", url_name="dismiss-duplicate")
    @idempotent
    def dismiss_duplicate(self, request: Request, pk: str) -> Response:
        """Not a duplicate: the suspicion is resolved for good and the invoice matched again."""
        return self._decide(
            request,
            WorkDismissDuplicateInputSerializer,
            services.work_item_dismiss_duplicate,
            WorkActionKind.DISMISS_DUPLICATE,
        )

    @_schema(WorkHoldInputSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def hold(self, request: Request, pk: str) -> Response:
        """Put the item on hold until `review_on` (then it is back in its queue)."""
        return self._decide(request, WorkHoldInputSerializer, services.work_item_hold, WorkActionKind.HOLD)

    @_schema(WorkNoteInputSerializer)
    @action(detail=True, methods=["post"], url_path="release-hold", url_name="release-hold")
    @idempotent
    def release_hold(self, request: Request, pk: str) -> Response:
        """Take the item off hold before its review date."""
        return self._decide(
            request, WorkNoteInputSerializer, services.work_item_release_hold, WorkActionKind.RELEASE_HOLD
        )

    @_schema(WorkRejectInputSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request: Request, pk: str) -> Response:
        """Reject the invoice: it is not paid and the vendor is told the note."""
        return self._decide(request, WorkRejectInputSerializer, services.work_item_reject, WorkActionKind.REJECT)

    @_schema(WorkCommentInputSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def comment(self, request: Request, pk: str) -> Response:
        """Add a comment to the item's timeline (no lease needed)."""
        return self._decide(request, WorkCommentInputSerializer, services.work_item_comment, WorkActionKind.COMMENT)

    @_schema(WorkReassignInputSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reassign(self, request: Request, pk: str) -> Response:
        """Give the item to another clerk of its queue, with a fresh lease (AP managers of its facility)."""
        return self._decide(request, WorkReassignInputSerializer, work_item_reassign, WorkActionKind.REASSIGN)

    # --- Many items -------------------------------------------------------------------------------------------
    @_schema(WorkBulkInputSerializer, BulkResponseSerializer)
    @action(detail=False, methods=["post"])
    @idempotent
    def bulk(self, request: Request) -> Response:
        """One decision for many items, each checked and recorded on its own: a result per item in the order
        given; items I may not see are `not_found`; one refusal never stops the others."""
        data = _valid(WorkBulkInputSerializer, request)
        wanted: list[int] = data["items"]
        visible = {item.pk: item for item in work_item_readable(request.user).filter(pk__in=wanted)}
        done = {
            result.item_id: result
            for result in work_items_bulk(
                actor=request.user,
                items=[visible[pk] for pk in wanted if pk in visible],
                action=data["action"],
                params=data["params"],
            )
        }
        results = [done.get(pk) or BulkResult(pk, False, "not_found", NOT_FOUND) for pk in wanted]
        ok = sum(result.ok for result in results)
        body = {"done": ok, "refused": len(results) - ok, "results": results}
        return Response(BulkResponseSerializer(body).data)
