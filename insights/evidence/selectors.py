"""Scoped reads of the control evidence pack: one section per control, each a header and the rows of a period.

The period is the filters' inclusive date range in the portal's time zone: an event belongs to it when it happened
at or after 00:00 of `date_from` and before 00:00 of the day after `date_to`.

Facility scoping: records raised at a facility (bank change requests, approval requests and their SoD blocks and
decisions, workbench actions, facility-scoped tolerance rules) count only at the reader's chosen or visible
facilities; the supplier master's records (vendor merges, screening results and decisions) are network-wide, as in
the vendors app, and so are tolerance rules that no facility owns (global, vendor and category rules apply to every
facility's invoices)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from approvals.models import ApprovalDecision, BlockedAttempt
from insights.evidence.models import ChainVerification, EvidenceDownload
from insights.filters import ReportFilters
from matching.models import ToleranceRule, WorkAction, WorkActionKind
from vendors.models import (
    CallbackEvidence,
    ChangeKind,
    ChangeRequest,
    DuplicateCandidate,
    DuplicateStatus,
    ScreeningHit,
    ScreeningResult,
)

VARIANCE_DOCUMENT = "invoice_variance"  # matching.services.workbench.actions.VARIANCE_DOCUMENT
HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class Period:
    """The half-open moments [start, end) of the inclusive dates of a report."""

    start: datetime
    end: datetime


def period_of(filters: ReportFilters) -> Period:
    """The moments the filters' inclusive dates cover, in the portal's time zone."""
    start = timezone.make_aware(datetime.combine(filters.date_from, time.min))
    end = timezone.make_aware(datetime.combine(filters.date_to + timedelta(days=1), time.min))
    return Period(start, end)


def _who(user: Any) -> str:
    return user.get_username() if user is not None else ""


@dataclass(frozen=True)
class Section:
    """One control of the pack: its file name, what it shows, and the rows of the period."""

    key: str
    title: str
    explanation: str
    header: tuple[str, ...]
    queryset: QuerySet[Any]
    to_row: Callable[[Any], Sequence[Any]]

    @property
    def filename(self) -> str:
        return f"{self.key}.csv"

    def count(self) -> int:
        return self.queryset.count()

    def rows(self, limit: int | None = None) -> Iterator[Sequence[Any]]:
        """The rows in the file's order (the first `limit` of them for the page)."""
        records: Iterable[Any] = self.queryset[:limit] if limit is not None else self.queryset.iterator(2000)
        for record in records:
            yield self.to_row(record)


def _in(period: Period, field: str) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _callbacks(change: ChangeRequest) -> str:
    return "; ".join(
        f"{callback.called_at.isoformat(timespec='minutes')} {_who(callback.called_by)} called {callback.phone_number}"
        f" ({callback.contact_name}): {callback.outcome}{' - ' + callback.notes if callback.notes else ''}"
        for callback in change.callbacks.all()
    )


def _masked_diff(change: ChangeRequest) -> str:
    """The change as the request recorded it (bank values are masked there)."""
    return "; ".join(f"{line.get('label', '')}: {line.get('old', '')} -> {line.get('new', '')}" for line in change.diff)


def _approvers(change: ChangeRequest) -> str:
    if change.approval_request is None:
        return ""
    return "; ".join(
        f"{decision.decision} by {_who(decision.actor)}"
        f"{' for ' + _who(decision.acting_for) if decision.acting_for_id else ''}"
        f" at {decision.decided_at.isoformat(timespec='minutes')}{': ' + decision.comment if decision.comment else ''}"
        for decision in change.approval_request.decisions.all()
    )


def _bank_changes(filters: ReportFilters, period: Period) -> Section:
    changes = (
        ChangeRequest.objects.filter(_in(period, "submitted_at"), kind=ChangeKind.BANK_ACCOUNT)
        .filter(facility__in=filters.facility_ids)
        .select_related("vendor", "facility", "submitted_by", "approval_request")
        .prefetch_related(
            Prefetch("callbacks", queryset=CallbackEvidence.objects.select_related("called_by").order_by("called_at")),
            Prefetch(
                "approval_request__decisions",
                queryset=ApprovalDecision.objects.select_related("actor", "acting_for").order_by("decided_at", "id"),
            ),
        )
        .order_by("submitted_at", "id")
    )
    return Section(
        key="bank_changes",
        title="Bank-account changes",
        explanation="Every bank-account change request submitted in the period, with its call-backs to a number on "
        "file and every approval decision (account numbers masked).",
        header=(
            "request", "submitted at", "facility", "vendor", "vendor name", "submitted by", "reason", "change (masked)",
            "status", "call-backs", "approval decisions", "decided at",
        ),
        queryset=changes,
        to_row=lambda change: (
            f"CR-{change.pk}", change.submitted_at, change.facility.code, change.vendor.number,
            change.vendor.legal_name, _who(change.submitted_by), change.reason,
            _masked_diff(change),
            change.status, _callbacks(change), _approvers(change), change.decided_at,
        ),
    )  # fmt: skip


def _approval_blocks(filters: ReportFilters, period: Period) -> Section:
    attempts = (
        BlockedAttempt.objects.filter(_in(period, "attempted_at"), request__facility__in=filters.facility_ids)
        .select_related("actor", "acting_for", "request__facility")
        .order_by("attempted_at", "id")
    )
    return Section(
        key="sod_blocks_approvals",
        title="Segregation-of-duties blocks: approvals",
        explanation="Approval decisions that segregation of duties refused, with the rule that refused them.",
        header=(
            "attempted at", "facility", "actor", "acting for", "decision", "rule", "message", "approval request",
            "document type", "document", "summary",
        ),
        queryset=attempts,
        to_row=lambda attempt: (
            attempt.attempted_at, attempt.request.facility.code, _who(attempt.actor), _who(attempt.acting_for),
            attempt.decision, attempt.rule, attempt.message, attempt.request_id, attempt.request.document_type,
            attempt.request.document_id, attempt.request.summary,
        ),
    )  # fmt: skip


def _work_actions(filters: ReportFilters, period: Period, kind: str) -> QuerySet[WorkAction]:
    return (
        WorkAction.objects.filter(_in(period, "occurred_at"), kind=kind, facility__in=filters.facility_ids)
        .select_related("actor", "facility", "invoice")
        .order_by("occurred_at", "id")
    )


def _workbench_blocks(filters: ReportFilters, period: Period) -> Section:
    return Section(
        key="sod_blocks_workbench",
        title="Segregation-of-duties blocks: workbench",
        explanation="Workbench actions that segregation of duties refused (the refused action and rule).",
        header=("occurred at", "facility", "actor", "invoice", "refused action", "rule", "message"),
        queryset=_work_actions(filters, period, WorkActionKind.BLOCKED),
        to_row=lambda action: (
            action.occurred_at, action.facility.code, _who(action.actor), action.invoice.invoice_number,
            action.detail.get("action", ""), action.detail.get("rule", ""), action.note,
        ),
    )  # fmt: skip


def _accepted_variances(filters: ReportFilters, period: Period) -> Section:
    return Section(
        key="accepted_variances",
        title="Tolerance overrides: accepted variances",
        explanation="Variances an AP person accepted within their authority, with the reason code and note.",
        header=("occurred at", "facility", "actor", "invoice", "amount", "authority", "reason code", "note"),
        queryset=_work_actions(filters, period, WorkActionKind.ACCEPT_VARIANCE),
        to_row=lambda action: (
            action.occurred_at, action.facility.code, _who(action.actor), action.invoice.invoice_number,
            action.amount, action.detail.get("authority", ""), action.reason_code, action.note,
        ),
    )  # fmt: skip


def _variance_approvals(filters: ReportFilters, period: Period) -> Section:
    decisions = (
        ApprovalDecision.objects.filter(
            _in(period, "decided_at"),
            request__document_type=VARIANCE_DOCUMENT,
            request__facility__in=filters.facility_ids,
        )
        .select_related("actor", "acting_for", "request__facility")
        .order_by("decided_at", "id")
    )
    return Section(
        key="variance_approvals",
        title="Tolerance overrides: variance approvals",
        explanation="Decisions on variances above a clerk's authority (invoice_variance approval requests).",
        header=(
            "decided at", "facility", "actor", "acting for", "decision", "comment", "approval request", "amount",
            "currency", "summary",
        ),
        queryset=decisions,
        to_row=lambda decision: (
            decision.decided_at, decision.request.facility.code, _who(decision.actor), _who(decision.acting_for),
            decision.decision, decision.comment, decision.request_id, decision.request.amount,
            decision.request.currency, decision.request.summary,
        ),
    )  # fmt: skip


def _tolerance_edits(filters: ReportFilters, period: Period) -> Section:
    history = ToleranceRule.history.model.objects
    edits = (
        history.filter(_in(period, "history_date"))
        .filter(Q(facility__isnull=True) | Q(facility_id__in=filters.facility_ids))
        .select_related("history_user", "facility", "vendor")
        .order_by("history_date", "history_id")
    )
    return Section(
        key="tolerance_rule_edits",
        title="Tolerance rule edits",
        explanation="Every creation and change of a tolerance rule, by whom and why (rules without a facility "
        "apply everywhere and are listed for every reader).",
        header=(
            "changed at", "who", "action", "rule", "name", "scope", "facility", "vendor", "category", "version",
            "price limit %", "price limit $", "qty over received", "qty over ordered", "header total $", "active",
            "reason",
        ),
        queryset=edits,
        to_row=lambda edit: (
            edit.history_date, _who(edit.history_user) or edit.history_actor_label,
            HISTORY_ACTIONS.get(edit.history_type, edit.history_type), edit.id, edit.name, edit.scope,
            edit.facility.code if edit.facility_id else "", edit.vendor.number if edit.vendor_id else "",
            edit.category, edit.version, edit.price_pct, edit.price_abs, edit.qty_over_received,
            edit.qty_over_ordered, edit.header_total_abs, edit.active, edit.history_change_reason or "",
        ),
    )  # fmt: skip


def _merges(period: Period) -> Section:
    merges = (
        DuplicateCandidate.objects.filter(_in(period, "decided_at"), status=DuplicateStatus.MERGED)
        .select_related("vendor_a", "vendor_b", "survivor", "decided_by")
        .order_by("decided_at", "id")
    )

    def merged(pair: DuplicateCandidate) -> str:
        return pair.vendor_b.number if pair.survivor_id == pair.vendor_a_id else pair.vendor_a.number

    return Section(
        key="vendor_merges",
        title="Vendor merges",
        explanation="Duplicate vendors merged into a survivor (network-wide: one supplier master).",
        header=("decided at", "decided by", "survivor", "survivor name", "merged vendor", "score", "reasons", "note"),
        queryset=merges,
        to_row=lambda pair: (
            pair.decided_at, _who(pair.decided_by), pair.survivor.number if pair.survivor_id else "",
            pair.survivor.legal_name if pair.survivor_id else "", merged(pair), pair.score,
            "; ".join(str(reason) for reason in pair.reasons), pair.note,
        ),
    )  # fmt: skip


def _screening_results(period: Period) -> Section:
    results = (
        ScreeningResult.objects.filter(_in(period, "screened_at"))
        .select_related("vendor")
        .order_by("screened_at", "id")
    )
    return Section(
        key="screening_results",
        title="Screening results",
        explanation="Every screening of a vendor against the exclusion lists, with the list versions it used.",
        header=("screened at", "vendor", "vendor name", "trigger", "list versions", "hits"),
        queryset=results,
        to_row=lambda result: (
            result.screened_at, result.vendor.number, result.vendor.legal_name, result.trigger,
            "; ".join(f"{source} {version}" for source, version in sorted(result.list_versions.items())),
            result.hits,
        ),
    )  # fmt: skip


def _screening_decisions(period: Period) -> Section:
    hits = (
        ScreeningHit.objects.filter(_in(period, "decided_at"))
        .select_related("vendor", "entry", "exclusion_list", "decided_by")
        .order_by("decided_at", "id")
    )
    return Section(
        key="screening_decisions",
        title="Screening hit decisions",
        explanation="Possible exclusion-list matches confirmed (vendor blocked) or cleared, with the list version.",
        header=(
            "decided at", "decided by", "vendor", "list", "list version", "listed party", "match", "score",
            "decision", "reason",
        ),
        queryset=hits,
        to_row=lambda hit: (
            hit.decided_at, _who(hit.decided_by), hit.vendor.number, hit.exclusion_list.source,
            hit.exclusion_list.version, hit.entry.name, hit.match_kind, hit.score, hit.status, hit.reason,
        ),
    )  # fmt: skip


def evidence_sections(*, filters: ReportFilters) -> list[Section]:
    """Every control's section of the pack for the filters' facilities and period, in the pack's order."""
    period = period_of(filters)
    return [
        _bank_changes(filters, period),
        _approval_blocks(filters, period),
        _workbench_blocks(filters, period),
        _accepted_variances(filters, period),
        _variance_approvals(filters, period),
        _tolerance_edits(filters, period),
        _merges(period),
        _screening_results(period),
        _screening_decisions(period),
    ]


CHAIN_HEADER = ("table", "verified", "unsealed", "head hash", "broken")


def evidence_download_list(*, filters: ReportFilters, limit: int) -> list[EvidenceDownload]:
    """The latest downloads of evidence that covered only facilities this reader may see."""
    visible = {facility.code for facility in filters.visible}
    recent = EvidenceDownload.objects.select_related("downloaded_by").order_by("-downloaded_at", "-id")[:100]
    return [download for download in recent if set(download.facilities) <= visible][:limit]


def chain_verification_latest() -> ChainVerification | None:
    """The latest verification of the audit chain (network-wide: the chain covers every history table)."""
    return ChainVerification.objects.order_by("-checked_at", "-id").first()


def chain_rows(verification: ChainVerification) -> list[tuple[Any, ...]]:
    """The per-table lines of a verification, as the page and the pack's audit_chain.csv show them."""
    return [
        (table["table"], table["verified"], table["unsealed"], table["head_hash"], table["broken"])
        for table in verification.tables
    ]
