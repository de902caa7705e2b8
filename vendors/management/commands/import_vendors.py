"""`manage.py import_vendors FILE.csv --source-system CODE`: load a source system's suppliers into the master."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from p2p_portal.errors import ApplicationError
from vendors.services.imports import IMPORT_COLUMNS, vendors_import_csv

ACTOR = "command:import_vendors"


class Command(BaseCommand):
    """Import suppliers from a CSV export; bad rows are reported by line and the others load."""

    help = (
        "Load suppliers from a source system's CSV export (UTF-8; columns "
        f"{', '.join(IMPORT_COLUMNS)}). Re-running is safe: known source ids are compared, not created again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """The file and the code of the system it came from."""
        parser.add_argument("file", type=Path, help="CSV export of the source system")
        parser.add_argument(
            "--source-system", required=True, dest="source_system", help="code of the source system, e.g. ERP"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the import, print every problem line and the counts."""
        try:
            report = vendors_import_csv(actor=ACTOR, path=options["file"], system=options["source_system"])
        except ApplicationError as error:
            # A wrong header or an unreadable file loads nothing: exit status 1.
            raise CommandError(error.message) from None
        for problem in report.problems:
            self.stdout.write(str(problem))
        self.stdout.write(report.summary())
