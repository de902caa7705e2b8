"""A newcomer's machine has neither PostgreSQL nor Redis: `make run`'s migrate and seed_demo still work on SQLite
with tasks inline, and the demo clerk finds a populated workbench."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import manage


def test_migrate_and_seed_demo_on_sqlite_fill_the_workbench(tmp_path: Path) -> None:
    environment = {
        "P2P_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "P2P_VAR_DIR": str(tmp_path),
    }
    for command in (("migrate", "-v0"), ("seed_demo",)):
        done = manage(*command, environment=environment, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    counted = manage(
        "shell",
        "-c",
        "from matching.models import WorkItem, ExceptionCode, InvoiceException;"
        "print(WorkItem.objects.filter(state='open').count());"
        "print(len(set(InvoiceException.objects.values_list('code', flat=True))), len(ExceptionCode.values))",
        environment=environment,
    )
    assert counted.returncode == 0, counted.stderr[-3000:]
    open_items, codes_raised = counted.stdout.split()[-3], counted.stdout.split()[-2:]
    assert int(open_items) >= 20
    assert codes_raised[0] == codes_raised[1], "every exception code is in the demo"

    # SQLite has no row locks: claim-next falls back to a conditional UPDATE; two people never get the same item.
    claimed = manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "from matching.services.workbench.claims import work_item_claim_next as next_;"
        "first = next_(actor=User.objects.get(username='clerk'));"
        "second = next_(actor=User.objects.get(username='manager'));"
        "print(first.pk, second.pk, first.claimed_by.username, second.claimed_by.username)",
        environment=environment,
    )
    assert claimed.returncode == 0, claimed.stderr[-3000:]
    first, second, first_holder, second_holder = claimed.stdout.split()[-4:]
    assert first != second
    assert (first_holder, second_holder) == ("clerk", "manager")
