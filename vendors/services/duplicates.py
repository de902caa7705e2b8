"""Decisions on duplicate candidates: merge a confirmed duplicate into its survivor, or dismiss the pair for good."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.services import outbox_event_record
from vendors.access import may_decide
from vendors.models import ChangeStatus, DuplicateCandidate, DuplicateStatus, Vendor, VendorStatus
from vendors.services._common import _save


def _open_pair(candidate: DuplicateCandidate, actor: User, note: str) -> DuplicateCandidate:
    if not may_decide(actor):
        raise NotAllowedError("Only vendor stewards and procurement admins decide duplicates.", code="not_a_steward")
    if not note.strip():
        raise InvalidInputError("Say why.", code="reason_required", errors={"note": ["Required."]})
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateStatus.OPEN:
        raise ApplicationError(
            f"This pair was already {candidate.get_status_display().lower()}.", code="candidate_not_open"
        )
    return candidate


@transaction.atomic
def duplicate_candidate_dismiss(*, actor: User, candidate: DuplicateCandidate, note: str) -> DuplicateCandidate:
    """Not the same supplier: the pair is remembered and never raised again."""
    candidate = _open_pair(candidate, actor, note)
    candidate.status = DuplicateStatus.DISMISSED
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.note = note.strip()
    _save(candidate, actor, f"duplicate dismissed: {note.strip()}")
    return candidate


@transaction.atomic
def duplicate_candidate_merge(
    *, actor: User, candidate: DuplicateCandidate, survivor: Vendor, note: str
) -> DuplicateCandidate:
    """Fold the other vendor into `survivor`: its cross-references move, it becomes inactive with `merged_into`,
    and a `vendor.merged` outbox event lets matching re-point purchase orders and invoices."""
    candidate = _open_pair(candidate, actor, note)
    if survivor.pk not in (candidate.vendor_a_id, candidate.vendor_b_id):
        raise InvalidInputError("The survivor must be one of the pair.", code="invalid_survivor")
    loser_id = candidate.vendor_b_id if survivor.pk == candidate.vendor_a_id else candidate.vendor_a_id
    survivor = Vendor.objects.select_for_update().get(pk=survivor.pk)
    loser = Vendor.objects.select_for_update().get(pk=loser_id)
    if survivor.merged_into_id is not None or loser.merged_into_id is not None:
        raise ApplicationError("One of the pair was already merged away.", code="vendor_merged")
    if loser.change_requests.filter(status=ChangeStatus.PENDING).exists():
        raise ApplicationError(
            f"{loser.number} has an open change request; decide or withdraw it before merging.",
            code="open_change_request",
        )
    reason = f"merged into {survivor.number}: {note.strip()}"
    moved = []
    for reference in loser.source_references.all():
        reference.vendor = survivor
        _save(reference, actor, reason)
        moved.append(f"{reference.system}:{reference.external_id}")
    loser.status = VendorStatus.INACTIVE
    loser.merged_into = survivor
    _save(loser, actor, reason)
    now = timezone.now()
    candidate.status = DuplicateStatus.MERGED
    candidate.survivor = survivor
    candidate.decided_by = actor
    candidate.decided_at = now
    candidate.note = note.strip()
    _save(candidate, actor, f"duplicate merged: {reason}")
    # Other open pairs of the merged-away vendor are settled by this merge.
    others = DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).filter(
        Q(vendor_a=loser) | Q(vendor_b=loser)
    )
    for other in others:
        other.status = DuplicateStatus.MERGED
        other.decided_by = actor
        other.decided_at = now
        other.note = f"{loser.number} was merged into {survivor.number} (pair {candidate.pk})"
        _save(other, actor, other.note)
    from vendors.dedupe.store import match_keys_rebuild

    match_keys_rebuild([loser.pk, survivor.pk])
    outbox_event_record(
        actor=actor,
        topic="vendor.merged",
        subject=f"vendor:{loser.pk}",
        payload={
            "merged": loser.number,
            "merged_id": loser.pk,
            "survivor": survivor.number,
            "survivor_id": survivor.pk,
            "source_references": moved,
        },
    )
    return candidate
