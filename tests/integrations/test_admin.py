"""The admin registers external systems: the change is saved with the admin user and the reason in its history, a
URL without a scheme is taken as https, and nothing points at a secret."""

from __future__ import annotations

import pytest

from integrations.models import ExternalSystem

pytestmark = pytest.mark.django_db


def test_staff_register_a_system_with_a_reason(staff, staff_client) -> None:
    form = staff_client.get("/admin/integrations/externalsystem/add/")
    assert form.status_code == 200

    response = staff_client.post(
        "/admin/integrations/externalsystem/add/",
        {
            "code": "erp",
            "name": "Hospital ERP",
            "kind": "erp",
            "connector": "tryton",
            "base_url": "erp.example.org",
            "config": '{"database": "p2p", "login_env": "ERP_LOGIN", "password_env": "ERP_PASSWORD"}',
            "enabled": "on",
            "rate_limit_per_second": "5",
            "max_concurrency": "2",
            "sync_interval_minutes": "15",
            "reason": "go-live of the ERP link",
        },
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    system = ExternalSystem.objects.get(code="erp")
    assert system.base_url == "https://erp.example.org"
    entry = system.history.latest()
    assert (entry.history_user, entry.history_change_reason) == (staff, "go-live of the ERP link")


def test_a_reason_is_required(staff_client) -> None:
    response = staff_client.post(
        "/admin/integrations/externalsystem/add/",
        {"code": "erp", "name": "ERP", "kind": "erp", "connector": "tryton", "base_url": "https://erp.example.org"},
    )
    assert response.status_code == 200
    assert not ExternalSystem.objects.filter(code="erp").exists()
