"""Demo data of the evidence area: a first verification of the audit chain, so the pack page shows its result."""

from __future__ import annotations

from p2p_portal.audit.services import audit_seal
from p2p_portal.demo import ACTOR, DemoLogin


def seed() -> list[DemoLogin]:
    """Seal what the other apps' demo data wrote, then verify the chain once (re-running adds a newer result)."""
    from insights.evidence.services import chain_verification_run

    audit_seal()
    chain_verification_run(actor=ACTOR)
    return []
