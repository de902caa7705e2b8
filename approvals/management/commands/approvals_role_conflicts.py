"""List users whose roles at one facility conflict (static segregation-of-duties report)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from approvals.selectors import role_conflicts


class Command(BaseCommand):
    help = "List users holding conflicting roles at one facility (e.g. vendor_steward + ap_clerk)."

    def handle(self, *args: Any, **options: Any) -> None:
        conflicts = role_conflicts()
        for conflict in conflicts:
            self.stdout.write(
                f"{conflict.user.get_username()}\t{conflict.facility.code}\t{conflict.roles[0]} + {conflict.roles[1]}"
            )
        self.stdout.write(f"{len(conflicts)} conflicting role combination(s).")
