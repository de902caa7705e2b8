"""Demo systems: the procurement sandbox that `make run` starts on port 8200 (press "Run now" in the console, or
let beat pull it when Redis runs), and a Tryton ERP entry left disabled until one is started (docs/tryton.md)."""

from __future__ import annotations

from integrations.models import ConnectorName, ExternalSystem, SystemKind
from integrations.services.systems import external_system_create
from p2p_portal.demo import ACTOR, DemoLogin
from p2p_portal.models import Facility

SANDBOX_PORT = 8200


def seed() -> list[DemoLogin]:
    """Create the demo systems once."""
    facility = Facility.objects.filter(code="NGH").first()
    if not ExternalSystem.objects.filter(code="procurement-sandbox").exists():
        external_system_create(
            actor=ACTOR,
            reason="demo system",
            code="procurement-sandbox",
            name="Procurement suite (sandbox)",
            kind=SystemKind.PROCUREMENT,
            connector=ConnectorName.SANDBOX,
            base_url=f"http://127.0.0.1:{SANDBOX_PORT}",
            config={"api_key_env": "SANDBOX_API_KEY"},
            facility=facility,
            sync_interval_minutes=15,
        )
    if not ExternalSystem.objects.filter(code="tryton-erp").exists():
        external_system_create(
            actor=ACTOR,
            reason="demo system (enable it once a Tryton runs: python -m integrations.tryton.harness serve)",
            code="tryton-erp",
            name="ERP (Tryton)",
            kind=SystemKind.ERP,
            connector=ConnectorName.TRYTON,
            base_url="http://127.0.0.1:8100",
            config={"database": "p2p", "login_env": "TRYTON_LOGIN", "password_env": "TRYTON_PASSWORD"},
            facility=facility,
            enabled=False,
        )
    return []
