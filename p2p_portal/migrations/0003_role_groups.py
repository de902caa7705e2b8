"""Create one group per role of DESIGN.md with its model permissions."""

from django.db import migrations

# Frozen copy of p2p_portal.roles.ROLE_PERMISSIONS at the time of this migration (a test compares them).
ROLE_PERMISSIONS = {
    "ap_clerk": ["p2p_portal.view_facility", "p2p_portal.view_costcenter"],
    "ap_manager": ["p2p_portal.view_facility", "p2p_portal.view_costcenter", "p2p_portal.view_audit_trail"],
    "procurement_admin": [
        "p2p_portal.view_facility",
        "p2p_portal.view_costcenter",
        "p2p_portal.add_costcenter",
        "p2p_portal.change_costcenter",
        "p2p_portal.view_audit_trail",
    ],
    "vendor_steward": ["p2p_portal.view_facility", "p2p_portal.view_costcenter"],
    "auditor": [
        "p2p_portal.view_facility",
        "p2p_portal.view_costcenter",
        "p2p_portal.view_roleassignment",
        "p2p_portal.view_apiclient",
        "p2p_portal.view_audit_trail",
    ],
    "integration_admin": [
        "p2p_portal.view_facility",
        "p2p_portal.view_apiclient",
        "p2p_portal.add_apiclient",
        "p2p_portal.change_apiclient",
    ],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create them now so that
    # the groups can hold them on a fresh database.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("p2p_portal", "0002_organisation_api_clients_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
