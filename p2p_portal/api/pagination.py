"""Cursor pagination: stable under inserts, no COUNT(*) over large tables."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Newest first by default; `page_size` up to 200."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
