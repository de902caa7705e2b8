"""Vendor-governance personas: stewards propose, two distinct procurement admins can approve, all at NORTH."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from p2p_portal.roles import Role
from tests.factories import make_user_with_role


@pytest.fixture
def steward(people) -> User:
    return people[Role.VENDOR_STEWARD]


@pytest.fixture
def admin(people) -> User:
    return people[Role.PROCUREMENT_ADMIN]


@pytest.fixture
def admin2(north) -> User:
    return make_user_with_role("second_admin", Role.PROCUREMENT_ADMIN, north)


@pytest.fixture
def steward2(north) -> User:
    return make_user_with_role("second_steward", Role.VENDOR_STEWARD, north)
