"""`manage.py seed_demo`: load the demo data; idempotent, refused in production."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from p2p_portal.demo import DemoLogin
from p2p_portal.request_context import request_id_context

# Each app may ship a `demo` module with `seed() -> list[DemoLogin]`; they run in dependency order.
SEEDING_ORDER = (
    "p2p_portal",
    "approvals",
    "vendors",
    "matching",
    "integrations",
    "insights.operations",
    "insights.finance",
    "insights.evidence",
)


class Command(BaseCommand):
    """Load the demo data (running it twice changes nothing) and print the demo logins."""

    help = "Load the demo data. Idempotent: existing demo records are left untouched. Refused in production."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with known passwords and is refused when P2P_ENV=production."
            )
        logins: list[DemoLogin] = []
        with request_id_context(None), transaction.atomic():
            for app in SEEDING_ORDER:
                if find_spec(f"{app}.demo") is None:
                    continue
                logins.extend(import_module(f"{app}.demo").seed())
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Demo logins:"))
        for login in logins:
            self.stdout.write(f"  {login.username:<12} {login.password:<20} {login.description}")
