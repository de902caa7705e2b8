"""The finance reports as the insights index lists them."""

from __future__ import annotations

from insights.catalogue import Report

REPORTS: tuple[Report, ...] = ()
