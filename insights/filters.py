"""The filters every report shares: which of the reader's facilities, and which dates. Parsed from the query string,
never trusted: a facility the reader may not see is a 404, a bad date is an error shown on the page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone

from p2p_portal.models import Facility
from p2p_portal.roles import Role
from p2p_portal.selectors import facilities_for

DEFAULT_DAYS = 90
LONGEST_RANGE = timedelta(days=3 * 366)


@dataclass(frozen=True)
class ReportFilters:
    """The facilities a report covers (one chosen, or all the reader may see) and its inclusive date range."""

    visible: tuple[Facility, ...]
    facility: Facility | None
    date_from: date
    date_to: date
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def facilities(self) -> tuple[Facility, ...]:
        """What the figures cover: the chosen facility, else every facility the reader may see."""
        return (self.facility,) if self.facility is not None else self.visible

    @property
    def facility_ids(self) -> list[int]:
        return [facility.pk for facility in self.facilities]

    def query(self, **extra: Any) -> dict[str, str]:
        """The query string that reproduces these filters (for links from a figure to the list behind it)."""
        values = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.facility is not None:
            values["facility"] = self.facility.code
        values.update({key: str(value) for key, value in extra.items() if value not in (None, "")})
        return values


def _date(raw: str | None, name: str, default: date, errors: dict[str, str]) -> date:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{raw!r} is not a date (YYYY-MM-DD); showing {default.isoformat()} instead."
        return default


def report_filters(
    request: HttpRequest, *, roles: Iterable[Role], default_days: int = DEFAULT_DAYS, today: date | None = None
) -> ReportFilters:
    """The filters of this request for a reader holding one of `roles`; 403 for someone who holds none anywhere."""
    visible = tuple(facilities_for(request.user, roles).order_by("code"))
    if not visible:
        raise PermissionDenied("This report is for the roles it names, at one facility or more.")
    errors: dict[str, str] = {}
    facility = None
    code = request.GET.get("facility", "").strip()
    if code:
        facility = next((candidate for candidate in visible if candidate.code == code), None)
        if facility is None:
            raise Http404("No such facility among those you may see.")
    today = today or timezone.localdate()
    date_to = _date(request.GET.get("to"), "to", today, errors)
    date_from = _date(request.GET.get("from"), "from", date_to - timedelta(days=default_days - 1), errors)
    if date_from > date_to:
        errors["from"] = "The start is after the end; the two were swapped."
        date_from, date_to = date_to, date_from
    if date_to - date_from > LONGEST_RANGE:
        errors["from"] = "A report covers three years at most; the start was moved."
        date_from = date_to - LONGEST_RANGE
    return ReportFilters(visible=visible, facility=facility, date_from=date_from, date_to=date_to, errors=errors)
