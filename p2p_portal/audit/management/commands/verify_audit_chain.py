"""`manage.py verify_audit_chain`: re-compute every history table's hash chain; exit 1 at a broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from p2p_portal.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    """Re-compute every history table's hash chain from its rows and report the first broken link."""

    help = (
        "Re-compute every history table's hash chain from its rows. Prints rows verified and not sealed yet "
        "per table; exits 1 naming the table, history_id and kind of the first broken link."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        for chain in report.tables:
            if chain.broken is not None:
                self.stdout.write(
                    self.style.ERROR(
                        f"{chain.table}: BROKEN at {chain.broken.where}, {chain.broken.kind}: {chain.broken.detail} "
                        f"({chain.verified} verified before it)"
                    )
                )
            else:
                self.stdout.write(
                    f"{chain.table}: {chain.verified} verified, {chain.unsealed} not sealed yet, "
                    f"head {chain.head_hash[:16]}"
                )
        if not report.ok:
            raise CommandError(f"audit chain broken: {report.breaks[0]}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.verified} rows verified in {len(report.tables)} tables, "
                f"{report.unsealed} not sealed yet."
            )
        )
