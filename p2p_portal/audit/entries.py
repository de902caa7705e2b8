"""Reading the audit trail: every history table merged into one time-ordered list, scoped to the reader.

A model says which facility its history belongs to with `audit_facility_field` ("self" for Facility, a
foreign-key name otherwise); history of models without one (users, API clients) is network-wide and
shown to anyone who may read the audit trail at some facility.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from p2p_portal.models import ApiClient, Facility
from p2p_portal.roles import AUDIT_READER_ROLES, Scope
from p2p_portal.selectors import facilities_for

PROJECT_APPS = ("p2p_portal", "audit", "approvals", "vendors", "matching", "integrations", "insights_evidence")
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
HIDDEN_FIELDS = {"password"}


@dataclass(frozen=True)
class FieldChange:
    """One field of one record, before and after."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditEntry:
    """One history row as people read it: who did what to which record, when and why."""

    model_label: str
    object_type: str
    object_id: str
    object_repr: str
    history_id: int
    when: datetime
    action: str
    actor: str
    actor_kind: str
    reason: str
    request_id: str
    facility: str
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class AuditFilters:
    """What the reader asked for; every field optional."""

    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    facility: str = ""
    date_from: date | None = None
    date_to: date | None = None


def audited_models() -> list[type[Model]]:
    """Every model of the project that keeps a history table, in a stable order."""
    found = [
        model
        for model in apps.get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
        and (model._meta.app_label in PROJECT_APPS or model is get_user_model())
    ]
    return sorted(found, key=lambda model: model._meta.label_lower)


def object_type_choices() -> list[tuple[str, str]]:
    return [(model._meta.label_lower, str(model._meta.verbose_name).capitalize()) for model in audited_models()]


def may_read_audit_trail(principal: Any) -> bool:
    """Users with the audit permission and an audit-reader role somewhere; clients with audit:read."""
    if principal is None or not principal.is_authenticated:
        return False
    if isinstance(principal, ApiClient):
        return principal.has_scope(Scope.AUDIT_READ)
    if principal.is_superuser:
        return True
    return bool(principal.has_perm("p2p_portal.view_audit_trail") and readable_facilities(principal).exists())


def readable_facilities(principal: Any) -> QuerySet[Facility]:
    """Facilities whose audit trail the principal may read."""
    if isinstance(principal, ApiClient):
        return facilities_for(principal)
    return facilities_for(principal, AUDIT_READER_ROLES)


def _history_queryset(model: type[Model], principal: Any, filters: AuditFilters) -> QuerySet[Any]:
    history = getattr(model, model._meta.simple_history_manager_attribute).model  # type: ignore[attr-defined]
    queryset: QuerySet[Any] = history.objects.all()
    facility_field = getattr(model, "audit_facility_field", None)
    if facility_field:
        column = "id" if facility_field == "self" else f"{facility_field}_id"
        visible = readable_facilities(principal)
        if filters.facility:
            visible = visible.filter(code=filters.facility)
        queryset = queryset.filter(**{f"{column}__in": visible.values("pk")})
    elif filters.facility:
        return queryset.none()
    if filters.object_id:
        queryset = queryset.filter(**{model._meta.pk.attname: filters.object_id})
    if filters.actor:
        queryset = queryset.filter(_actor_condition(filters.actor))
    if filters.date_from:
        queryset = queryset.filter(history_date__gte=_start_of(filters.date_from))
    if filters.date_to:
        queryset = queryset.filter(history_date__lt=_start_of(filters.date_to) + timedelta(days=1))
    return queryset.order_by("-history_date", "-history_id")


def _actor_condition(actor: str) -> Q:
    users = get_user_model().objects.filter(username__iexact=actor).values("pk")
    clients = ApiClient.objects.filter(name__iexact=actor).values("pk")
    return Q(history_user_id__in=users) | Q(history_api_client_id__in=clients) | Q(history_actor_label__iexact=actor)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_entries(*, principal: Any, filters: AuditFilters) -> Iterator[AuditEntry]:
    """Every visible history row matching the filters, newest first (lazily merged across tables)."""
    if not may_read_audit_trail(principal):
        return iter(())
    models = audited_models()
    if filters.object_type:
        models = [model for model in models if model._meta.label_lower == filters.object_type]
        if not models:
            return iter(())
    # Facility codes of this read, fetched once (a process-wide cache could outlive a reused primary key).
    codes = dict(Facility.objects.values_list("pk", "code"))
    streams = [
        _stream(model, _history_queryset(model, principal, filters), codes, _concealed(model, principal))
        for model in models
    ]
    return heapq.merge(*streams, key=lambda entry: (entry.when, entry.history_id), reverse=True)


@dataclass(frozen=True)
class _Concealed:
    """Fields of one model a reader does not see: left out entirely, or shown masked."""

    hidden: frozenset[str]
    masked: frozenset[str]


def _concealed(model: type[Model], principal: Any) -> _Concealed:
    """A model declares `audit_hidden_fields` (never worth showing, e.g. ciphertext) and `audit_masked_fields`
    (field -> the permission that shows it in clear, e.g. tax ids)."""
    masked: dict[str, str] = getattr(model, "audit_masked_fields", {})
    has_perm = getattr(principal, "has_perm", None)
    return _Concealed(
        hidden=frozenset(getattr(model, "audit_hidden_fields", ())),
        masked=frozenset(name for name, perm in masked.items() if has_perm is None or not has_perm(perm)),
    )


def record_history(*, principal: Any, model: type[Model], object_id: str, limit: int) -> list[AuditEntry]:
    """The latest history rows of one record, with the same masking as the audit trail. For pages that show a
    record's history to everyone who may see the record: the caller has checked that access, not this."""
    codes = dict(Facility.objects.values_list("pk", "code"))
    history = getattr(model, model._meta.simple_history_manager_attribute).model  # type: ignore[attr-defined]
    rows = history.objects.filter(**{model._meta.pk.attname: object_id}).order_by("-history_date", "-history_id")
    concealed = _concealed(model, principal)
    return [_entry(model, record, codes, concealed) for record in rows[:limit]]


def _stream(
    model: type[Model], queryset: QuerySet[Any], codes: dict[int, str], concealed: _Concealed
) -> Iterator[AuditEntry]:
    # A function of its own, so each stream keeps its own `model` (a generator expression would see the last one).
    for record in queryset.iterator(chunk_size=500):
        yield _entry(model, record, codes, concealed)


def audit_entries_page(
    *, principal: Any, filters: AuditFilters, page: int, per_page: int = 50
) -> tuple[list[AuditEntry], bool]:
    """One page of entries and whether there is a next page."""
    start = (page - 1) * per_page
    rows = list(islice(audit_entries(principal=principal, filters=filters), start, start + per_page + 1))
    return rows[:per_page], len(rows) > per_page


def _entry(model: type[Model], record: Any, codes: dict[int, str], concealed: _Concealed) -> AuditEntry:
    facility_field = getattr(model, "audit_facility_field", None)
    facility = ""
    if facility_field == "self":
        facility = record.code
    elif facility_field:
        facility_id = getattr(record, f"{facility_field}_id", None)
        facility = codes.get(facility_id, "") if facility_id is not None else ""
    return AuditEntry(
        model_label=model._meta.label_lower,
        object_type=str(model._meta.verbose_name).capitalize(),
        object_id=str(getattr(record, model._meta.pk.attname)),
        object_repr=_describe(record),
        history_id=record.history_id,
        when=record.history_date,
        action=ACTIONS.get(record.history_type, record.history_type),
        actor=_actor(record),
        actor_kind="api_client" if record.history_api_client_id else ("user" if record.history_user_id else "system"),
        reason=record.history_change_reason or "",
        request_id=record.history_request_id,
        facility=facility,
        changes=[
            _conceal(change) if change.field in concealed.masked else change
            for change in _changes(record)
            if change.field not in concealed.hidden
        ],
    )


def _actor(record: Any) -> str:
    if record.history_user_id:
        user = get_user_model().objects.filter(pk=record.history_user_id).first()
        return user.get_username() if user else f"user #{record.history_user_id}"
    return record.history_actor_label or "system"


def _describe(record: Any) -> str:
    try:
        return str(record.instance)
    except Exception:  # a related row may be gone (deleted records): fall back to the key
        return f"#{record.pk}"


def _changes(record: Any) -> Iterable[FieldChange]:
    tracked = [f for f in record.instance_type._meta.fields if f.attname in {h.attname for h in record._meta.fields}]
    if record.history_type == "+":
        for model_field in tracked:
            if model_field.name in HIDDEN_FIELDS or model_field.primary_key:
                continue
            value = getattr(record, model_field.attname)
            if value not in (None, "", [], {}):
                yield FieldChange(model_field.name, "", _display(model_field, value))
        return
    if record.history_type == "-":
        return
    previous = record.prev_record
    if previous is None:
        return
    delta = record.diff_against(previous)
    fields = {model_field.name: model_field for model_field in tracked}
    for change in delta.changes:
        if change.field in HIDDEN_FIELDS:
            continue
        model_field = fields.get(change.field)
        yield FieldChange(change.field, _display(model_field, change.old), _display(model_field, change.new))


def _conceal(change: FieldChange) -> FieldChange:
    """A change whose values this reader may not see: short values keep their last four characters."""

    def masked(text: str) -> str:
        if not text:
            return ""
        return f"••••{text[-4:]}" if len(text) <= 30 else "(hidden from your role)"

    return FieldChange(change.field, masked(change.before), masked(change.after))


def _display(model_field: Any, value: Any) -> str:
    """A value as people read it: the related record's name for a foreign key, the label of a choice."""
    if value in (None, ""):
        return ""
    if model_field is not None and model_field.is_relation and model_field.related_model is not None:
        related = model_field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value} (deleted)"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return str(value)
