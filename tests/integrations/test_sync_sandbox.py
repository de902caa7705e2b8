"""Inbound sync from the real sandbox process into PostgreSQL: convergence under faults, incremental runs, poison
records and their replay, governed supplier changes, run bookkeeping."""

from __future__ import annotations

import pytest

from integrations.models import DeadLetter, DeadLetterStatus, SyncCursor, SyncRunStatus
from integrations.services.dead_letters import dead_letter_discard, dead_letter_replay
from matching.models import PurchaseOrder, Receipt
from p2p_portal.errors import ApplicationError, InvalidInputError
from tests.integrations.sandbox_fixtures import API_KEY, sandbox_factory_fixture
from tests.integrations.sync_helpers import (
    KEY_VARIABLE,
    assert_mirrors_source,
    run,
    sandbox_system,
    source,
    sync_until_caught_up,
)
from vendors.models import ChangeRequest, ChangeStatus, SourceReference

pytestmark = pytest.mark.django_db
SMALL = {"seed": 7, "suppliers": 30, "orders": 90, "receipts_ratio": 0.4}


@pytest.fixture(autouse=True)
def _api_key(monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, API_KEY)


@pytest.fixture
def sandbox_factory():
    yield from sandbox_factory_fixture()


def test_a_full_sync_at_20_percent_errors_and_10_percent_429s_converges_to_the_source(sandbox_factory, north):
    # A fixed fault seed: the run is a few dozen requests, and an unseeded 10 % share of 429s sometimes drew none.
    sandbox = sandbox_factory(
        **SMALL, fault_seed=20, switches={"error_rate": 0.2, "rate_limit_rate": 0.1, "retry_after": 1}
    )
    system = sandbox_system(sandbox, north)
    runs = sync_until_caught_up(system)
    assert_mirrors_source(sandbox, system)
    stats = sandbox.stats()
    assert stats["faults"]["error"] > 0
    assert stats["faults"]["rate_limited"] > 0
    # Every record was created exactly once, whatever runs failed on the way.
    assert sum(r.created for r in runs if r.entity == "purchase_order") == SMALL["orders"]
    assert PurchaseOrder.objects.filter(revision__gt=1).count() == 0
    assert sum(r.created for r in runs if r.entity == "receipt") == len(source(sandbox, "receipts"))
    assert not DeadLetter.objects.exists()


def test_a_spent_retry_budget_fails_the_run_with_the_error_and_keeps_the_cursor(sandbox_factory, north):
    sandbox = sandbox_factory(**SMALL)
    system = sandbox_system(sandbox, north)
    assert run(system, "supplier").status == SyncRunStatus.SUCCEEDED
    sandbox.configure(error_rate=1.0)
    failed = run(system, "purchase_order")
    assert failed.status == SyncRunStatus.FAILED
    assert failed.error.startswith("TransientError")
    assert failed.cursor_after == failed.cursor_before == ""
    assert SyncCursor.objects.get(system=system, entity="purchase_order").cursor == ""
    sandbox.configure(error_rate=0.0)
    again = run(system, "purchase_order")
    assert again.status == SyncRunStatus.SUCCEEDED
    assert again.created == SMALL["orders"]


def test_incremental_runs_apply_exactly_the_changes(sandbox_factory, north):
    sandbox = sandbox_factory(**SMALL)
    system = sandbox_system(sandbox, north)
    sync_until_caught_up(system)
    nothing = run(system, "purchase_order")
    assert (nothing.status, nothing.fetched, nothing.created, nothing.updated) == (SyncRunStatus.SUCCEEDED, 0, 0, 0)

    changed = sandbox.control("change", entity="purchase_orders", ids=[3, 10, 11], kind="price")["changed"]
    sandbox.control("change", entity="purchase_orders", ids=[20], kind="status")
    added = sandbox.control("add", entity="purchase_orders", count=2)["added"]
    incremental = run(system, "purchase_order")
    assert (incremental.fetched, incremental.created, incremental.updated, incremental.unchanged) == (6, 2, 4, 0)
    assert incremental.cursor_before != incremental.cursor_after
    revised = PurchaseOrder.objects.get(number=f"PO-{changed[0]['id']:07d}")
    assert revised.revision == 2
    assert revised.history.count() == 2
    assert PurchaseOrder.objects.filter(number__in=[f"PO-{i:07d}" for i in added], revision=1).count() == 2
    assert run(system, "purchase_order").fetched == 0
    assert_mirrors_source(sandbox, system)


def test_a_poison_record_is_dead_lettered_the_run_goes_on_and_replay_applies_it_after_the_fix(sandbox_factory, north):
    sandbox = sandbox_factory(**SMALL, switches={"malformed_rate": 0.05})
    system = sandbox_system(sandbox, north)
    runs = sync_until_caught_up(system)
    assert {r.status for r in runs} <= {SyncRunStatus.PARTIAL, SyncRunStatus.SUCCEEDED}
    letters = list(DeadLetter.objects.filter(system=system, status=DeadLetterStatus.OPEN))
    # Poison records keep their raw payload and name the broken field; what depends on them (a receipt of a
    # poison PO, a PO of a poison supplier) waits with its mapped record and says what it misses.
    poison = [x for x in letters if "canonical" not in x.payload]
    waiting = [x for x in letters if "canonical" in x.payload]
    assert poison
    assert len(poison) <= sandbox.stats()["faults"]["malformed_records"]
    assert sum(r.failed for r in runs) >= len(letters)
    for letter in poison:
        assert letter.direction == "inbound"
        assert letter.payload["id"] == int(letter.external_id)
        assert any(name in letter.error for name in ("tax-id", "name", "email", "quantity", "price", "supplier",
                                                      "order-line", "transaction-date"))  # fmt: skip
    assert all("not here" in x.error or "unknown supplier" in x.error for x in waiting)
    letters = poison
    order_letter = next((x for x in letters if x.entity == "purchase_order" and "supplier" not in x.error), None)
    letter = order_letter or letters[0]

    still = dead_letter_replay(actor="tests", dead_letter=letter)
    assert still.status == DeadLetterStatus.OPEN
    assert still.attempts == letter.attempts + 1

    sandbox.control("fix_malformed")
    replayed = dead_letter_replay(actor="tests", dead_letter=letter)
    assert replayed.status == DeadLetterStatus.REPLAYED
    assert replayed.resolved_at is not None
    counts = (PurchaseOrder.objects.count(), Receipt.objects.count(), SourceReference.objects.count())
    history = PurchaseOrder.history.count()
    again = dead_letter_replay(actor="tests", dead_letter=replayed)
    assert again.status == DeadLetterStatus.REPLAYED
    assert (PurchaseOrder.objects.count(), Receipt.objects.count(), SourceReference.objects.count()) == counts
    assert PurchaseOrder.history.count() == history

    # The fixed records come again with a new updated-at; the next runs apply them and settle their letters.
    sandbox.configure(malformed_rate=0.0)
    sync_until_caught_up(system)
    assert not DeadLetter.objects.filter(status=DeadLetterStatus.OPEN, payload__canonical__isnull=True).exists()
    for waiting_letter in DeadLetter.objects.filter(status=DeadLetterStatus.OPEN).order_by("id"):
        assert dead_letter_replay(actor="tests", dead_letter=waiting_letter).status == DeadLetterStatus.REPLAYED
    assert_mirrors_source(sandbox, system)


def test_discarding_a_dead_letter_needs_a_reason(sandbox_factory, north, people):
    sandbox = sandbox_factory(**SMALL, switches={"malformed_rate": 0.1})
    system = sandbox_system(sandbox, north)
    run(system, "supplier")
    letter = DeadLetter.objects.filter(system=system).first()
    assert letter is not None
    with pytest.raises(InvalidInputError):
        dead_letter_discard(actor=people["integration_admin"], dead_letter=letter, reason="  ")
    discarded = dead_letter_discard(actor=people["integration_admin"], dead_letter=letter, reason="test supplier")
    assert (discarded.status, discarded.resolution) == (DeadLetterStatus.DISCARDED, "test supplier")
    assert discarded.resolved_by == people["integration_admin"]
    with pytest.raises(ApplicationError):
        dead_letter_replay(actor=people["integration_admin"], dead_letter=discarded)


def test_a_po_naming_an_unknown_supplier_is_a_dead_letter_naming_it(sandbox_factory, north):
    sandbox = sandbox_factory(**SMALL)
    system = sandbox_system(sandbox, north)
    outcome = run(system, "purchase_order")  # suppliers not synced yet
    assert outcome.status == SyncRunStatus.PARTIAL
    assert outcome.failed == SMALL["orders"]
    assert outcome.created == 0
    letter = DeadLetter.objects.filter(entity="purchase_order").first()
    assert "unknown supplier coupa:" in letter.error
    run(system, "supplier")
    assert dead_letter_replay(actor="tests", dead_letter=letter).status == DeadLetterStatus.REPLAYED


def test_a_governed_supplier_change_becomes_a_change_request_not_an_overwrite(sandbox_factory, north):
    sandbox = sandbox_factory(**SMALL)
    system = sandbox_system(sandbox, north)
    run(system, "supplier")
    reference = SourceReference.objects.get(system=system.code, external_id="4")
    before = reference.vendor.legal_name
    (_change,) = sandbox.control("change", entity="suppliers", ids=[4], kind="name")["changed"]
    renamed = source(sandbox, "suppliers")[4]["name"]
    changed = run(system, "supplier")
    assert (changed.fetched, changed.updated, changed.created) == (1, 1, 0)
    reference.refresh_from_db()
    assert reference.vendor.legal_name == before  # not overwritten
    request = ChangeRequest.objects.get(vendor=reference.vendor, status=ChangeStatus.PENDING)
    assert "legal_name" in request.fields
    assert request.proposed["fields"]["legal_name"] == renamed
    assert request.approval_request is not None
    assert reference.last_payload["canonical"]["legal_name"] == renamed
    # The same values read again (a run from the start) propose nothing new.
    cursor = SyncCursor.objects.get(system=system, entity="supplier")
    cursor.cursor = ""
    cursor.save()
    rerun = run(system, "supplier")
    assert (rerun.created, rerun.updated, rerun.failed, rerun.unchanged) == (0, 0, 0, SMALL["suppliers"])
    assert ChangeRequest.objects.filter(vendor=reference.vendor).count() == 1
    # Another governed change while that request is open waits in the dead letters, naming it.
    sandbox.control("change", entity="suppliers", ids=[4], kind="contact")
    waiting = run(system, "supplier")
    assert (waiting.fetched, waiting.failed) == (1, 1)
    letter = DeadLetter.objects.get(entity="supplier", external_id="4")
    assert f"CR-{request.pk}" in letter.error
