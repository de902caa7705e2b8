"""Audit fixtures: history rows made through the services, as the application makes them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from p2p_portal.models import Facility
from p2p_portal.services import cost_center_create, facility_create


@pytest.fixture
def facilities(staff: User) -> list[Facility]:
    """Three facilities and a cost center, created by a staff user: history rows in three tables."""
    created = [
        facility_create(actor=staff, code=code, name=name)
        for code, name in (("GEN", "General Hospital"), ("EAST", "East Clinic"), ("WH1", "Central Warehouse"))
    ]
    cost_center_create(actor=staff, facility=created[0], code="ICU", name="Intensive care")
    return created
