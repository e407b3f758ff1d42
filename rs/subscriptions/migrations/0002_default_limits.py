"""The default UserLimits row with CDSE's values (prip-odata.md §18); admins edit it."""

from django.db import migrations

CDSE_DEFAULTS = {
    "concurrent_downloads": 4,
    "download_bytes": 12 * 10**12,
    "download_period_days": 30,
    "requests_per_minute": 2000,
    "running_subscriptions": 1,
    "total_subscriptions": 10,
    "subscription_queue_length": 100_000,
    "subscription_read_max": 20,
}


def default_row_create(apps, schema_editor):
    UserLimits = apps.get_model("subscriptions", "UserLimits")
    if not UserLimits.objects.filter(user__isnull=True).exists():
        UserLimits.objects.create(user=None, **CDSE_DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]

    operations = [migrations.RunPython(default_row_create, migrations.RunPython.noop)]
