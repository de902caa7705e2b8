"""Every model of the project keeps history, unless it is on the short list of operational state."""

from __future__ import annotations

from django.apps import apps
from simple_history.models import HistoricalChanges

PROJECT_APPS = ("p2p_portal", "audit", "approvals", "vendors", "matching", "integrations")

# Operational state and the seals themselves; a business record never belongs here.
WITHOUT_HISTORY = {
    "p2p_portal.TaskHeartbeat",
    "p2p_portal.IdempotencyRecord",
    "audit.AuditChainLink",
    "audit.AuditChainHead",
    "audit.AuditColumnSet",
    # Derived or bulk reference data whose evidence is elsewhere (the vendor record, the list file hash):
    "vendors.VendorMatchKey",
    "vendors.ExclusionEntry",
    "vendors.ScreeningResult",
}


def _project_models() -> list[type]:
    return [
        model
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
        if not issubclass(model, HistoricalChanges)
    ]


def test_every_project_model_has_a_history_manager() -> None:
    without = sorted(
        model._meta.label
        for model in _project_models()
        if model._meta.label not in WITHOUT_HISTORY and not hasattr(model._meta, "simple_history_manager_attribute")
    )
    assert without == [], "declare `history = audited_history()` on these models (or justify them in WITHOUT_HISTORY)"


def test_the_allow_list_names_only_existing_models() -> None:
    labels = {model._meta.label for model in _project_models()}
    assert labels >= WITHOUT_HISTORY


def test_a_reason_longer_than_the_column_is_cut_not_refused(db) -> None:
    from p2p_portal.models import Facility
    from p2p_portal.services import facility_update
    from tests.factories import make_facility

    facility = make_facility("LONG")
    facility_update(actor="tests", facility=facility, reason="x" * 300, name="Renamed")
    reason = Facility.history.filter(code="LONG").latest().history_change_reason
    assert len(reason) == 100
    assert reason.endswith("…")
