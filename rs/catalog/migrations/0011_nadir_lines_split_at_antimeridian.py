"""Nadir lines stored before lines were split at ±180° kept longitudes above 180°: they are brought to the stored
form now (a MultiLineString within [-180°, 180°]), so that a search from the western side finds them too."""

from django.contrib.gis.geos import LineString, Polygon
from django.db import migrations

# strictly east of the meridian: polygons stored split at ±180° touch it and must not be picked
_BEYOND_180 = Polygon.from_bbox((180.000001, -90.0, 540.0, 90.0))
_BEYOND_180.srid = 4326


def nadir_lines_split(apps, schema_editor):
    from rs.catalog.footprints import footprint_normalise

    Product = apps.get_model("catalog", "Product")
    for product in Product.objects.filter(footprint__intersects=_BEYOND_180).only("id", "footprint").iterator():
        if isinstance(product.footprint, LineString):
            product.footprint = footprint_normalise(product.footprint)
            product.save(update_fields=["footprint"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0010_deletion_cause_scope_removed")]

    operations = [migrations.RunPython(nadir_lines_split, migrations.RunPython.noop)]
