"""What the vendors pages share: who may open them, masking, paging, and the diff as a table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from p2p_portal.models import Facility
from vendors.access import governance_facilities, may_view_vendors, steward_facilities
from vendors.identifiers import tax_id_display, tax_id_masked
from vendors.models import Vendor, VendorSite

P = ParamSpec("P")
PAGE_SIZE = 50

# Words people read for the exception codes the master raises on invoices.
FLAG_LABELS = {
    "vendor_not_active": "Not active: invoices of this vendor are held",
    "vendor_excluded": "Excluded: confirmed on an exclusion list",
    "bank_unverified": "Bank account in its cooling-off period",
}


def person(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind login_required)."""
    return cast(User, request.user)


def require_vendors(request: HttpRequest) -> User:
    """The person, if the supplier master is open to them; otherwise the section does not exist for them (404)."""
    user = person(request)
    if not may_view_vendors(user):
        raise Http404("No such page.")
    return user


def may_govern(user: User) -> bool:
    """Whether the person reads change requests, duplicates and screening (stewards, procurement admins, auditors)."""
    return bool(user.is_superuser or governance_facilities(user).exists())


def require_governance(request: HttpRequest) -> User:
    """The person, if they read vendor governance; a vendor reader without it is refused (403)."""
    user = require_vendors(request)
    if not may_govern(user):
        raise PermissionDenied(
            "Change requests, duplicates and screening are for vendor stewards, admins and auditors."
        )
    return user


def require_steward(request: HttpRequest) -> tuple[User, QuerySet[Facility]]:
    """The person and the facilities where they may propose changes (vendor stewards only, 403 otherwise)."""
    user = require_vendors(request)
    facilities = steward_facilities(user).order_by("code")
    if not facilities.exists():
        raise PermissionDenied("Only vendor stewards propose vendor changes.")
    return user, facilities


def checked_first(
    check: Callable[[HttpRequest], Any],
) -> Callable[
    [Callable[Concatenate[HttpRequest, P], HttpResponseBase]], Callable[Concatenate[HttpRequest, P], HttpResponseBase]
]:
    """Run `check` (which raises 404/403) before the view and the decorators under this one, so a re-authentication
    prompt never tells someone without access that a page exists."""

    def decorate(
        view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
        """Wrap the view."""

        @wraps(view)
        def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            """Check, then run the view."""
            check(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def page_of(items: Any, request: HttpRequest) -> Page[Any]:
    """One page (PAGE_SIZE rows) of a queryset or list, by the `page` query parameter."""
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def tax_id_for(vendor: Vendor, *, unmasked: bool) -> str:
    """The vendor's tax id as this reader may see it."""
    if not vendor.tax_id:
        return ""
    if unmasked:
        return tax_id_display(vendor.tax_id, vendor.tax_id_kind)
    return tax_id_masked(vendor.tax_id, vendor.tax_id_kind)


def mask_text(text: str) -> str:
    """A tax id written in a diff or a history row, masked for a reader who may not see it."""
    compact = "".join(ch for ch in text if ch.isalnum())
    return tax_id_masked(compact, "") if compact else ""


def site_line(site: VendorSite) -> str:
    """An address on one line."""
    parts = [site.address_line1, site.address_line2, site.city, site.state, site.postal_code, site.country]
    return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class DiffLine:
    """One line of a multi-line value (sites, contacts), and whether the change added or removed it."""

    text: str
    marked: bool


@dataclass(frozen=True)
class DiffRow:
    """One governed field of a change: its label, the value before and the proposed value."""

    field: str
    label: str
    old: str
    new: str
    old_lines: tuple[DiffLine, ...] = ()
    new_lines: tuple[DiffLine, ...] = ()

    @property
    def multiline(self) -> bool:
        """Whether the value is a list of lines (sites, contacts)."""
        return bool(self.old_lines or self.new_lines)


def diff_rows(diff: list[dict[str, Any]], *, unmasked: bool) -> list[DiffRow]:
    """A stored or previewed diff as table rows (tax ids masked unless the reader may see them)."""
    rows = []
    for entry in diff:
        old, new = str(entry.get("old") or ""), str(entry.get("new") or "")
        if entry.get("field") == "tax_id" and not unmasked:
            old, new = mask_text(old), mask_text(new)
        if "added" in entry or "removed" in entry:
            removed, added = set(entry.get("removed") or []), set(entry.get("added") or [])
            rows.append(
                DiffRow(
                    field=str(entry.get("field", "")),
                    label=str(entry.get("label", "")),
                    old=old,
                    new=new,
                    old_lines=tuple(DiffLine(line, line in removed) for line in old.splitlines() if line),
                    new_lines=tuple(DiffLine(line, line in added) for line in new.splitlines() if line),
                )
            )
        else:
            rows.append(DiffRow(str(entry.get("field", "")), str(entry.get("label", "")), old, new))
    return rows
