"""Default approval policies for vendor changes and bank-account changes, and the SoD conflict rule that keeps
whoever changed a vendor's bank account from approving that vendor's documents for 90 days. Procurement admins
may edit them afterwards (each edit is versioned and audited)."""

from django.db import migrations

POLICIES = [
    ("Vendor changes: one procurement admin", "vendor_change", 1),
    ("Vendor bank-account changes: two procurement admins", "vendor_bank_change", 2),
]


def create(apps, schema_editor):
    Policy = apps.get_model("approvals", "Policy")
    PolicyStep = apps.get_model("approvals", "PolicyStep")
    ConflictRule = apps.get_model("approvals", "ConflictRule")
    for name, document_type, approvals_required in POLICIES:
        if Policy.objects.filter(document_type=document_type).exists():
            continue
        policy = Policy.objects.create(name=name, document_type=document_type, active=True, version=1)
        PolicyStep.objects.create(
            policy=policy, position=1, role="procurement_admin", approvals_required=approvals_required,
            sla_business_days=2,
        )
    ConflictRule.objects.get_or_create(
        code="bank-change-then-approve",
        defaults={
            "description": "Whoever proposed a vendor's bank-account change may not approve that vendor's documents",
            "ledger_action": "vendor.bank_changed",
            "document_types": [],
            "window_days": 90,
            "active": True,
        },
    )


def remove(apps, schema_editor):
    Policy = apps.get_model("approvals", "Policy")
    for _name, document_type, _n in POLICIES:
        for policy in Policy.objects.filter(document_type=document_type):
            policy.steps.all().delete()
            if not policy.requests.exists():
                policy.delete()
    apps.get_model("approvals", "ConflictRule").objects.filter(code="bank-change-then-approve").delete()


class Migration(migrations.Migration):
    dependencies = [("vendors", "0001_initial"), ("approvals", "0003_escalation_adds_approver")]
    operations = [migrations.RunPython(create, remove)]
