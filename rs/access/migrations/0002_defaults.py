"""The public client eodag and cdsetool use ("cdse-public", password and refresh grants, no secret) and the
Django groups that carry the operator and admin roles."""

from django.db import migrations


def defaults_create(apps, schema_editor):
    OAuthClient = apps.get_model("access", "OAuthClient")
    Group = apps.get_model("auth", "Group")
    OAuthClient.objects.get_or_create(
        client_id="cdse-public",
        defaults={"name": "Public client of CDSE tools (eodag, cdsetool)", "confidential": False,
                  "grant_types": "password refresh_token"},
    )
    for name in ("operator", "admin"):
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(defaults_create, migrations.RunPython.noop)]
