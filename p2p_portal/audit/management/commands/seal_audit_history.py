"""`manage.py seal_audit_history`: seal the history rows not sealed yet, now (beat does it every minute)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from p2p_portal.audit.services import audit_seal


class Command(BaseCommand):
    """Seal every history row not sealed yet into its table's hash chain."""

    help = "Seal every history row not sealed yet into its table's hash chain."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per transaction (default 5000).")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Also look below the settled floor, for rows whose transaction committed very late.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = audit_seal(batch_size=options["batch_size"], full=options["full"])
        self.stdout.write(f"Sealed {sealed} history rows.")
