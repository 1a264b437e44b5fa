"""Give the "admin" role (a Django group) the right to curate content.

Roles are groups; the content admin needs the knowledge app's model permissions to use the admin
site and the `curate` permission to review, approve and retire. Done here so every fresh database
(including the test database) has it, without the knowledge app importing the portal's code.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADMIN_GROUP = "admin"  # portal.roles.ADMIN


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create this app's now.
    app_config = apps.get_app_config("knowledge")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="knowledge"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=ADMIN_GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="knowledge"))


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
