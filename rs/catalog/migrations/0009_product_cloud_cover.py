"""Product.cloud_cover: the cloudCover attribute as a typed column, filled for the existing rows in batches."""

from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

BATCH = 5000


def cloud_cover_fill(apps, schema_editor):
    """Copy each product's cloudCover attribute into the column, BATCH products per transaction (keyset on id), so a
    large catalog is never locked in one long transaction."""
    Product = apps.get_model("catalog", "Product")
    ProductAttribute = apps.get_model("catalog", "ProductAttribute")
    value = ProductAttribute.objects.filter(product_id=OuterRef("pk"), name="cloudCover",
                                            value_double__isnull=False).values("value_double")[:1]
    with_attribute = Product.objects.filter(attributes__name="cloudCover").order_by("pk")
    last = None
    while True:
        page = with_attribute.filter(pk__gt=last) if last is not None else with_attribute
        ids = list(page.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        Product.objects.filter(pk__in=ids).update(cloud_cover=Subquery(value))
        last = ids[-1]


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch

    dependencies = [
        ("catalog", "0008_validity_stop_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="cloud_cover",
            field=models.FloatField(blank=True, help_text="Value of the cloudCover attribute (percent).", null=True),
        ),
        migrations.RunPython(cloud_cover_fill, migrations.RunPython.noop, atomic=False),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=Q(("cloud_cover__isnull", False), ("publication_date__isnull", False),
                            ("scope", "operational")),
                fields=["product_type", "content_start", "cloud_cover"],
                name="product_type_start_cloud",
            ),
        ),
    ]
