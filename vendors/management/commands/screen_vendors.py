"""Re-screen the vendor master (or one vendor) against the current exclusion lists."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from p2p_portal.errors import ApplicationError
from vendors.models import Vendor
from vendors.screening.services import vendor_screen, vendors_rescreen

ACTOR = "command:screen_vendors"


def _versions_text(versions: dict[str, str]) -> str:
    """The list versions as people read them."""
    return ", ".join(f"{source} {version}" for source, version in sorted(versions.items())) or "no list"


class Command(BaseCommand):
    """`screen_vendors [--vendor V-000123]`: screen every vendor, or one, and print the counts."""

    help = "Screen all vendors (or one, with --vendor) against the current OIG LEIE and SAM exclusion lists."

    def add_arguments(self, parser: CommandParser) -> None:
        """An optional vendor number."""
        parser.add_argument("--vendor", help="Portal number of one vendor to screen, e.g. V-000123.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Screen and print how many vendors were screened and how many hits were raised."""
        try:
            if options["vendor"]:
                self._screen_one(options["vendor"].strip())
            else:
                self._screen_all()
        except ApplicationError as error:
            raise CommandError(error.message) from error

    def _screen_one(self, number: str) -> None:
        """Screen one vendor by its portal number."""
        vendor = Vendor.objects.filter(number=number).first()
        if vendor is None:
            raise CommandError(f"No vendor {number}.")
        raised = vendor_screen(actor=ACTOR, vendor=vendor, trigger="manual")
        result = vendor.screening_results.order_by("-screened_at", "-id").first()
        standing = result.hits if result is not None else 0
        versions = result.list_versions if result is not None else {}
        self.stdout.write(
            f"Screened 1 vendor ({vendor.number}) against {_versions_text(versions)}: "
            f"{len(raised)} new hit(s), {standing} standing hit(s)."
        )

    def _screen_all(self) -> None:
        """Screen the whole master."""
        summary = vendors_rescreen(actor=ACTOR, trigger="manual")
        if not summary.list_versions:
            self.stderr.write("No exclusion list is imported: nothing screened. Run import_exclusions first.")
            return
        self.stdout.write(
            f"Screened {summary.vendors_screened} vendor(s) against {_versions_text(summary.list_versions)} "
            f"in {summary.seconds} s: {summary.hits_raised} new hit(s), "
            f"{summary.vendors_with_hits} vendor(s) with standing hits."
        )
