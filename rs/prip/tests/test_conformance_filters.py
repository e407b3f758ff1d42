"""$filter conformance (prip-odata.md §5, §20 cases 10-17): each filter returns exactly the expected products of
the reference catalog (rs/prip/tests/catalog.py)."""

from __future__ import annotations

import pytest

from rs.prip.tests.catalog import VISIBLE, labels_of
from rs.prip.tests.requests import get_json

pytestmark = pytest.mark.django_db

S1 = {"P1", "P2", "P3", "P4", "P5", "P9", "P12"}
ITALY = {"P3", "P6", "P7"}
WITH_FOOTPRINT = set(VISIBLE) - {"P9"}
STRING_ATTR = ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq '{name}' and "
               "att/OData.CSC.StringAttribute/Value {cond})")


def intersects(wkt: str, form: str = "area=") -> str:
    return f"OData.CSC.Intersects({form}geography'SRID=4326;{wkt}')"


ITALY_CCW = "POLYGON ((10.0 45.0, 11.0 45.0, 11.0 46.0, 10.0 46.0, 10.0 45.0))"
ITALY_CW = "POLYGON ((10.0000 45.0000, 10.0000 46.0000, 11.0000 46.0000, 11.0000 45.0000, 10.0000 45.0000))"

CASES = [
    # names, text functions, boolean structure
    ("Name eq '{P1.name}'", {"P1"}),
    ("Name eq 'S1A_IW_GRDH_1SDV_O''BRIEN_TEST.SAFE'", {"P12"}),
    ("Name eq 'S1A_IW_GRDH_1SDV_UNPUBLISHED.SAFE'", set()),
    ("startswith(Name,'S1B')", {"P2"}),
    ("contains(Name,'_SLC_')", {"P3"}),
    ("endswith(Name,'.SEN3')", {"P8"}),
    ("contains(Name,'_slc_')", set()),
    ("startswith(Name,'S1A') and not contains(Name,'WV_RAW__0')", {"P1", "P3", "P4", "P9", "P12"}),
    ("(startswith(Name,'S1B') or startswith(Name,'S2B')) and ContentLength gt 1000", {"P2", "P7"}),
    ("startswith(Name,'S1B') or startswith(Name,'S2') and ContentLength gt 6500", {"P2", "P7"}),
    ("not startswith(Name,'S1') and not startswith(Name,'S2')", {"P8"}),
    ("not (startswith(Name,'S1') or startswith(Name,'S2'))", {"P8"}),
    ("contains(Name,'GRD') eq false and startswith(Name,'S1')", {"P3", "P4", "P5", "P9"}),
    ("Name in ('{P2.name}', '{P8.name}', 'NOPE')", {"P2", "P8"}),
    ("Name ne '{P1.name}' and startswith(Name,'S1A_IW')", {"P3", "P4", "P12"}),
    ("true", set(VISIBLE)),
    ("not true", set()),
    # collections
    ("Collection/Name eq 'SENTINEL-2'", {"P6", "P7"}),
    ("Collection/Name eq 'sentinel-2'", {"P6", "P7"}),
    ("Collection/Name eq 'Sentinel-2'", {"P6", "P7"}),
    ("not (Collection/Name eq 'SENTINEL-1')", {"P6", "P7", "P8"}),
    ("Collection/Name in ('SENTINEL-2','sentinel-3')", {"P6", "P7", "P8"}),
    ("Collection/Name eq 'SENTINEL-5P'", set()),
    ("Collection/Name ne 'SENTINEL-1'", {"P6", "P7", "P8"}),
    # dates: every literal form of one instant, and the boundaries
    ("ContentDate/Start ge 2024-06-04T11:01:00.494767Z and ContentDate/Start lt 2024-06-05", {"P1"}),
    ("ContentDate/Start gt 2024-06-04T11:01:00.494767Z and ContentDate/Start lt 2024-06-05", set()),
    ("ContentDate/Start le 2024-06-04T11:01:00.494767Z", {"P1"}),
    ("ContentDate/Start lt 2024-06-04T11:01:00.494767Z", set()),
    ("ContentDate/Start eq 2024-06-04T11:01:00.494767999Z", {"P1"}),
    ("ContentDate/Start eq 2024-06-04T13:01:00.494767+02:00", {"P1"}),
    ("ContentDate/Start eq 2024-06-04T07:01:00.494767-04:00", {"P1"}),
    ("ContentDate/Start eq 2024-06-04T11:01:00.494767", {"P1"}),
    ("ContentDate/Start ge 2024-06-04 and ContentDate/Start lt 2024-06-05", {"P1"}),
    ("ContentDate/Start ge 2024-06-04T11:01 and ContentDate/Start lt 2024-06-04T11:02Z", {"P1"}),
    ("ContentDate/Start gt 2024-06-04T11:01:00Z and ContentDate/Start lt 2024-06-04T11:01:00.5", {"P1"}),
    ("2024-06-10T00:00:00Z lt ContentDate/Start", {"P7", "P8", "P12"}),
    ("ContentDate/Start lt 2024-06-06T10:00:10.000Z and ContentDate/End gt 2024-06-06T10:00:05.000Z", {"P3"}),
    ("ContentDate/End ge 2024-06-11", {"P8", "P12"}),
    ("ContentDate/Start eq null", {"P9"}),
    ("PublicationDate gt 2024-07-01T08:30:00Z", {"P9", "P12"}),
    ("PublicationDate ge 2024-07-01T01:00:00.000Z and PublicationDate le 2024-07-01T02:00:00.000Z", {"P1", "P2"}),
    ("OriginDate ne null", {"P1"}),
    ("OriginDate eq 2024-06-04T12:12:03.404Z", {"P1"}),
    ("EvictionDate eq 9999-12-31T23:59:59.999999Z", set(VISIBLE)),
    ("EvictionDate lt 2030-01-01", set()),
    ("EvictionDate ne null", set(VISIBLE)),
    ("ModificationDate gt 2000-01-01", set(VISIBLE)),
    # numbers, booleans, enums, ids, paths
    ("ContentLength ge 9000", {"P9", "P12"}),
    ("ContentLength eq 2.5", set()),
    ("ContentLength gt 8999.5", {"P9", "P12"}),
    ("ContentLength in (1000, 3000, 2.5)", {"P1", "P3"}),
    ("Online eq true", set(VISIBLE)),
    ("Online eq false", set()),
    ("ProductionType eq OData.CSC.ProductionType'on_demand_default'", {"P9"}),
    ("ProductionType eq OData.CSC.ProductionType'on-demand non-default'", {"P7"}),
    ("ProductionType ne OData.CSC.ProductionType'systematic_production'", {"P7", "P9"}),
    ("ProductionType in ('on_demand_default', 'on-demand non-default')", {"P7", "P9"}),
    ("Id eq {P3.id}", {"P3"}),
    ("Id eq '{P3.id}'", {"P3"}),
    ("Id in ({P3.id}, {P6.id})", {"P3", "P6"}),
    ("Id eq {P10.id}", set()),
    ("contains(Id,'{P3.id}')", {"P3"}),
    ("S3Path eq 'products/S1/L1_SLICE/{P1.name}.zip'", {"P1"}),
    ("ContentType eq 'application/octet-stream' and startswith(Name,'S2')", {"P6", "P7"}),
    # attribute lambdas of the five types
    (STRING_ATTR.format(name="productType", cond="eq 'S2MSI1C'"), {"P6"}),
    ("Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and "
     "att/OData.CSC.DoubleAttribute/Value le 40.00)", {"P6", "P8"}),
    ("Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
     "att/OData.CSC.IntegerAttribute/Value eq 51)", {"P1", "P3", "P4"}),
    ("Attributes/OData.CSC.DateTimeOffsetAttribute/any(att:att/Name eq 'processingDate' and "
     "att/OData.CSC.DateTimeOffsetAttribute/Value gt 2024-06-05T00:00:00Z)", {"P2", "P3"}),
    ("Attributes/OData.CSC.BooleanAttribute/any(att:att/Name eq 'sliceProductFlag' and "
     "att/OData.CSC.BooleanAttribute/Value eq true)", {"P1"}),
    (STRING_ATTR.format(name="productType", cond="in ('IW_RAW__0S','WV_RAW__0S','IW_RAW__0A')"), {"P4", "P5"}),
    (STRING_ATTR.format(name="polarisationChannels", cond="eq 'VV&VH'"), {"P1", "P3"}),
    ("attributes/OData.CSC.StringAttribute/any(a:a/Name eq 'tileId' and a/OData.CSC.StringAttribute/Value eq "
     "'T32TQM')", {"P6", "P7"}),
    (STRING_ATTR.format(name="someUnknownName", cond="eq 'x'"), set()),
    ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
     "contains(att/OData.CSC.StringAttribute/Value,'GRD'))", {"P1", "P2", "P12"}),
    ("Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'spatialResolution' and "
     "att/OData.CSC.StringAttribute/Value eq '10')", {"P6", "P7"}),
    (STRING_ATTR.format(name="productType", cond="eq 'S2MSI2A'") + " or Attributes/OData.CSC.IntegerAttribute/"
     "any(att:att/Name eq 'relativeOrbitNumber' and att/OData.CSC.IntegerAttribute/Value eq 12)", {"P2", "P7"}),
    ("Attributes/OData.CSC.DoubleAttribute/any(att:att/Name eq 'cloudCover' and att/OData.CSC.DoubleAttribute/Value "
     "ge 0.0 and att/OData.CSC.DoubleAttribute/Value le 30.0)", {"P6"}),
    ("Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'orbitDirection' and "
     "not (att/OData.CSC.StringAttribute/Value eq 'ASCENDING'))", {"P1"}),
    ("Attributes/OData.CSC.StringAttribute/any(x:x/Name eq 'orbitDirection')", {"P1", "P2"}),
    ("not Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'productType' and "
     "startswith(att/OData.CSC.StringAttribute/Value,'S'))", {"P1", "P2", "P3", "P4", "P5", "P8", "P9", "P12"}),
    # eodag's S1 product-type aliases (§5.6)
    ("Collection/Name eq 'SENTINEL-1' and " + STRING_ATTR.format(name="productType", cond="eq 'GRD'"),
     {"P1", "P2", "P12"}),
    (STRING_ATTR.format(name="productType", cond="eq 'SLC'"), {"P3"}),
    (STRING_ATTR.format(name="productType", cond="in ('RAW')"), {"P4", "P5"}),
    (STRING_ATTR.format(name="productType", cond="eq 'IW_GRDH_1S'"), {"P1", "P12"}),
    (STRING_ATTR.format(name="productType", cond="eq 'OCN'"), set()),
    # Intersects (§5.4)
    (intersects(ITALY_CCW), ITALY),
    (intersects(ITALY_CW), ITALY),
    (intersects("POINT(10.5 45.5)"), ITALY),
    (intersects("POINT(115 -28.5)"), {"P1", "P12"}),
    (intersects("Polygon((10 45,11 45,11 46,10 46,10 45))"), ITALY),
    (intersects(ITALY_CW, "location=Footprint,area="), ITALY),
    ("OData.CSC.Intersects(geo_property=Footprint,geo_shape=geography'SRID=4326;" + ITALY_CCW + "')", ITALY),
    (intersects("MULTIPOLYGON (((177.5 50, 180 50, 180 53, 177.5 53, 177.5 50)),"
                "((-180 50, -174.5 50, -174.5 53, -180 53, -180 50)))"), {"P8"}),
    (intersects("POLYGON ((177.5 50, 185.5 50, 185.5 53, 177.5 53, 177.5 50))"), {"P8"}),
    (intersects("POLYGON ((177.5 50, -174.5 50, -174.5 53, 177.5 53, 177.5 50))"), {"P8"}),
    (intersects("POLYGON ((179.5 51, 179.9 51, 179.9 52, 179.5 52, 179.5 51))"), {"P8"}),
    (intersects("POLYGON ((0 50, 1 50, 1 53, 0 53, 0 50))"), set()),
    (intersects("LINESTRING (105.5 -63.5, 108.5 -64.5)"), {"P5"}),
    (intersects("LINESTRING (100 -63.5, 101 -64.5)"), set()),
    ("Collection/Name eq 'SENTINEL-1' and " + intersects(ITALY_CCW), {"P3"}),
    ("OData.CSC.Disjoints(area=geography'SRID=4326;" + ITALY_CCW + "')", WITH_FOOTPRINT - ITALY),
    ("geo.intersects(Footprint,geography'SRID=4326;" + ITALY_CCW + "')", ITALY),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:90] for c in CASES])
def test_the_filter_returns_exactly_the_expected_products(client, catalog, text, expected):
    filter_text = text.format(**catalog)
    payload = get_json(client, "Products", ("$filter", filter_text), ("$top", "1000"))
    assert labels_of(payload, catalog) == expected


def test_the_three_cast_spellings_of_eodag_return_the_same_products(client, catalog):
    spellings = [
        "Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.StringAttribute/Value eq 51)",
        "Attributes/OData.CSC.IntegerAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.StringAttribute/Value eq '51')",
        "Attributes/OData.CSC.StringAttribute/any(att:att/Name eq 'relativeOrbitNumber' and "
        "att/OData.CSC.IntegerAttribute/Value eq '51')",
    ]
    results = [labels_of(get_json(client, "Products", ("$filter", s)), catalog) for s in spellings]
    assert results == [{"P1", "P3", "P4"}] * 3


def test_a_comparison_is_the_same_whichever_side_the_literal_is_on(client, catalog):
    left = get_json(client, "Products", ("$filter", "2024-06-07T10:00:00Z le ContentDate/Start"))
    right = get_json(client, "Products", ("$filter", "ContentDate/Start ge 2024-06-07T10:00:00Z"))
    assert labels_of(left, catalog) == labels_of(right, catalog) == {"P4", "P5", "P6", "P7", "P8", "P12"}
