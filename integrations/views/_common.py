"""What the console pages share: who may open them, who may act, paging."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations import selectors

PAGE_SIZE = 50


def require_reader(request: HttpRequest) -> Any:
    """The person, if they may read the console (integration admins and auditors); 403 otherwise."""
    if not selectors.may_read(request.user):
        raise PermissionDenied("The integrations console is open to integration admins and auditors.")
    return request.user


def require_operator(request: HttpRequest) -> Any:
    """The person, if they may act (integration admins); auditors and everyone else get 403."""
    user = require_reader(request)
    if not selectors.may_operate(user):
        raise PermissionDenied("You read the integrations console; only integration admins act in it.")
    return user


def page_of(request: HttpRequest, rows: QuerySet[Any]) -> Page[Any]:
    """The page asked for, 50 rows to a page."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
