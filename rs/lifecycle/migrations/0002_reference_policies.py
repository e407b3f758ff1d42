"""Load the reference retention policies (rs/lifecycle/defaults.py) into an empty policy table."""

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from rs.lifecycle.defaults import DEFAULT_POLICIES

    policy = apps.get_model("lifecycle", "RetentionPolicy")
    if policy.objects.exists():
        return
    policy.objects.bulk_create([
        policy(position=(index + 1) * 10, name=f"ref-{number:03d}-{family.lower()}", family=family,
               name_regex=pattern, retention_days=days)
        for index, (number, family, pattern, days) in enumerate(DEFAULT_POLICIES)
    ])


def unload(apps: Any, schema_editor: Any) -> None:
    apps.get_model("lifecycle", "RetentionPolicy").objects.filter(name__startswith="ref-").delete()


class Migration(migrations.Migration):
    dependencies = [("lifecycle", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
