"""Import an OIG LEIE (UPDATED.csv) or SAM exclusions extract file as the source's new current list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from p2p_portal.errors import ApplicationError
from vendors.models import ExclusionSource
from vendors.screening.services import exclusion_list_import

ACTOR = "command:import_exclusions"


class Command(BaseCommand):
    """`import_exclusions --source leie|sam FILE [--version V]`: load a list version and make it current."""

    help = "Import an exclusion list file (OIG LEIE UPDATED.csv or the SAM exclusions public extract CSV)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        """A parser where --version names the list version, replacing Django's own --version."""
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        """The source, the file and an optional version."""
        parser.add_argument("--source", required=True, choices=ExclusionSource.values, help="leie or sam")
        parser.add_argument("file", help="Path of the CSV file in the source's published layout.")
        parser.add_argument(
            "--version", dest="list_version", help="The list version (default: a date in the file name, or today)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Import the file and print what was loaded and what was rejected."""
        try:
            summary = exclusion_list_import(
                actor=ACTOR, source=options["source"], path=Path(options["file"]), version=options["list_version"]
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        imported = summary.exclusion_list
        self.stdout.write(
            f"Imported {imported} from {imported.file_name}: {summary.rows_loaded} rows loaded, "
            f"{summary.rejected_count} line(s) rejected (read as {summary.encoding}, sha256 {imported.file_sha256})."
        )
        for rejected in summary.rejected:
            self.stdout.write(f"  line {rejected.line}: {rejected.reason}")
        if summary.rejected_count > len(summary.rejected):
            self.stdout.write(f"  ... and {summary.rejected_count - len(summary.rejected)} more rejected line(s)")
        if summary.replaced is not None:
            self.stdout.write(f"{summary.replaced} is no longer current.")
