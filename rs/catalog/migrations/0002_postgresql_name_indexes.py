"""PostgreSQL-only indexes on product names: trigram GIN for contains/endswith, text_pattern_ops for startswith.

SpatiaLite (embedded default) gets neither: its queries give the same results, only slower on large catalogs."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from rs.postgres_operations import RunSQLOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        TrigramExtension(),  # a no-op on databases other than PostgreSQL
        RunSQLOnPostgreSQL(
            sql=[
                "CREATE INDEX IF NOT EXISTS product_name_trgm ON catalog_product USING gin (name gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS product_name_pattern ON catalog_product (name text_pattern_ops)",
                "CREATE INDEX IF NOT EXISTS deleted_name_trgm ON catalog_deletedproduct USING gin (name gin_trgm_ops)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS product_name_trgm",
                "DROP INDEX IF EXISTS product_name_pattern",
                "DROP INDEX IF EXISTS deleted_name_trgm",
            ],
        ),
    ]
