"""Every write of exclusion screening: list imports, screening one vendor or the whole master, deciding hits.

Matching is the same for one vendor and for the monthly re-screen: an index of the current lists' entries (by
NPI, and by state then normalised name) answers both; only how much of the lists is loaded into it differs.

A hit belongs to one entry of one list version, but the same excluded party comes back in next month's file as
a new entry. So a decided or still-open hit is recognised again by its party (source, normalised name, state,
NPI, identifier, exclusion date): a cleared false positive is not raised again every month, and an open hit is not
duplicated per version.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone
from rapidfuzz import fuzz, process

from p2p_portal.errors import ApplicationError, InvalidInputError, NotAllowedError
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for
from vendors.dedupe.names import normalise_name
from vendors.models import (
    ExclusionEntry,
    ExclusionList,
    ExclusionSource,
    HitStatus,
    ScreeningHit,
    ScreeningResult,
    Vendor,
    VendorSite,
    VendorStatus,
)
from vendors.screening.files import RejectedLine, exclusion_file_open, state_key, version_from_file_name
from vendors.services._common import _save

logger = logging.getLogger(__name__)

TRIGGERS = ("create", "change", "monthly", "manual")
DECIDER_ROLES = (Role.VENDOR_STEWARD, Role.PROCUREMENT_ADMIN)
NAME_SCORE_CUTOFF = 92
ENTRY_BATCH = 2000
RESCREEN_CHUNK = 2000
MAX_VERSION_LENGTH = 40  # ExclusionList.version
_EXACT = Decimal("1.000")
_KIND_RANK = {"npi": 0, "identifier": 1, "name_state": 2}


# --- Importing a list version ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportSummary:
    """What one import loaded, what it skipped and why, and which version it replaced as current."""

    exclusion_list: ExclusionList
    rows_loaded: int
    rejected: list[RejectedLine]
    rejected_count: int
    replaced: ExclusionList | None
    encoding: str


@transaction.atomic
def exclusion_list_import(*, actor: Any, source: str, path: Path | str, version: str | None = None) -> ImportSummary:
    """Load an LEIE or SAM file as a new list version and make it the source's current list."""
    if source not in ExclusionSource.values:
        raise InvalidInputError(
            f"Unknown exclusion list source {source!r}: use one of {', '.join(ExclusionSource.values)}.",
            code="exclusion_source_unknown",
            field="source",
        )
    file_path = Path(path)
    with exclusion_file_open(file_path, source) as exclusion_file:
        chosen = (version or version_from_file_name(file_path.name, timezone.localdate())).strip()
        if not chosen or len(chosen) > MAX_VERSION_LENGTH:
            raise InvalidInputError(
                f"The list version {chosen!r} must be 1 to {MAX_VERSION_LENGTH} characters.",
                code="exclusion_version_invalid",
                field="version",
            )
        # Locking the current row serialises two imports of one source, so exactly one ends up current.
        previous = ExclusionList.objects.select_for_update().filter(source=source, is_current=True).first()
        if ExclusionList.objects.filter(source=source, version=chosen).exists():
            raise InvalidInputError(
                f"{ExclusionSource(source).label} version {chosen} is already imported; "
                "give another --version if this is a different file.",
                code="exclusion_version_exists",
                field="version",
            )
        label = f"{ExclusionSource(source).label} {chosen}"
        imported = ExclusionList(
            source=source,
            version=chosen,
            file_name=file_path.name[:255],
            file_sha256=exclusion_file.facts.sha256,
            row_count=0,
            imported_at=timezone.now(),
            is_current=False,
        )
        _save(imported, actor, f"imported {label} from {file_path.name}")
        loaded = 0
        batch: list[ExclusionEntry] = []
        for parsed in exclusion_file.entries():
            batch.append(
                ExclusionEntry(
                    exclusion_list=imported,
                    row_number=parsed.row_number,
                    name=parsed.name,
                    name_key=normalise_name(parsed.name)[:300],
                    is_individual=parsed.is_individual,
                    npi=parsed.npi,
                    identifier=parsed.identifier,
                    address=parsed.address,
                    city=parsed.city,
                    state=parsed.state,
                    postal_code=parsed.postal_code,
                    exclusion_type=parsed.exclusion_type,
                    excluded_on=parsed.excluded_on,
                    reinstated_on=parsed.reinstated_on,
                    raw=parsed.raw,
                )
            )
            if len(batch) >= ENTRY_BATCH:
                ExclusionEntry.objects.bulk_create(batch)
                loaded += len(batch)
                batch = []
        ExclusionEntry.objects.bulk_create(batch)
        loaded += len(batch)
        if loaded == 0:
            # An empty current list would silently screen every vendor as clean.
            raise InvalidInputError(
                f"No row of {file_path.name} could be loaded ({exclusion_file.rejected_count} line(s) rejected); "
                "the current list is unchanged.",
                code="exclusion_file_empty",
                extra={"rejected": [(line.line, line.reason) for line in exclusion_file.rejected[:20]]},
            )
        if previous is not None:
            previous.is_current = False
            _save(previous, actor, f"replaced by {label}")
        imported.row_count = loaded
        imported.is_current = True
        _save(imported, actor, f"{label} is current ({loaded} entries)")
        return ImportSummary(
            exclusion_list=imported,
            rows_loaded=loaded,
            rejected=list(exclusion_file.rejected),
            rejected_count=exclusion_file.rejected_count,
            replaced=previous,
            encoding=exclusion_file.facts.encoding,
        )


# --- Matching -------------------------------------------------------------------------------------------------
Party = tuple[str, str, str, str, str, date | None]


class _Candidate(NamedTuple):
    """The part of an entry matching needs (a tuple: the monthly re-screen holds every current entry)."""

    entry_id: int
    list_id: int
    source: str
    name_key: str
    state: str
    npi: str
    identifier: str
    excluded_on: date | None

    @property
    def party(self) -> Party:
        """Who the entry names, the same from one list version to the next."""
        return (self.source, self.name_key, self.state, self.npi, self.identifier, self.excluded_on)


@dataclass(frozen=True)
class _Subject:
    """A vendor as matching sees it: its NPI, its normalised names, the states of its active sites."""

    vendor_id: int
    npi: str
    uei: str
    names: dict[str, str]  # normalised name -> how the vendor writes it, for the hit's detail
    states: frozenset[str]


@dataclass(frozen=True)
class _Match:
    """One entry a vendor matched, with the strongest way it matched."""

    candidate: _Candidate
    kind: str
    score: Decimal
    detail: str


def _subject(
    vendor_id: int, legal_name: str, dba_name: str, npi: str, states: Iterable[str], uei: str = ""
) -> _Subject:
    """Build the matching view of a vendor from its fields and its active sites' states."""
    names: dict[str, str] = {}
    for label, written in (("legal name", legal_name), ("DBA name", dba_name)):
        key = _sorted_words(normalise_name(written)) if written.strip() else ""
        if key and key not in names:
            names[key] = f"{label} {written!r}"
    return _Subject(
        vendor_id=vendor_id,
        npi=npi.strip(),
        uei=uei.strip().upper(),
        names=names,
        states=frozenset(key for key in (state_key(state) for state in states) if key),
    )


def _sorted_words(key: str) -> str:
    """The words of a normalised name in sorted order, single-spaced (what token_sort_ratio compares)."""
    return " ".join(sorted(key.split()))


def _length_window(length: int) -> range:
    """The key lengths that can reach the name cutoff against a key of `length`.

    Indel similarity 1 - d / (a + b) >= 0.92 needs |a - b| <= d <= 0.08 (a + b), i.e. 23a <= 27b and 23b <= 27a.
    """
    return range(math.ceil(length * 23 / 27), math.floor(length * 27 / 23) + 1)


class _ScreeningIndex:
    """The screenable entries of the current lists, looked up by NPI, and by state and normalised name."""

    def __init__(self, candidates: Iterable[_Candidate]) -> None:
        """Index the candidates (reinstated entries are expected to be left out already)."""
        self.by_npi: dict[str, list[_Candidate]] = defaultdict(list)
        self.by_identifier: dict[str, list[_Candidate]] = defaultdict(list)
        self.by_name: dict[str, dict[str, list[_Candidate]]] = defaultdict(lambda: defaultdict(list))
        self.keys_by_length: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
        for candidate in candidates:
            if candidate.npi:
                self.by_npi[candidate.npi].append(candidate)
            if candidate.identifier:
                self.by_identifier[candidate.identifier.upper()].append(candidate)
            if candidate.state and candidate.name_key:
                key = _sorted_words(candidate.name_key)
                names = self.by_name[candidate.state]
                if key not in names:
                    self.keys_by_length[candidate.state][len(key)].append(key)
                names[key].append(candidate)

    @classmethod
    def load(cls, lists: Iterable[ExclusionList], *, today: date, narrow_to: _Subject | None = None) -> _ScreeningIndex:
        """Load the entries of `lists` that still exclude on `today`; for one vendor only those it could match."""
        source_of = {exclusion_list.pk: exclusion_list.source for exclusion_list in lists}
        entries = ExclusionEntry.objects.filter(exclusion_list_id__in=source_of).exclude(reinstated_on__lte=today)
        if narrow_to is not None:
            lengths = Q(pk__in=[])
            for key in narrow_to.names:
                window = _length_window(len(key))
                lengths |= Q(key_length__gte=window.start, key_length__lt=window.stop)
            reach = Q(state__in=narrow_to.states) & lengths
            if narrow_to.npi:
                reach |= Q(npi=narrow_to.npi)
            if narrow_to.uei:
                reach |= Q(identifier__iexact=narrow_to.uei)
            entries = entries.annotate(key_length=Length("name_key")).filter(reach)
        rows = entries.values_list(
            "pk", "exclusion_list_id", "name_key", "state", "npi", "identifier", "excluded_on"
        ).iterator(chunk_size=10000)
        return cls(
            _Candidate(pk, list_id, source_of[list_id], name_key, state, npi, identifier, excluded_on)
            for pk, list_id, name_key, state, npi, identifier, excluded_on in rows
        )

    def matches(self, subject: _Subject) -> list[_Match]:
        """Every entry the subject matches, once each, by its strongest kind of match."""
        found: dict[int, _Match] = {}

        def keep(match: _Match) -> None:
            """Hold the match unless the entry is already held by a stronger one."""
            held = found.get(match.candidate.entry_id)
            if held is None or (_KIND_RANK[match.kind], -match.score) < (_KIND_RANK[held.kind], -held.score):
                found[match.candidate.entry_id] = match

        if subject.npi:
            for candidate in self.by_npi.get(subject.npi, ()):
                keep(_Match(candidate, "npi", _EXACT, f"NPI {subject.npi} matches the list's NPI"))
        # SAM names firms by their Unique Entity ID (the DUNS it replaced in 2022 is not comparable); LEIE has none.
        if subject.uei:
            for candidate in self.by_identifier.get(subject.uei, ()):
                keep(_Match(candidate, "identifier", _EXACT, f"UEI {subject.uei} matches the list's Unique Entity ID"))
        for state in sorted(subject.states):
            names = self.by_name.get(state)
            if not names:
                continue
            lengths = self.keys_by_length[state]
            for key, written in subject.names.items():
                for candidate in names.get(key, ()):
                    keep(_Match(candidate, "name_state", _EXACT, f"{written} matches exactly in {state}"))
                for length in _length_window(len(key)):
                    choices = lengths.get(length)
                    if not choices:
                        continue
                    # Both sides have their words sorted (_sorted_words), so plain ratio is token_sort_ratio.
                    for choice, score, _ in process.extract(
                        key, choices, scorer=fuzz.ratio, score_cutoff=NAME_SCORE_CUTOFF, limit=None
                    ):
                        if choice == key:
                            continue
                        rounded = Decimal(str(round(score / 100, 3)))
                        for candidate in names[choice]:
                            keep(
                                _Match(
                                    candidate,
                                    "name_state",
                                    rounded,
                                    f"{written} is like {choice!r} ({rounded}) in {state}",
                                )
                            )
        return sorted(found.values(), key=lambda match: match.candidate.entry_id)


@dataclass
class _KnownHits:
    """A vendor's hits already on record: by entry, and by the party they name with their statuses."""

    entries: set[int] = field(default_factory=set)
    parties: dict[Party, set[str]] = field(default_factory=lambda: defaultdict(set))


def _known_hits(vendor_ids: Iterable[int]) -> dict[int, _KnownHits]:
    """The hits on record for these vendors, whatever list version they were raised on."""
    known: dict[int, _KnownHits] = defaultdict(_KnownHits)
    rows = ScreeningHit.objects.filter(vendor_id__in=list(vendor_ids)).values_list(
        "vendor_id",
        "entry_id",
        "status",
        "exclusion_list__source",
        "entry__name_key",
        "entry__state",
        "entry__npi",
        "entry__identifier",
        "entry__excluded_on",
    )
    for vendor_id, entry_id, status, *party in rows:
        record = known[vendor_id]
        record.entries.add(entry_id)
        record.parties[tuple(party)].add(status)  # type: ignore[index]
    return known


def _current_lists() -> list[ExclusionList]:
    """The current version of each source."""
    return list(ExclusionList.objects.filter(is_current=True).order_by("source"))


def _versions(lists: Iterable[ExclusionList]) -> dict[str, str]:
    """The list versions a screening was judged against, by source."""
    return {exclusion_list.source: exclusion_list.version for exclusion_list in lists}


def _record_matches(
    *, actor: Any, subject: _Subject, matches: list[_Match], known: _KnownHits, now: datetime, trigger: str
) -> tuple[list[ScreeningHit], int]:
    """Raise an open hit for each match not already on record; returns the new hits and the count that stand.

    A match stands unless the party it names was cleared for this vendor; a match already on record (this
    entry, or the same party on an earlier version) is not raised again.
    """
    raised: list[ScreeningHit] = []
    standing = 0
    for match in matches:
        statuses = known.parties.get(match.candidate.party, set())
        if match.candidate.entry_id not in known.entries and not statuses:
            hit = ScreeningHit(
                vendor_id=subject.vendor_id,
                entry_id=match.candidate.entry_id,
                exclusion_list_id=match.candidate.list_id,
                match_kind=match.kind,
                score=match.score,
                detail=match.detail[:300],
                status=HitStatus.OPEN,
                found_at=now,
            )
            _save(hit, actor, f"exclusion screening ({trigger})")
            raised.append(hit)
            known.entries.add(match.candidate.entry_id)
            known.parties[match.candidate.party].add(HitStatus.OPEN)
            standing += 1
        elif statuses - {HitStatus.CLEARED}:
            standing += 1
    return raised, standing


def _check_trigger(trigger: str) -> None:
    """Refuse a trigger outside the fixed vocabulary (results are filtered by it)."""
    if trigger not in TRIGGERS:
        raise InvalidInputError(
            f"Unknown screening trigger {trigger!r}: use one of {', '.join(TRIGGERS)}.",
            code="screening_trigger_unknown",
            field="trigger",
        )


# --- Screening ------------------------------------------------------------------------------------------------
@transaction.atomic
def vendor_screen(*, actor: Any, vendor: Vendor, trigger: str) -> list[ScreeningHit]:
    """Screen one vendor against the current LEIE and SAM lists; returns the hits newly raised."""
    _check_trigger(trigger)
    # The vendor row lock keeps two screenings of one vendor from raising the same hit twice.
    locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
    states = VendorSite.objects.filter(vendor=locked, active=True).values_list("state", flat=True)
    subject = _subject(locked.pk, locked.legal_name, locked.dba_name, locked.npi, states, locked.uei)
    lists = _current_lists()
    now = timezone.now()
    index = _ScreeningIndex.load(lists, today=timezone.localdate(), narrow_to=subject)
    raised, standing = _record_matches(
        actor=actor,
        subject=subject,
        matches=index.matches(subject),
        known=_known_hits([locked.pk])[locked.pk],
        now=now,
        trigger=trigger,
    )
    result = ScreeningResult(
        vendor=locked, screened_at=now, trigger=trigger, list_versions=_versions(lists), hits=standing
    )
    _save(result, actor, f"exclusion screening ({trigger})")
    return raised


@dataclass(frozen=True)
class RescreenSummary:
    """What one re-screen of the master did."""

    vendors_screened: int
    vendors_with_hits: int
    hits_raised: int
    list_versions: dict[str, str]
    seconds: float


def vendors_rescreen(
    *, actor: Any, trigger: str = "monthly", vendor_ids: Iterable[int] | None = None
) -> RescreenSummary:
    """Re-screen every vendor (merged ones aside), or only `vendor_ids`, against the current lists loaded once."""
    _check_trigger(trigger)
    started = time.monotonic()
    lists = _current_lists()
    versions = _versions(lists)
    if not lists:
        logger.warning("exclusion re-screen skipped: no exclusion list is imported")
        return RescreenSummary(0, 0, 0, versions, 0.0)
    only = sorted(set(vendor_ids)) if vendor_ids is not None else None
    index = _ScreeningIndex.load(lists, today=timezone.localdate())
    screened = with_hits = raised = 0
    after = 0
    while True:
        # One transaction per chunk: a re-screen of the whole master is not one long transaction, and a chunk's
        # results and hits are written together.
        with transaction.atomic():
            chunk = _rescreen_chunk(
                actor=actor, index=index, versions=versions, trigger=trigger, after=after, only=only
            )
        if chunk is None:
            break
        after, counts = chunk
        screened += counts[0]
        with_hits += counts[1]
        raised += counts[2]
    seconds = round(time.monotonic() - started, 1)
    logger.info(
        "exclusion re-screen done",
        extra={"vendors": screened, "with_hits": with_hits, "raised": raised, "seconds": seconds},
    )
    return RescreenSummary(screened, with_hits, raised, versions, seconds)


def _rescreen_chunk(
    *,
    actor: Any,
    index: _ScreeningIndex,
    versions: dict[str, str],
    trigger: str,
    after: int,
    only: list[int] | None = None,
) -> tuple[int, tuple[int, int, int]] | None:
    """Screen the next chunk of vendors after id `after` (of `only`, when given); returns the last id and
    (screened, with hits, raised)."""
    pending = Vendor.objects.select_for_update().filter(merged_into__isnull=True, pk__gt=after)
    if only is not None:
        pending = pending.filter(pk__in=[vendor_id for vendor_id in only if vendor_id > after][:RESCREEN_CHUNK])
    vendors = list(pending.order_by("pk").values_list("pk", "legal_name", "dba_name", "npi", "uei")[:RESCREEN_CHUNK])
    if not vendors:
        return None
    ids = [row[0] for row in vendors]
    states: dict[int, list[str]] = defaultdict(list)
    for vendor_id, state in VendorSite.objects.filter(vendor_id__in=ids, active=True).values_list("vendor_id", "state"):
        states[vendor_id].append(state)
    known = _known_hits(ids)
    now = timezone.now()
    results: list[ScreeningResult] = []
    with_hits = raised = 0
    for vendor_id, legal_name, dba_name, npi, uei in vendors:
        subject = _subject(vendor_id, legal_name, dba_name, npi, states.get(vendor_id, ()), uei)
        new_hits, standing = _record_matches(
            actor=actor,
            subject=subject,
            matches=index.matches(subject),
            known=known[vendor_id],
            now=now,
            trigger=trigger,
        )
        raised += len(new_hits)
        with_hits += standing > 0
        results.append(
            ScreeningResult(
                vendor_id=vendor_id, screened_at=now, trigger=trigger, list_versions=versions, hits=standing
            )
        )
    ScreeningResult.objects.bulk_create(results)
    return ids[-1], (len(vendors), with_hits, raised)


# --- Deciding hits --------------------------------------------------------------------------------------------
def _require_decider(actor: Any) -> None:
    """Only a vendor steward or procurement admin (at any facility) decides a hit."""
    # A decision is a person's: system processes and API clients never decide, whatever their facilities.
    if isinstance(actor, User) and actor.is_active and actor.is_superuser:
        return
    if not isinstance(actor, User) or not actor.is_active or not facilities_for(actor, DECIDER_ROLES).exists():
        raise NotAllowedError(
            "Only a vendor steward or procurement admin may decide an exclusion screening hit.",
            code="screening_hit_not_allowed",
        )


def _required_reason(reason: str) -> str:
    """A decision on a hit is evidence: it needs its reason."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInputError("Give the reason for this decision.", code="reason_required", field="reason")
    return cleaned


def _lock_hit(hit: ScreeningHit) -> ScreeningHit:
    """Load the hit under a row lock, so two stewards cannot decide it at once."""
    return ScreeningHit.objects.select_for_update().select_related("entry", "exclusion_list").get(pk=hit.pk)


@transaction.atomic
def screening_hit_confirm(*, actor: Any, hit: ScreeningHit, reason: str) -> ScreeningHit:
    """Confirm a hit as a true match: the hit is confirmed and the vendor blocked, both with the reason."""
    _require_decider(actor)
    cleaned = _required_reason(reason)
    locked = _lock_hit(hit)
    if locked.status == HitStatus.CONFIRMED:
        raise ApplicationError("This screening hit is already confirmed.", code="screening_hit_decided")
    vendor = Vendor.objects.select_for_update().get(pk=locked.vendor_id)
    if vendor.merged_into_id is not None:
        raise ApplicationError(
            f"Vendor {vendor.number} was merged into another vendor; screen and decide on that vendor instead.",
            code="screening_hit_vendor_merged",
        )
    locked.status = HitStatus.CONFIRMED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.reason = cleaned
    _save(locked, actor, f"exclusion hit confirmed: {cleaned}")
    if vendor.status != VendorStatus.BLOCKED:
        vendor.status = VendorStatus.BLOCKED
        _save(vendor, actor, f"blocked: confirmed on {locked.exclusion_list} as {locked.entry.name}: {cleaned}")
    hit.refresh_from_db()
    return locked


@transaction.atomic
def screening_hit_clear(*, actor: Any, hit: ScreeningHit, reason: str) -> ScreeningHit:
    """Clear a hit as a false match, with the reason; the vendor is left as it is."""
    _require_decider(actor)
    cleaned = _required_reason(reason)
    locked = _lock_hit(hit)
    if locked.status != HitStatus.OPEN:
        raise ApplicationError(
            f"This screening hit is already {locked.get_status_display().lower()}; only an open hit can be cleared.",
            code="screening_hit_decided",
        )
    locked.status = HitStatus.CLEARED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.reason = cleaned
    _save(locked, actor, f"exclusion hit cleared: {cleaned}")
    hit.refresh_from_db()
    return locked
