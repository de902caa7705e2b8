"""Demo data of the platform: the people who log in to the demo."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

# Development-only credentials: seed_demo refuses to run in production, so they never guard real data.
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    """A demo account as it is printed for the person trying the portal."""

    username: str
    password: str
    description: str


DEMO_USERS: tuple[tuple[str, str, str, str, bool], ...] = (
    # username, first name, last name, what they do, superuser
    ("admin", "Alex", "Admin", "Superuser: Django admin and every section", True),
    ("clerk", "Casey", "Clerk", "AP clerk (roles and facilities arrive with identity & access)", False),
)


def seed() -> list[DemoLogin]:
    """Create the demo users that do not exist yet; existing ones are left exactly as they are."""
    user_model = get_user_model()
    logins = []
    for username, first_name, last_name, description, superuser in DEMO_USERS:
        if not user_model.objects.filter(username=username).exists():
            create = user_model.objects.create_superuser if superuser else user_model.objects.create_user
            create(
                username=username,
                email=f"{username}@demo.p2p-portal.invalid",
                password=DEMO_PASSWORD,
                first_name=first_name,
                last_name=last_name,
            )
        logins.append(DemoLogin(username, DEMO_PASSWORD, description))
    return logins
