"""Every report of insights, gathered from the areas' own catalogues, and who may open each."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.urls import reverse

from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for

AREAS = ("operations", "governance", "finance", "evidence")
# Who may open /insights/ at all (each report names its own roles among these).
READER_ROLES = (Role.AP_MANAGER, Role.PROCUREMENT_ADMIN, Role.VENDOR_STEWARD, Role.AUDITOR)


@dataclass(frozen=True)
class Report:
    """A page of insights as the index lists it: who may open it is decided by the roles it names."""

    key: str
    label: str
    url_name: str
    summary: str
    roles: tuple[Role, ...]

    @property
    def url(self) -> str:
        return reverse(self.url_name)


def all_reports() -> tuple[Report, ...]:
    """The reports of every area, in the areas' order."""
    reports: list[Report] = []
    for area in AREAS:
        reports.extend(import_module(f"insights.{area}.catalogue").REPORTS)
    return tuple(reports)


def may_open(user: Any, report: Report) -> bool:
    """Whether the person holds one of the report's roles at one facility or more (superusers: always)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return facilities_for(user, report.roles).exists()


def reports_for(user: Any) -> list[Report]:
    """The reports this person may open."""
    return [report for report in all_reports() if may_open(user, report)]
