"""Bulk actions: one decision for many items, each checked and recorded on its own; a bad item is reported with
its rule's code and does not stop the others."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from matching.models import InvoiceStatus, WorkAction, WorkActionKind, WorkItemState
from matching.services.workbench.bulk import BulkResult, work_items_bulk
from matching.services.workbench.claims import work_item_claim
from p2p_portal.errors import ApplicationError
from tests.matching.workbench.conftest import Ingest, actions, item_of


def test_bulk_accept_does_the_good_items_and_reports_each_bad_one(
    ingest: Ingest, received: object, ann: User, bob: User
) -> None:
    good = [item_of(ingest("V-111", (1, "10", "10.30"))), item_of(ingest("V-222", (1, "20", "10.30")))]
    ingest("V-500", (2, "5", "2.00"))
    no_variance = item_of(ingest("V-500", (2, "5", "2.00")))  # only a duplicate suspicion
    held = item_of(ingest("B-999", (1, "10", "10.40")))
    work_item_claim(actor=bob, item=held)
    keyed = item_of(ingest("K-777", (1, "5", "10.30"), keyed_by=ann))
    above_authority = item_of(ingest("V-333", (1, "50", "16.00")))  # 300.00 over a clerk's 250.00
    items = [good[0], no_variance, held, keyed, good[1], above_authority]

    results = work_items_bulk(
        actor=ann, items=items, action="accept_variance", params={"reason_code": "contract_price", "note": "GPO"}
    )
    assert [(r.item_id, r.ok, r.code, r.outcome) for r in results] == [
        (good[0].pk, True, "", "accepted"),
        (no_variance.pk, False, "no_variance", ""),
        (held.pk, False, "claimed_by_other", ""),
        (keyed.pk, False, "sod_keyed_by", ""),
        (good[1].pk, True, "", "accepted"),
        (above_authority.pk, True, "", "sent_for_approval"),
    ]
    assert all(r.message for r in results if not r.ok), "each refusal says why"
    for item in good:
        item.refresh_from_db()
        assert item.state == WorkItemState.CLOSED
        assert item.invoice.status == InvoiceStatus.APPROVED
        [accepted] = actions(item, WorkActionKind.ACCEPT_VARIANCE)
        assert (accepted.actor, accepted.reason_code, accepted.note) == (ann, "contract_price", "GPO")
    for item in (no_variance, held, keyed):
        item.refresh_from_db()
        assert item.invoice.status == InvoiceStatus.EXCEPTION
        assert not actions(item, WorkActionKind.ACCEPT_VARIANCE)
    assert held.claimed_by == bob
    assert [a.detail["rule"] for a in actions(keyed, WorkActionKind.BLOCKED)] == ["sod_keyed_by"]


def test_bulk_reject_records_each_item_and_skips_a_closed_one(ingest: Ingest, received: object, ann: User) -> None:
    first = item_of(ingest("V-111", (1, "10", "10.30")))
    second = item_of(ingest("V-222", (1, "20", "10.30")))
    params = {"reason_code": "pricing_dispute", "note": "Not the contract price"}
    work_items_bulk(actor=ann, items=[first], action="reject", params=params)
    results = work_items_bulk(actor=ann, items=[first, second], action="reject", params=params)
    assert results == [
        BulkResult(first.pk, False, "item_state", results[0].message),
        BulkResult(second.pk, True),
    ]
    assert WorkAction.objects.filter(kind=WorkActionKind.REJECT, actor=ann).count() == 2, "one per invoice"
    second.refresh_from_db()
    assert second.invoice.status == InvoiceStatus.REJECTED


def test_bulk_refuses_an_unknown_action(ingest: Ingest, received: object, ann: User) -> None:
    item = item_of(ingest("V-111", (1, "10", "10.30")))
    with pytest.raises(ApplicationError) as refused:
        work_items_bulk(actor=ann, items=[item], action="pay", params={})
    assert refused.value.code == "invalid_action"
    item.refresh_from_db()
    assert item.state == WorkItemState.OPEN
    assert not WorkAction.objects.exists()


def test_bulk_reassign_by_a_manager(ingest: Ingest, received: object, ann: User, bob: User, maria: User) -> None:
    items = [item_of(ingest("V-111", (1, "10", "10.30"))), item_of(ingest("V-222", (1, "20", "10.30")))]
    params = {"to": bob, "reason_code": "workload"}
    assert [r.code for r in work_items_bulk(actor=ann, items=items, action="reassign", params=params)] == [
        "not_a_manager",
        "not_a_manager",
    ]
    assert all(r.ok for r in work_items_bulk(actor=maria, items=items, action="reassign", params=params))
    for item in items:
        item.refresh_from_db()
        assert item.claimed_by == bob
        assert len(actions(item, WorkActionKind.REASSIGN)) == 1
