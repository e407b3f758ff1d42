"""Indexes of the operator API's inbox status and quarantine listing ((state, finished_at, inbox) also orders the
failed entries of every inbox); on PostgreSQL also a trigram index on the upper-cased reasons of failed entries, the
expression of Django's `icontains` (the quarantine's reason filter). SpatiaLite gets the same results without it."""

from django.db import migrations, models

from rs.postgres_operations import RunSQLOnPostgreSQL


class Migration(migrations.Migration):

    dependencies = [
        ("ingestion", "0001_initial"),
        ("catalog", "0002_postgresql_name_indexes"),  # creates the pg_trgm extension
    ]

    operations = [
        migrations.AddIndex(
            model_name="inboxentry",
            index=models.Index(fields=["state", "finished_at", "inbox"], name="inbox_entry_finished"),
        ),
        migrations.AddIndex(
            model_name="inboxentry",
            index=models.Index(condition=models.Q(("state", "failed")), fields=["inbox", "-finished_at", "-id"],
                               name="inbox_entry_failed_inbox"),
        ),
        RunSQLOnPostgreSQL(
            sql=["CREATE INDEX IF NOT EXISTS inbox_entry_failed_reason_trgm ON ingestion_inboxentry "
                 "USING gin (UPPER(reason) gin_trgm_ops) WHERE state = 'failed'"],
            reverse_sql=["DROP INDEX IF EXISTS inbox_entry_failed_reason_trgm"],
        ),
    ]
