"""Two approvers giving the last needed approval of a step at the same moment: only one counts."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from approvals.models import ApprovalDecision, ApprovalRequest, RequestStatus
from approvals.services import StepSpec, approval_request_approve, approval_request_submit, policy_create
from p2p_portal.errors import ApplicationError
from p2p_portal.roles import Role
from tests.approvals.conftest import DOC
from tests.factories import SYSTEM


@pytest.mark.django_db(transaction=True)
def test_concurrent_last_approvals_count_once(people, managers, make_document, recorder):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every write transaction, so there is no race to test")
    policy_create(
        actor=SYSTEM,
        name="two managers",
        document_type=DOC,
        steps=[StepSpec(role=Role.AP_MANAGER, approvals_required=2)],
    )
    request = approval_request_submit(actor=people["ap_clerk"], document_type=DOC, document=make_document())
    approval_request_approve(actor=people["ap_manager"], request=request)

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(approver):
        try:
            barrier.wait(timeout=10)
            approval_request_approve(actor=approver, request=request)
            outcomes.append("approved")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(m,)) for m in managers[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["approved", "request_not_pending"]
    assert ApprovalDecision.objects.filter(request=request, decision="approve").count() == 2
    assert ApprovalRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    assert recorder.approved == [request.pk]
