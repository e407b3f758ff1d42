"""`catalog load`: NDJSON bulk load of metadata-only products (rs/catalog/bulk_load.py) and the benchmark generator."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import worker_database_url
from rs.catalog import services
from rs.catalog.bulk import BulkLoadError, footprint_hexewkb, products_load
from rs.catalog.choices import EventKind, ProcessingLevel, ProductFamily
from rs.catalog.footprints import InvalidFootprint, footprint_normalise
from rs.catalog.models import CatalogEvent, Product, ProductAttribute
from rs.catalog.tests import factories

ROOT = Path(__file__).resolve().parents[3]
GENERATOR = ROOT / "bench" / "prip" / "generate.py"
T0 = datetime(2024, 6, 4, 11, 1, 0, 123456, tzinfo=UTC)
PUBLISHED = datetime(2024, 6, 4, 13, 0, 0, tzinfo=UTC)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def s1_line(index: int = 1, **overrides: object) -> dict[str, object]:
    name = factories.s1_grd_name(start=T0.replace(microsecond=0), index=index)
    line: dict[str, object] = {
        "id": str(uuid.UUID(int=index, version=4)), "name": name, "mission": "S1", "platform": "A",
        "productType": "IW_GRDH_1S", "processingLevel": "L1", "start": iso(T0),
        "end": iso(T0 + timedelta(seconds=31)), "publicationDate": iso(PUBLISHED), "contentLength": 1_693_552_230,
        "checksum": "9E107D9D372BB6826BD81D3542A419D6",
        # the clockwise L1 sample of naming-and-metadata.md §9.3
        "footprint": {"type": "Polygon", "coordinates": [[[48.27924, 12.378114], [50.603844, 12.829241],
                                                          [50.958828, 11.081389], [48.64994, 10.625828],
                                                          [48.27924, 12.378114]]]},
        "attributes": {"productType": "IW_GRDH_1S", "orbitNumber": 54172, "relativeOrbitNumber": 12,
                       "orbitDirection": "DESCENDING", "timeliness": "NRT-3h", "instrumentConfigurationID": 7,
                       "sliceProductFlag": True, "startTimeFromAscendingNode": 1642788.0, "cloudCover": 12,
                       "processingDate": "2024-06-04T12:30:00.5Z", "segmentStartTime": "2024-06-04T11:00:00+02:00",
                       "datatakeID": "146025", "myFlag": False, "myCount": 3, "myRatio": 0.25, "myNote": "VV&VH\tx",
                       "skipped": None},
    }
    line.update(overrides)
    return line


def s3_crossing_line() -> dict[str, object]:
    start, end = T0, T0 + timedelta(minutes=3)
    name = (f"S3A_OL_1_EFR____{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}_20240604T140000_0179_120_200_2340_PS1_O_NR_004"
            ".SEN3")
    return {
        "id": str(uuid.UUID(int=99, version=4)), "name": name, "mission": "S3", "platform": "A",
        "productType": "OL_1_EFR___", "start": iso(start), "end": iso(end), "publicationDate": None,
        "contentLength": 650_000_000, "checksum": None,
        "footprint": {"type": "Polygon", "coordinates": [[[178, 50], [-178, 50], [-178, 53], [178, 53], [178, 50]]]},
        "attributes": {"productType": "OL_1_EFR___", "timeliness": "NR", "cloudCover": 41.5},
    }


def ndjson(*lines: dict[str, object] | str) -> list[bytes]:
    return [(line if isinstance(line, str) else json.dumps(line)).encode() + b"\n" for line in lines]


def snapshot(product: Product) -> dict[str, object]:
    fields = {f.attname: getattr(product, f.attname) for f in Product._meta.concrete_fields
              if f.attname not in {"created_at", "modification_date", "footprint"}}
    fields["footprint"] = product.footprint.ewkb if product.footprint is not None else None
    fields["attributes"] = sorted(ProductAttribute.objects.filter(product=product).values_list(
        "name", "value_type", "value_string", "value_integer", "value_double", "value_boolean", "value_datetime"))
    return fields


# --- the loader writes what product_register writes --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("line, metadata, published", [
    (s1_line(), dict(mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_GRDH_1S",
                     level=ProcessingLevel.L1, mode="IW", timeliness="NRT-3h", instrument_configuration_id=7,
                     generation_date=datetime(2024, 6, 4, 12, 30, 0, 500000, tzinfo=UTC)), PUBLISHED),
    (s3_crossing_line(), dict(mission="S3", platform="A", family=ProductFamily.S3_L1_NRT, product_type="OL_1_EFR___",
                              level=ProcessingLevel.L1, timeliness="NR"), None),
    (s1_line(2, attributes={"orbitNumber": 54172}),
     dict(mission="S1", platform="A", family=ProductFamily.S1_L1_SLICE, product_type="IW_GRDH_1S",
          level=ProcessingLevel.L1, mode="IW"), PUBLISHED),
], ids=["s1-clockwise-fast-path", "s3-antimeridian-geos-path", "no-product-type-nor-cloud-cover-attribute"])
def test_the_loader_writes_exactly_what_product_register_writes(line, metadata, published):
    # given the product registered through the service, then removed
    attributes = {k: (datetime.fromisoformat(v) if k in {"processingDate", "segmentStartTime"} else v)
                  for k, v in line["attributes"].items()}
    registered = services.product_register(
        name=line["name"], product_id=uuid.UUID(line["id"]), content_length=line["contentLength"],
        checksums=services.Checksums(md5=line["checksum"].lower(), blake3="", computed_at=published)
        if line["checksum"] else None,
        metadata=services.ProductMetadata(
            **metadata, content_start=datetime.fromisoformat(line["start"]),
            content_end=datetime.fromisoformat(line["end"]), attributes=attributes,
            footprint=GEOSGeometry(json.dumps(line["footprint"]), srid=4326)),
    )
    expected = snapshot(registered)
    Product.objects.filter(pk=registered.pk).delete()
    # when the same product is bulk-loaded
    report = products_load(lines=ndjson(line))
    # then every column, attribute and the footprint are the same; only the publication date is the file's
    loaded = Product.objects.get(pk=registered.pk)
    assert report.products == 1 and report.attributes == len(expected["attributes"])
    assert loaded.publication_date == published
    expected["publication_date"] = published
    assert snapshot(loaded) == expected
    assert CatalogEvent.objects.filter(product_id=loaded.pk).count() == 1  # product_register's; the load adds none


@pytest.mark.django_db
def test_an_antimeridian_footprint_is_split_and_counter_clockwise():
    products_load(lines=ndjson(s3_crossing_line()))
    footprint = Product.objects.get().footprint
    assert footprint.geom_type == "MultiPolygon" and len(footprint) == 2
    assert footprint.equals(GEOSGeometry("MULTIPOLYGON (((178 50, 180 50, 180 53, 178 53, 178 50)), "
                                         "((-180 50, -178 50, -178 53, -180 53, -180 50)))"))
    for polygon in footprint:
        ring = polygon[0].coords
        assert sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring)) > 0  # counter-clockwise


WV_NAME = "S1A_WV_RAW__0SSV_20240604T110100_20240604T110131_054003_069693_0005.SAFE"


def wv_line(index: int, footprint: dict[str, object]) -> dict[str, object]:
    return s1_line(index, name=WV_NAME.replace("_0005.", f"_{index:04d}."), productType="WV_RAW__0S",
                   processingLevel="L0", attributes={"productConsolidation": "SLICE"}, footprint=footprint)


@pytest.mark.django_db
def test_a_wave_mode_nadir_line_across_the_antimeridian_is_stored_split_given_whole_or_in_parts():
    whole = {"type": "LineString", "coordinates": [[178, 50], [-178, 52]]}
    parts = {"type": "MultiLineString", "coordinates": [[[178, 50], [180, 51]], [[-180, 51], [-178, 52]]]}
    products_load(lines=ndjson(wv_line(5, whole), wv_line(6, parts)))
    stored = [p.footprint.wkt for p in Product.objects.order_by("name")]
    assert stored == ["MULTILINESTRING ((178 50, 180 51), (-180 51, -178 52))"] * 2


@pytest.mark.django_db
def test_open_rings_are_closed_as_manifests_give_them_open():
    ring = [[48.27924, 12.378114], [50.603844, 12.829241], [50.958828, 11.081389], [48.64994, 10.625828]]
    crossing = [[178, 50], [-178, 50], [-178, 53], [178, 53]]
    products_load(lines=ndjson(s1_line(1, footprint={"type": "Polygon", "coordinates": [ring]}),
                               s1_line(2, footprint={"type": "Polygon", "coordinates": [crossing]})))
    first, second = (Product.objects.get(name=s1_line(i)["name"]).footprint for i in (1, 2))
    assert first.wkt == ("MULTIPOLYGON (((48.64994 10.625828, 50.958828 11.081389, 50.603844 12.829241, "
                         "48.27924 12.378114, 48.64994 10.625828)))")
    assert len(second) == 2


@pytest.mark.django_db
def test_family_mode_timeliness_and_typed_values_are_derived_as_documented():
    products_load(lines=ndjson(s1_line()))
    product = Product.objects.get()
    assert (product.family, product.level, product.mode, product.timeliness, product.instrument_configuration_id) == (
        "L1_SLICE", "L1", "IW", "NRT-3h", 7)
    assert (product.online, product.storage_key, product.md5, product.md5_date) == (
        False, "", "9e107d9d372bb6826bd81d3542a419d6", PUBLISHED)
    values = {a.name: (a.value_type, a.value) for a in ProductAttribute.objects.filter(product=product)}
    assert values["cloudCover"] == ("Double", 12.0)
    assert values["datatakeID"] == ("Integer", 146025)  # a registry Integer given as a string, as product_register
    assert values["segmentStartTime"] == ("DateTimeOffset", datetime(2024, 6, 4, 9, 0, tzinfo=UTC))
    assert values["myFlag"] == ("Boolean", False) and values["myCount"] == ("Integer", 3)
    assert values["myRatio"] == ("Double", 0.25) and values["myNote"] == ("String", "VV&VH\tx")
    assert "skipped" not in values


@pytest.mark.django_db
def test_bulk_loaded_products_emit_no_events_unless_asked():
    products_load(lines=ndjson(s1_line(1)))
    assert CatalogEvent.objects.count() == 0
    report = products_load(lines=ndjson(s1_line(2), s3_crossing_line()), emit_events=True)
    assert report.events == 3  # created + published for the published one, created for the other
    assert sorted(CatalogEvent.objects.values_list("kind", flat=True)) == [
        EventKind.CREATED, EventKind.CREATED, EventKind.PUBLISHED]


# --- malformed lines ----------------------------------------------------------------------------------------------

BAD_RING = {"type": "Polygon", "coordinates": [[[10, 45], [11, 45], [11, 45], [10, 45]]]}


@pytest.mark.django_db
@pytest.mark.parametrize("bad, message", [
    ('{"id": "x", "name": ', "line 3: JSON: not valid: Expecting value at column 21"),
    ('{"id": NaN}', "line 3: JSON: not valid: NaN is not allowed"),
    ("[1, 2]", "line 3: JSON: a line must be one JSON object"),
    ({k: v for k, v in s1_line(3).items() if k != "name"}, "line 3: name: missing"),
    (s1_line(3, start="2024-13-01T00:00:00Z"), "line 3: start: '2024-13-01T00:00:00Z' is not an ISO 8601 date-time"),
    (s1_line(3, end="2024-06-04T11:01:31"), "line 3: end: '2024-06-04T11:01:31' has no time zone (add Z for UTC)"),
    (s1_line(3, end="2024-06-04T10:00:00Z"), "line 3: end: sensing stop is before sensing start"),
    (s1_line(3, footprint=BAD_RING), "line 3: footprint: a footprint ring needs at least 3 distinct points, got 2"),
    (s1_line(3, footprint={"type": "Polygon", "coordinates": [[[10, 45, 0], [11, 45, 0], [11, 46, 0]]]}),
     "line 3: footprint: position [10, 45, 0] is not a [longitude, latitude] pair of numbers"),
    (s1_line(3, footprint={"type": "Point", "coordinates": [10, 45]}),
     "line 3: footprint: a GeoJSON Polygon, MultiPolygon, LineString or MultiLineString (or null) expected"),
    (s1_line(3, footprint={"type": "Polygon", "coordinates": [[[10, 95], [11, 45], [11, 46], [10, 95]]]}),
     "line 3: footprint: footprint point (10.0, 95.0) is out of range"),
    (s1_line(3, footprint={"type": "LineString", "coordinates": [[48.27924, 12.378114], [50.603844, 12.829241]]}),
     "line 3: footprint: a LineString footprint is only for the nadir line of S1 WV and RF level-0 products "
     "((RF|WV)_RAW__0[ACNS]); S1 IW_GRDH_1S needs an area (Polygon or MultiPolygon)"),
    (s1_line(3, name="S1A_AUX_CAL_V20140406T000000_G20240612T000000.SAFE", productType="AUX_CAL",
             processingLevel="AUX", attributes={}),
     "line 3: footprint: AUX_CAL is an auxiliary file, which has no footprint (null), not a Polygon"),
    (s1_line(3, attributes={"orbitNumber": "x12"}),
     "line 3: attributes.orbitNumber: 'x12' is not a valid Integer value"),
    (s1_line(3, attributes={"processingDate": "yesterday"}),
     "line 3: attributes.processingDate: 'yesterday' is not an ISO 8601 date-time"),
    (s1_line(3, mission=["S1"]), "line 3: mission: ['S1'] is not one of S1, S2, S3"),
    (s1_line(3, attributes=[]), "line 3: attributes: a JSON object of name → value expected"),
    (s1_line(3, checksum="abc"), "line 3: checksum: 'abc' is not an MD5 (32 hexadecimal digits)"),
    (s1_line(3, contentLength=-1), "line 3: contentLength: -1 is out of range"),
    (s1_line(3, publicationdate="2024-06-04T13:00:00Z"), "line 3: publicationdate: unknown key"),
    (s1_line(3, processingLevel="L2"), "line 3: processingLevel: 'L2' differs from the level of IW_GRDH_1S (L1)"),
    (s1_line(3, productType="IW_RAW__0S", name="S1A_IW_RAW__0SDV_20240604T110100_20240604T110131_054003_069693_"
                                              "0003.SAFE", processingLevel=None),
     "line 3: productType: an L0 IW_RAW__0S needs the attribute productConsolidation (SLICE for a slice, FULL, "
     "START, END or PARTIAL for a segment)"),
    (s1_line(3, platform="B"), "line 3: name: 'S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054003_069693_0003"
                               ".SAFE' does not start with S1B (mission and platform)"),
    (s1_line(1, id=str(uuid.UUID(int=3, version=4))),
     "line 3: name: 'S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054001_069691_0001.SAFE' is already in the "
     "catalog (operational)"),
    (s1_line(3, id=s1_line(2)["id"]), f"line 3: id: a product with id {s1_line(2)['id']} is already in the catalog"),
], ids=["bad-json", "nan", "not-an-object", "missing-key", "bad-date", "naive-date", "stop-before-start",
        "bad-geometry", "3d-position", "point", "latitude-95", "line-of-an-area-product", "footprint-of-an-aux-file",
        "bad-integer", "bad-datetime-attribute",
        "list-mission", "list-attributes", "bad-checksum", "negative-length", "unknown-key", "level-mismatch",
        "l0-without-consolidation", "platform-mismatch", "name-of-an-earlier-batch", "id-of-an-earlier-batch"])
def test_a_malformed_line_is_reported_with_its_number_and_field_and_its_batch_is_not_written(bad, message):
    # given batches of two lines, the bad one third: the first batch is valid
    lines = ndjson(s1_line(1), s1_line(2), bad, s1_line(4))
    # when
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=lines, batch_size=2)
    # then
    assert str(error.value) == message
    assert (error.value.line, error.value.batch_first_line, error.value.loaded) == (3, 3, 2)
    assert sorted(Product.objects.values_list("name", flat=True)) == [s1_line(1)["name"], s1_line(2)["name"]]
    assert ProductAttribute.objects.count() == 2 * 16


@pytest.mark.django_db
@pytest.mark.parametrize("duplicate, message", [
    (s1_line(5, name=s1_line(3)["name"]), f"line 4: name: {s1_line(3)['name']!r} is a duplicate of line 3"),
    (s1_line(5, id=s1_line(3)["id"]), f"line 4: id: {s1_line(3)['id']!r} is a duplicate of line 3"),
], ids=["name", "id"])
def test_a_duplicate_inside_a_batch_names_both_lines(duplicate, message):
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=ndjson(s1_line(1), s1_line(2), s1_line(3), duplicate), batch_size=2)
    assert str(error.value) == message
    assert (error.value.batch_first_line, error.value.loaded) == (3, 2)
    assert Product.objects.count() == 2


@pytest.mark.django_db
def test_a_product_already_in_the_catalog_is_reported_with_its_line():
    factories.product(name=s1_line(2)["name"])
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=ndjson(s1_line(1), s1_line(2)))
    assert str(error.value) == (f"line 2: name: {s1_line(2)['name']!r} is already in the catalog (operational)")
    assert Product.objects.count() == 1


@pytest.mark.django_db
def test_an_id_already_in_the_catalog_is_reported_with_its_line():
    products_load(lines=ndjson(s1_line(1)))
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=ndjson(s1_line(2), s1_line(3, id=s1_line(1)["id"])))
    assert str(error.value) == f"line 2: id: a product with id {s1_line(1)['id']} is already in the catalog"
    assert Product.objects.count() == 1


@pytest.mark.django_db
def test_skip_existing_resumes_a_load_and_still_refuses_a_real_clash():
    products_load(lines=ndjson(s1_line(1), s1_line(2)))
    report = products_load(lines=ndjson(s1_line(1), s1_line(2), s1_line(3)), skip_existing=True)
    assert (report.products, report.skipped) == (1, 2)
    assert Product.objects.count() == 3
    clash = s1_line(4, name=s1_line(1)["name"])  # another id under a loaded name
    with pytest.raises(BulkLoadError, match=r"^line 1: name: .* is already in the catalog with id "):
        products_load(lines=ndjson(clash), skip_existing=True)


@pytest.mark.django_db
def test_atomic_writes_nothing_when_a_later_batch_fails():
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=ndjson(s1_line(1), s1_line(2), s1_line(3, start="never")), batch_size=1, atomic=True)
    assert error.value.loaded == 0
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_the_command_reports_the_line_and_what_was_kept(tmp_path):
    path = tmp_path / "products.ndjson"
    path.write_bytes(b"".join(ndjson(s1_line(1), "", s1_line(3), s1_line(4, start="never"))))
    with pytest.raises(CommandError) as error:
        call_command("catalog", "load", str(path), "--batch-size", "2")
    assert str(error.value) == (
        "line 4: start: 'never' is not an ISO 8601 date-time; nothing of the batch from line 4 was written, 2 "
        "products of earlier batches are loaded (fix the line, then load again with --skip-existing)")
    out = io.StringIO()
    path.write_bytes(b"".join(ndjson(s1_line(1), s1_line(3), s1_line(4))))
    call_command("catalog", "load", str(path), "--skip-existing", stdout=out)
    assert re.fullmatch(r"loaded 1 products \(16 attributes, 2 skipped, 0 events\) in [\d.]+ s: [\d,]+ products/s\n",
                        out.getvalue())


@pytest.mark.django_db
def test_the_command_exits_non_zero_with_the_message_on_stderr(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text('{"id": 1}\n')
    result = subprocess.run(
        [sys.executable, "manage.py", "catalog", "load", str(path)], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": worker_database_url()}, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "CommandError: line 1: name: missing; nothing of the batch from line 1 was written, 0 products of earlier "
        "batches are loaded (fix the line, then load again with --skip-existing)")
    missing = subprocess.run([sys.executable, "manage.py", "catalog", "load", str(tmp_path / "none.ndjson")],
                             cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "DATABASE_URL": worker_database_url()}, timeout=120)
    assert missing.returncode == 1
    assert "cannot read" in missing.stderr and "No such file or directory" in missing.stderr


# --- the footprint fast path equals footprints.footprint_normalise -------------------------------------------------

# small integer grids make collinear, touching and crossing rings; the offsets put them across ±180° and at the poles
coordinate = st.one_of(st.integers(-3, 3).map(float), st.floats(-3, 3, allow_nan=False).map(lambda x: round(x, 3)))


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=st.lists(st.tuples(coordinate, coordinate), min_size=3, max_size=9),
       dx=st.sampled_from([0.0, 0.0, 178.5, -178.5]), dy=st.sampled_from([0.0, 0.0, 88.0, -88.0]))
def test_the_footprint_fast_path_gives_the_same_geometry_as_footprint_normalise(points, dx, dy):
    ring = [[x + dx, max(-90.0, min(90.0, y + dy))] for x, y in points]
    geojson = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    try:
        expected = footprint_normalise(GEOSGeometry(json.dumps(geojson), srid=4326))
    except (InvalidFootprint, GEOSException) as exc:  # refused: the loader refuses it too, with a message
        with pytest.raises(Exception, match=re.escape(str(exc)) if isinstance(exc, InvalidFootprint) else None):
            footprint_hexewkb(geojson)
        return
    assert GEOSGeometry(footprint_hexewkb(geojson)).ewkb == expected.ewkb


# --- the benchmark generator --------------------------------------------------------------------------------------

T = r"\d{8}T\d{6}"
NAME_PATTERNS = [  # naming-and-metadata.md §2
    re.compile(r"^(?P<mission>S1)(?P<satellite>[A-D])_(?P<mode>IW|EW|WV)_(?P<type>RAW|SLC|GRD|OCN)(?P<resolution>[FHM_])_"
               r"(?P<level>[0-2])(?P<klass>[SACN])(?P<polarisation>SH|SV|DH|DV)_"
               rf"({T})_({T})_(\d{{6}})_([0-9A-F]{{6}})_([0-9A-F]{{4}})\.SAFE$"),
    re.compile(r"^(?P<mission>S2)(?P<satellite>[A-D])_MSI(?P<level>L1C|L2A)_"
               rf"({T})_N(\d{{4}})_R(\d{{3}})_T(\d{{2}}[A-Z]{{3}})_({T})\.SAFE$"),
    re.compile(r"^(?P<mission>S2)(?P<satellite>[A-D])_OPER_MSI_L0__GR_SGS__"
               rf"({T})_S({T})_D(0[1-9]|1[0-2])_N\d{{2}}\.\d{{2}}$"),
    re.compile(r"^(?P<mission>S3)(?P<satellite>[A-D])_(?P<source>OL|SL|SR)_(?P<level>[12])_(?P<datatype>[A-Z0-9_]{6})_"
               rf"({T})_({T})_({T})_(\d{{4}}_\d{{3}}_\d{{3}}_(\d{{4}}|____))_(PS1|PS2|LN3|MAR)_O_(NR|ST|NT)_"
               r"(\d{3})\.SEN3$"),
]


def generated(count: int, seed: int) -> list[str]:
    result = subprocess.run([sys.executable, str(GENERATOR), "--count", str(count), "--seed", str(seed)],
                            capture_output=True, text=True, check=True, timeout=300)
    return result.stdout.splitlines()


def test_the_generator_is_deterministic_and_writes_identifiable_unique_names():
    lines = generated(3000, seed=7)
    assert generated(300, seed=7) == generated(300, seed=7)
    products = [json.loads(line) for line in lines]
    names = [p["name"] for p in products]
    assert len(names) == 3000 and len(set(names)) == 3000 and max(map(len, names)) <= 255
    for product in products:
        match = next((m for p in NAME_PATTERNS if (m := p.match(product["name"]))), None)
        assert match is not None, product["name"]
        assert (match["mission"], match["satellite"]) == (product["mission"], product["platform"])
        assert product["attributes"]["productType"] == product["productType"]
    types = {p["productType"] for p in products}
    assert {"IW_GRDH_1S", "IW_SLC__1S", "IW_RAW__0S", "EW_GRDM_1S", "WV_OCN__2S", "S2MSI1C", "S2MSI2A", "MSI_L0__GR",
            "OL_1_EFR___", "SL_2_LST___", "SR_2_WAT___"} <= types


@pytest.mark.django_db
def test_the_generated_catalogue_loads_with_crossers_polar_frames_and_nadir_lines():
    lines = generated(3000, seed=7)
    report = products_load(lines=[line.encode() for line in lines], batch_size=1000)
    assert (report.products, report.skipped) == (3000, 0)
    assert Product.objects.count() == 3000
    split = Product.objects.raw("SELECT id FROM catalog_product WHERE ST_NumGeometries(footprint) = 2 "
                                "AND ST_XMin(footprint) = -180 AND ST_XMax(footprint) = 180")
    assert len(list(split)) > 10
    assert Product.objects.filter(footprint__isnull=False).extra(where=["ST_YMax(footprint) > 80"]).exists()
    assert Product.objects.extra(where=["GeometryType(footprint) = 'LINESTRING'"]).count() > 0
    assert Product.objects.filter(publication_date__isnull=True).count() == 0


# --- indexes set aside during a large load --------------------------------------------------------------------------


def _catalog_indexes_and_constraints() -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename IN "
                       "('catalog_product', 'catalog_productattribute') ORDER BY 2")
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint WHERE conrelid IN "
                       "('catalog_product'::regclass, 'catalog_productattribute'::regclass) ORDER BY 1")
        return indexes + cursor.fetchall()


@pytest.mark.django_db
def test_deferred_indexes_are_rebuilt_identical_after_a_load_and_after_a_failed_one():
    before = _catalog_indexes_and_constraints()
    assert any(row[1] == "attr_double" for row in before) and any(row[0] == "attribute_unique_name" for row in before)
    report = products_load(lines=ndjson(s1_line(1), s1_line(2), s3_crossing_line()), defer_indexes=True, batch_size=2)
    assert report.products == 3 and report.index_seconds > 0
    assert _catalog_indexes_and_constraints() == before
    assert Product.objects.get(name=s1_line(2)["name"]).cloud_cover == 12.0
    # a failing load (a duplicate) restores them too, and keeps the batches before the bad one
    with pytest.raises(BulkLoadError, match="line 3: name"):
        products_load(lines=ndjson(s1_line(3), s1_line(4), s1_line(1, id=str(uuid.uuid4()))), defer_indexes=True,
                      batch_size=2)
    assert _catalog_indexes_and_constraints() == before
    assert Product.objects.count() == 5


# --- parser processes and the two-connection index rebuild ------------------------------------------------------


@pytest.mark.django_db
def test_parser_processes_write_what_one_thread_writes():
    lines = ndjson(s1_line(1), s1_line(2), s3_crossing_line(), s1_line(4, footprint=None), s1_line(5))
    report = products_load(lines=lines, batch_size=2, workers=2, chunk_lines=1)
    assert (report.lines, report.products, report.attributes) == (5, 5, 4 * 16 + 3)
    by_processes = {p.name: snapshot(p) for p in Product.objects.all()}
    Product.objects.all().delete()
    products_load(lines=lines, batch_size=2, workers=0)
    assert {p.name: snapshot(p) for p in Product.objects.all()} == by_processes


@pytest.mark.django_db
def test_with_parser_processes_the_first_bad_line_in_file_order_is_reported_after_the_batches_before_it():
    # chunks of one line on two processes: the later bad line may be parsed first, the earlier one is reported
    lines = ndjson(s1_line(1), s1_line(2), s1_line(3), s1_line(4), "", s1_line(6, start="never"), "[1]")
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=lines, batch_size=3, workers=2, chunk_lines=1)
    assert str(error.value) == "line 6: start: 'never' is not an ISO 8601 date-time"
    assert (error.value.line, error.value.batch_first_line, error.value.loaded) == (6, 4, 3)
    assert Product.objects.count() == 3


@pytest.mark.django_db
def test_with_parser_processes_a_duplicate_in_another_chunk_of_the_batch_names_both_lines():
    lines = ndjson(s1_line(1), s1_line(2), s1_line(3, name=s1_line(1)["name"]))
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=lines, batch_size=3, workers=2, chunk_lines=1)
    assert str(error.value) == f"line 3: name: {s1_line(1)['name']!r} is a duplicate of line 1"
    assert Product.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("workers", [0, 2])
def test_a_text_not_encodable_as_utf8_is_reported_with_its_line(workers):
    lines = ndjson(s1_line(1), s1_line(2, attributes={"myNote": "\udc80"}), s1_line(3))
    with pytest.raises(BulkLoadError) as error:
        products_load(lines=lines, batch_size=2, workers=workers, chunk_lines=1)
    assert str(error.value) == "line 2: text: not encodable as UTF-8 (lone surrogate)"
    assert (error.value.batch_first_line, error.value.loaded) == (1, 0)
    assert Product.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_deferred_indexes_are_built_on_two_connections_and_come_back_identical():
    before = _catalog_indexes_and_constraints()
    report = products_load(lines=ndjson(s1_line(1), s1_line(2), s3_crossing_line()), defer_indexes=True,
                           batch_size=2, workers=2, chunk_lines=1)
    assert report.products == 3 and report.index_seconds > 0
    assert _catalog_indexes_and_constraints() == before
    assert ProductAttribute.objects.filter(name="orbitNumber", value_integer=54172).count() == 2
