"""The portal's sections: one list drives the navigation, the dashboard cards and the section pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class Section:
    """A top-level area of the portal as users see it in the navigation."""

    key: str
    label: str
    url_name: str
    icon: str
    summary: str
    coming: tuple[str, ...] = ()
    staff_only: bool = False

    @property
    def url(self) -> str:
        return reverse(self.url_name)


SECTIONS: tuple[Section, ...] = (
    Section(
        key="workbench",
        label="Workbench",
        url_name="matching:index",
        icon="inbox",
        summary="Invoices that did not match their purchase order or receipt, in queues AP clerks work.",
        coming=(
            "Queues by exception code and facility, with counts, oldest age and SLA breaches",
            "\u201cNext\u201d claims the oldest item with a lease, so no invoice is worked twice",
            "Invoice beside its PO lines and receipts, variances highlighted with the rule that judged them",
            "Accept variance, request credit memo, route to receiver, hold, reject \u2014 each audited",
        ),
    ),
    Section(
        key="vendors",
        label="Vendors",
        url_name="vendors:index",
        icon="building",
        summary="The golden supplier master: one record per supplier, changes governed and approved.",
        coming=(
            "Change requests with a field-level diff, approved by a second person",
            "Bank-account changes with call-back evidence, two approvers and a cooling-off period",
            "Duplicate-supplier detection and exclusion screening (OIG LEIE, SAM)",
        ),
    ),
    Section(
        key="approvals",
        label="Approvals",
        url_name="approvals:index",
        icon="check",
        summary="Your approval inbox: vendor changes, bank changes and invoice variances routed to you.",
        coming=(
            "Multi-step policies by document type, facility, cost center and amount",
            "Delegation while you are away, with segregation of duties checked for both people",
            "Escalation of overdue requests",
        ),
    ),
    Section(
        key="integrations",
        label="Integrations",
        url_name="integrations:index",
        icon="sync",
        summary="Connections to the ERP and the procurement suite, and every message that crossed them.",
        coming=(
            "Purchase orders and receipts flowing in; approved vendors and invoices flowing out",
            "Sync runs, an outbox that loses nothing, dead letters and replay",
        ),
    ),
    Section(
        key="audit",
        label="Audit",
        url_name="audit",
        icon="shield",
        summary="Who changed what, when and why \u2014 an append-only trail an auditor can verify.",
        coming=(
            "History of every record with before and after values",
            "Filters by object, actor, facility and date; CSV export",
            "Hash-chain verification that nothing was rewritten",
        ),
    ),
    Section(
        key="admin",
        label="Admin",
        url_name="admin:index",
        icon="settings",
        summary="Users, roles, facilities and configuration.",
        staff_only=True,
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def sections_for(request: HttpRequest) -> list[Section]:
    """The sections this user may open."""
    user = request.user
    if not user.is_authenticated:
        return []
    return [section for section in SECTIONS if not section.staff_only or user.is_staff]


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the navigation items and which one is current."""
    match = request.resolver_match
    current = ""
    if match is not None:
        for section in SECTIONS:
            namespace = section.url_name.split(":")[0] if ":" in section.url_name else None
            if (namespace and namespace in match.namespaces) or match.view_name == section.url_name:
                current = section.key
    return {"nav_sections": sections_for(request), "nav_current": current}
