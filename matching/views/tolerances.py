"""Tolerance rules in the browser: everyone in AP reads them, AP managers change them, each change versioned and
audited with its reason; and a "which rule applies?" preview that asks the engine itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from matching.engine import DEFAULT_RULE, rule_for
from matching.engine import ToleranceRule as RuleFacts
from matching.engine.tolerances import SCOPE_RANK
from matching.forms import RulePreviewForm, ToleranceRuleForm, errors_onto_form
from matching.models import ToleranceRule, ToleranceScope
from matching.selectors import TOLERANCE_READER_ROLES, tolerance_rule_list
from matching.services.tolerances import tolerance_rule_facts, tolerance_rule_save
from p2p_portal.errors import ApplicationError
from p2p_portal.models import Facility
from p2p_portal.navigation import SECTIONS_BY_KEY, section_allowed
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for, has_role_at
from vendors.models import Vendor

# What the history shows of each version, in this order (attribute, label).
SHOWN_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("scope", "Scope"),
    ("facility_id", "Facility"),
    ("vendor_id", "Vendor"),
    ("category", "UNSPSC category"),
    ("price_pct", "Price limit"),
    ("price_abs", "Price limit per line"),
    ("accept_lower_price", "Lower price accepted"),
    ("qty_over_received", "Quantity over received"),
    ("qty_over_ordered", "Quantity over ordered"),
    ("header_total_abs", "Header total limit"),
    ("active", "Active"),
)


# --- who may do what ------------------------------------------------------------------------------------------------
def _reader(request: HttpRequest) -> User:
    """The signed-in person, if they read tolerance rules; for anyone else the pages do not exist (404)."""
    user = cast(User, request.user)
    if not user.is_superuser and not facilities_for(user, TOLERANCE_READER_ROLES).exists():
        raise Http404("No such page.")
    return user


def managed_facilities(user: User) -> QuerySet[Facility]:
    """Facilities where the person is AP manager (where they may set facility tolerances)."""
    return facilities_for(user, [Role.AP_MANAGER]).order_by("code")


def may_create(user: User) -> bool:
    """Whether the person changes tolerances at all: AP managers (network-wide rules are theirs too)."""
    return bool(user.is_superuser or managed_facilities(user).exists())


def may_edit(user: User, rule: ToleranceRule) -> bool:
    """A rule naming a facility: its AP managers; a network-wide rule: any AP manager."""
    if rule.facility is None:
        return may_create(user)
    return has_role_at(user, Role.AP_MANAGER, rule.facility)


# --- what the pages show ---------------------------------------------------------------------------------------------
def _number(value: Decimal) -> str:
    """A decimal without trailing zeros (0.0000 -> 0, 1.5000 -> 1.5)."""
    return format(value.normalize(), "f") if value else "0"


def _money(value: Decimal) -> str:
    """Dollars with cents."""
    return f"${value:,.2f}"


@dataclass(frozen=True)
class Limit:
    """One limit of a rule as people read it."""

    label: str
    value: str


def limits_of(rule: ToleranceRule | RuleFacts) -> list[Limit]:
    """The limits of a rule (a stored row or the engine's facts) in words."""
    return [
        Limit("Unit price above PO", f"at most {_number(rule.price_pct)} % and {_money(rule.price_abs)} per line"),
        Limit("Lower price", "accepted" if rule.accept_lower_price else "is a variance too"),
        Limit("Quantity over received", _number(rule.qty_over_received)),
        Limit("Quantity over ordered", _number(rule.qty_over_ordered)),
        Limit("Header total", f"within {_money(rule.header_total_abs)}"),
    ]


def applies_to(rule: ToleranceRule) -> str:
    """What a rule applies to, in words (its scope's key and any narrower keys it carries)."""
    parts = []
    if rule.category:
        parts.append(f"category {rule.category}")
    if rule.vendor is not None:
        parts.append(f"vendor {rule.vendor.number} {rule.vendor.legal_name}")
    if rule.facility is not None:
        parts.append(f"facility {rule.facility.code}")
    return ", ".join(parts) if parts else "every facility, vendor and item"


@dataclass(frozen=True)
class RuleRow:
    """A rule on the list page, its limits in words."""

    rule: ToleranceRule
    applies_to: str
    price: str
    quantity: str
    header_total: str

    @classmethod
    def of(cls, rule: ToleranceRule) -> RuleRow:
        """The row of one rule."""
        # No-break spaces keep each limit on one line when the column wraps.
        price = f"≤\u00a0{_number(rule.price_pct)}\u00a0% and ≤\u00a0{_money(rule.price_abs)} per\u00a0line"
        quantity = f"{_number(rule.qty_over_received)} / {_number(rule.qty_over_ordered)}"
        return cls(rule, applies_to(rule), price, quantity, _money(rule.header_total_abs))


def _sorted_rows(rules: QuerySet[ToleranceRule]) -> list[RuleRow]:
    """Rules from least to most specific scope, then by what they name."""
    ordered = sorted(
        rules,
        key=lambda rule: (
            not rule.active,
            SCOPE_RANK[rule.scope],
            rule.facility.code if rule.facility else "",
            rule.vendor.number if rule.vendor else "",
            rule.category,
            rule.name,
        ),
    )
    return [RuleRow.of(rule) for rule in ordered]


@dataclass(frozen=True)
class Change:
    """One field of a rule that a version changed (old is empty on the version that created the rule)."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One row of a rule's history: who, when, which version, why, and what changed."""

    when: datetime
    who: str
    version: int
    reason: str
    created: bool
    changes: tuple[Change, ...]


def _shown(attribute: str, value: Any, facilities: dict[int, str], vendors: dict[int, str]) -> str:
    """A stored value of a rule as the history shows it."""
    if value is None or value == "":
        return "—"
    match attribute:
        case "facility_id":
            return facilities.get(value, f"#{value}")
        case "vendor_id":
            return vendors.get(value, f"#{value}")
        case "price_pct":
            return f"{_number(value)} %"
        case "price_abs" | "header_total_abs":
            return _money(value)
        case "qty_over_received" | "qty_over_ordered":
            return _number(value)
        case "accept_lower_price" | "active":
            return "yes" if value else "no"
    return str(value)


def rule_history(rule: ToleranceRule) -> list[HistoryEntry]:
    """The rule's history table as people read it, newest first, each version compared with the one before."""
    records = list(rule.history.select_related("history_user").order_by("history_date", "history_id"))
    facilities = dict(
        Facility.objects.filter(pk__in={r.facility_id for r in records if r.facility_id}).values_list("pk", "code")
    )
    vendors = dict(
        Vendor.objects.filter(pk__in={r.vendor_id for r in records if r.vendor_id}).values_list("pk", "number")
    )
    entries: list[HistoryEntry] = []
    previous: Any = None
    for record in records:
        changes = []
        for attribute, label in SHOWN_FIELDS:
            new = getattr(record, attribute)
            if previous is None:
                if new not in (None, ""):
                    changes.append(Change(label, "", _shown(attribute, new, facilities, vendors)))
            elif getattr(previous, attribute) != new:
                old = _shown(attribute, getattr(previous, attribute), facilities, vendors)
                changes.append(Change(label, old, _shown(attribute, new, facilities, vendors)))
        person = record.history_user
        who = (person.get_full_name() or person.get_username()) if person else record.history_actor_label or "system"
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=who,
                version=record.version,
                reason=record.history_change_reason or "",
                created=previous is None,
                changes=tuple(changes),
            )
        )
        previous = record
    return entries[::-1]


@dataclass(frozen=True)
class PreviewAnswer:
    """The rule the engine picks for the question asked (None: the built-in default, no global rule saved yet)."""

    rule: ToleranceRule | None
    facts: RuleFacts
    limits: list[Limit]


def _preview(rules: QuerySet[ToleranceRule], form: RulePreviewForm) -> PreviewAnswer:
    """Ask the engine which of the active rules judges a line of this facility, vendor and category."""
    active = {rule.pk: rule for rule in rules.filter(active=True)}
    facts = tolerance_rule_facts(active.values())
    if not any(rule.scope == "global" for rule in facts):
        facts.append(DEFAULT_RULE)  # what the first match saves as the network default
    facility: Facility | None = form.cleaned_data["facility"]
    vendor: Vendor | None = form.cleaned_data["vendor"]
    chosen = rule_for(
        facts,
        facility_id=facility.pk if facility else None,
        vendor_id=vendor.pk if vendor else None,
        category=form.cleaned_data["category"],
    )
    return PreviewAnswer(active.get(chosen.id), chosen, limits_of(chosen))


# --- pages -----------------------------------------------------------------------------------------------------------
def _common(user: User) -> dict[str, Any]:
    """Context every tolerance page uses (the sub-navigation)."""
    return {"workbench_open": section_allowed(user, SECTIONS_BY_KEY["workbench"]), "may_create": may_create(user)}


@require_GET
@login_required
def tolerance_list(request: HttpRequest) -> HttpResponse:
    """The tolerance rules I read, least to most specific, and the "which rule applies?" question."""
    user = _reader(request)
    rules = tolerance_rule_list(principal=user)
    asked = any(name in request.GET for name in ("facility", "vendor", "category"))
    preview = RulePreviewForm(
        request.GET if asked else None, facilities=facilities_for(user, TOLERANCE_READER_ROLES).order_by("code")
    )
    answer = _preview(rules, preview) if asked and preview.is_valid() else None
    context = {
        **_common(user),
        "rows": _sorted_rows(rules),
        "has_global": rules.filter(scope=ToleranceScope.GLOBAL, active=True).exists(),
        "default_limits": limits_of(DEFAULT_RULE),
        "preview": preview,
        "answer": answer,
    }
    return render(request, "matching/tolerances.html", context)


def _save(request: HttpRequest, user: User, form: ToleranceRuleForm) -> ToleranceRule | None:
    """Save a valid form through the service; a refusal lands on the form (None)."""
    rule = form.save(commit=False)
    if not may_edit(user, rule):
        raise PermissionDenied("Only an AP manager of the rule's facility changes it.")
    try:
        saved = tolerance_rule_save(actor=user, rule=rule, reason=form.cleaned_data["reason"])
    except ApplicationError as refusal:
        errors_onto_form(form, refusal)
        return None
    except ValidationError as invalid:
        form.add_error(None, invalid)
        return None
    messages.success(request, f"Saved “{saved.name}”, version {saved.version}.")
    return saved


@require_http_methods(["GET", "POST"])
@login_required
def tolerance_new(request: HttpRequest) -> HttpResponse:
    """AP managers: a new rule (facility rules at facilities they manage; network-wide rules too)."""
    user = _reader(request)
    if not may_create(user):
        raise PermissionDenied("Only AP managers set tolerance rules.")
    form = ToleranceRuleForm(request.POST or None, facilities=managed_facilities(user))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, user, form)
        if saved is not None:
            return redirect("matching:tolerance", pk=saved.pk)
    return render(request, "matching/tolerance_form.html", {**_common(user), "form": form, "rule": None})


@require_http_methods(["GET", "POST"])
@login_required
def tolerance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One rule: its limits, its history with every reason, and (for its AP managers) the form to change it."""
    user = _reader(request)
    rule = get_object_or_404(tolerance_rule_list(principal=user), pk=pk)
    editable = may_edit(user, rule)
    if request.method == "POST" and not editable:
        raise PermissionDenied("Only an AP manager of the rule's facility changes it.")
    form = None
    if editable:
        # The form edits its own copy, so a refused change never shows on the rule's summary.
        form = ToleranceRuleForm(
            request.POST or None,
            instance=ToleranceRule.objects.select_related("vendor").get(pk=rule.pk),
            facilities=managed_facilities(user),
        )
        if request.method == "POST" and form.is_valid():
            saved = _save(request, user, form)
            if saved is not None:
                return redirect("matching:tolerance", pk=saved.pk)
    context = {
        **_common(user),
        "rule": rule,
        "applies_to": applies_to(rule),
        "limits": limits_of(rule),
        "history": rule_history(rule),
        "form": form,
    }
    return render(request, "matching/tolerance_form.html", context)
