"""Shared fixtures: personas, real-service gates (Redis, Chromium) and Playwright on Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.test import Client

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("P2P_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI") == "true"
PASSWORD = "correct-horse-battery-9"


def _missing(reason: str) -> None:
    """Skip on a developer's machine; in CI a missing real component is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


def redis_available() -> bool:
    if not settings.REDIS_URL:
        return False
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


@pytest.fixture(autouse=True)
def _real_component_gates(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("redis") and not redis_available():
        _missing("needs a reachable Redis (set REDIS_URL or start Redis on 127.0.0.1:6379)")
    if request.node.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        _missing(f"needs Chromium at {CHROMIUM} (apt-get install chromium)")


def make_user(username: str, **extra: Any) -> User:
    user: User = get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name=username.title(), **extra
    )
    return user


@pytest.fixture
def clerk(db: None) -> User:
    """A signed-up portal user with no special rights (roles arrive with identity & access)."""
    return make_user("casey")


@pytest.fixture
def staff(db: None) -> User:
    """A staff user who may open the Django admin."""
    return make_user("sam", is_staff=True, is_superuser=True)


@pytest.fixture
def clerk_client(clerk: User) -> Client:
    client = Client()
    client.force_login(clerk)
    return client


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


# --- Organisation: two facilities and one person per role at the first -----------------------------
@pytest.fixture
def north(db: None):
    from tests.factories import GLNS, make_facility

    return make_facility("NORTH", "North General Hospital", gln=GLNS[0])


@pytest.fixture
def south(db: None):
    from tests.factories import GLNS, make_facility

    return make_facility("SOUTH", "South Community Clinic", gln=GLNS[1])


@pytest.fixture
def people(north, south) -> dict[str, User]:
    """One user per role at NORTH, plus `outsider` (a role at SOUTH only) and `nobody` (no role at all)."""
    from p2p_portal.roles import Role
    from tests.factories import make_user_with_role

    users = {role.value: make_user_with_role(f"{role.value}_user", role, north) for role in Role}
    users["outsider"] = make_user_with_role("outsider_user", Role.AP_MANAGER, south)
    users["nobody"] = make_user("nobody_user")
    return users


# --- Playwright on Debian's Chromium (never `playwright install`) ---------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Console errors of the page (a CSP violation shows up here), for tests to assert there are none."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
