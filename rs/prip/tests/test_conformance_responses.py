"""Responses as clients read them (prip-odata.md §2-§4, §6, §7, §12, §14-§16; §20 cases 1-9, 18, 20-26)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import pairwise
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree as ET

import pytest

from rs.catalog import services
from rs.catalog.choices import DeletionCause
from rs.catalog.query.compiler import order_values
from rs.catalog.query.keyset import query_fingerprint, skiptoken_encode
from rs.catalog.query.orderby import parse_orderby
from rs.catalog.query.properties import Entity
from rs.catalog.query.selectors import catalog_entry
from rs.prip.tests import catalog as reference
from rs.prip.tests.catalog import BLAKE3, MD5, VISIBLE, labels_of
from rs.prip.tests.requests import ROOT, get, get_json

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
KEYS = ["@odata.mediaContentType", "Id", "Name", "ContentType", "ContentLength", "OriginDate", "PublicationDate",
        "ModificationDate", "Online", "EvictionDate", "S3Path", "Checksum", "ContentDate", "Footprint",
        "GeoFootprint", "ProductionType"]
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


@pytest.fixture
def bulk(db):
    return reference.bulk(25)


def test_metadata_is_odata_v4_csdl_with_the_csc_schema_first(client):
    response = client.get(f"{ROOT}/$metadata")
    assert (response.status_code, response["Content-Type"]) == (200, "application/xml; charset=utf-8")
    root = ET.fromstring(response.content)  # noqa: S314 - our own document
    assert (root.tag, root.get("Version")) == ("{http://docs.oasis-open.org/odata/ns/edmx}Edmx", "4.0")
    schema = root[0][0]
    assert schema.get("Namespace") == "OData.CSC"
    types = {e.get("Name"): e for e in schema.findall(f"{EDM}EntityType")}
    assert set(types) >= {"Product", "DeletedProduct", "Attribute", "StringAttribute", "IntegerAttribute",
                          "DoubleAttribute", "BooleanAttribute", "DateTimeOffsetAttribute", "Quicklook"}
    assert types["Product"].get("HasStream") == "true"
    assert types["DeletedProduct"].get("BaseType") == "OData.CSC.Product"
    properties = {p.get("Name"): p.get("Type") for p in types["Product"].findall(f"{EDM}Property")}
    assert (properties["Footprint"], properties["GeoFootprint"]) == ("Edm.String", "Edm.Geography")
    navigations = {p.get("Name") for p in types["Product"].findall(f"{EDM}NavigationProperty")}
    assert navigations >= {"Attributes", "StringAttributes", "BooleanAttributes", "Quicklooks"}
    members = [m.get("Name") for m in schema.find(f"{EDM}EnumType").findall(f"{EDM}Member")]
    assert members == ["systematic_production", "on_demand_default", "on_demand_non_default"]
    assert schema.find(f"{EDM}Function").get("Name") == "Intersects"
    assert schema.find(f"{EDM}Action").get("Name") == "FilterList"
    sets = [s.get("Name") for s in schema.find(f"{EDM}EntityContainer").findall(f"{EDM}EntitySet")]
    assert sets == ["Products", "DeletedProducts", "Attributes", "Subscriptions"]


def test_the_service_document_lists_the_entity_sets(client):
    payload = get_json(client, "")
    assert payload == {"@odata.context": "http://testserver/odata/v1/$metadata", "value": [
        {"name": "Products", "kind": "EntitySet", "url": "Products"},
        {"name": "DeletedProducts", "kind": "EntitySet", "url": "DeletedProducts"},
        {"name": "Attributes", "kind": "EntitySet", "url": "Attributes"},
        {"name": "Subscriptions", "kind": "EntitySet", "url": "Subscriptions"},
    ]}


def test_products_default_page_has_20_items_every_key_in_order_and_no_attributes(client, bulk):
    payload = get_json(client, "Products")
    assert list(payload) == ["@odata.context", "value", "@odata.nextLink"]
    assert payload["@odata.context"] == "$metadata#Products"
    assert len(payload["value"]) == 20
    for item in payload["value"]:
        assert list(item) == KEYS
        assert isinstance(item["ContentLength"], int) and isinstance(item["Online"], bool)
        assert isinstance(item["Checksum"], list) and set(item["ContentDate"]) == {"Start", "End"}
        for key in ("PublicationDate", "ModificationDate", "EvictionDate"):
            assert TIMESTAMP.match(item[key]), item[key]
    published = [(i["PublicationDate"], i["Id"]) for i in payload["value"]]
    assert published == sorted(published)


def test_a_page_of_two_links_to_the_next_with_form_encoded_skip_and_token(client, bulk):
    payload = get_json(client, "Products", ("$top", "2"))
    link = payload["@odata.nextLink"]
    assert link.startswith("http://testserver/odata/v1/Products?%24top=2&%24skip=2&%24skiptoken=")
    assert "$" not in link
    second = client.get(link.removeprefix("http://testserver")).json()
    everything = [i["Name"] for i in get_json(client, "Products", ("$top", "100"))["value"]]
    assert [i["Name"] for i in payload["value"] + second["value"]] == everything[:4]
    assert "%24skip=4&" in second["@odata.nextLink"]


def test_top_zero_gives_an_empty_page_with_the_count_and_no_link(client, bulk):
    payload = get_json(client, "Products", ("$top", "0"), ("$count", "true"))
    assert payload == {"@odata.context": "$metadata#Products", "@odata.count": 25, "value": []}


def test_top_1000_returns_everything_without_a_link(client, bulk):
    payload = get_json(client, "Products", ("$top", "1000"))
    assert len(payload["value"]) == 25 and "@odata.nextLink" not in payload


def test_the_last_full_page_has_no_link(client, bulk):
    payload = get_json(client, "Products", ("$top", "5"), ("$skip", "20"))
    assert len(payload["value"]) == 5 and "@odata.nextLink" not in payload


@pytest.mark.parametrize("value", ["true", "True", "1"])
def test_count_true_in_every_spelling_gives_the_total(client, bulk, value):
    payload = get_json(client, "Products", ("$count", value), ("$top", "3"))
    assert list(payload)[:2] == ["@odata.context", "@odata.count"]
    assert payload["@odata.count"] == 25


@pytest.mark.parametrize("params", [[("$count", "false")], [("$count", "False")], [("$count", "0")], []])
def test_count_false_or_absent_gives_no_count(client, bulk, params):
    assert "@odata.count" not in get_json(client, "Products", *params)


def test_the_count_segment_is_plain_text_and_honours_the_filter(client, catalog):
    response = get(client, "Products/$count")
    assert (response.status_code, response["Content-Type"], response.content) == (
        200, "text/plain; charset=utf-8", b"10")
    response = get(client, "Products/$count", ("$filter", "Collection/Name eq 'SENTINEL-2'"))
    assert response.content == b"2"
    counted = get_json(client, "Products", ("$filter", "Collection/Name eq 'SENTINEL-2'"), ("$count", "true"))
    assert counted["@odata.count"] == 2


def test_a_single_product_with_attributes_is_the_bare_cdse_entity(client, catalog):
    p1 = catalog["P1"]
    payload = get_json(client, f"Products({p1.id})", ("$expand", "Attributes"))
    modification = payload.pop("ModificationDate")
    assert TIMESTAMP.match(modification)
    assert payload == {
        "@odata.context": "$metadata#Products(Attributes())/$entity",
        "@odata.mediaContentType": "application/octet-stream",
        "Id": str(p1.id),
        "Name": "S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054172_069690_E33E.SAFE",
        "ContentType": "application/octet-stream",
        "ContentLength": 1000,
        "OriginDate": "2024-06-04T12:12:03.404000Z",
        "PublicationDate": "2024-07-01T01:00:00.000000Z",
        "Online": True,
        "EvictionDate": "9999-12-31T23:59:59.999999Z",
        "S3Path": "products/S1/L1_SLICE/S1A_IW_GRDH_1SDV_20240604T110100_20240604T110131_054172_069690_E33E.SAFE.zip",
        "Checksum": [
            {"Value": MD5, "Algorithm": "MD5", "ChecksumDate": "2024-06-04T12:18:58.614664Z"},
            {"Value": BLAKE3, "Algorithm": "BLAKE3", "ChecksumDate": "2024-06-04T12:18:58.614664Z"},
        ],
        "ContentDate": {"Start": "2024-06-04T11:01:00.494767Z", "End": "2024-06-04T11:01:31.494767Z"},
        "Footprint": "geography'SRID=4326;POLYGON ((113.605408 -29.713636, 116.147186 -29.10652, "
                     "115.581909 -27.285719, 113.080147 -27.882109, 113.605408 -29.713636))'",
        "GeoFootprint": {"type": "Polygon", "coordinates": [[[113.605408, -29.713636], [116.147186, -29.10652],
                                                             [115.581909, -27.285719], [113.080147, -27.882109],
                                                             [113.605408, -29.713636]]]},
        "ProductionType": "systematic_production",
        "Attributes": [
            {"@odata.type": "#OData.CSC.StringAttribute", "Name": "productType", "Value": "IW_GRDH_1S",
             "ValueType": "String"},
            {"@odata.type": "#OData.CSC.StringAttribute", "Name": "platformSerialIdentifier", "Value": "A",
             "ValueType": "String"},
            {"@odata.type": "#OData.CSC.IntegerAttribute", "Name": "relativeOrbitNumber", "Value": 51,
             "ValueType": "Integer"},
            {"@odata.type": "#OData.CSC.IntegerAttribute", "Name": "orbitNumber", "Value": 54172,
             "ValueType": "Integer"},
            {"@odata.type": "#OData.CSC.StringAttribute", "Name": "orbitDirection", "Value": "DESCENDING",
             "ValueType": "String"},
            {"@odata.type": "#OData.CSC.StringAttribute", "Name": "polarisationChannels", "Value": "VV&VH",
             "ValueType": "String"},
            {"@odata.type": "#OData.CSC.BooleanAttribute", "Name": "sliceProductFlag", "Value": True,
             "ValueType": "Boolean"},
            {"@odata.type": "#OData.CSC.DateTimeOffsetAttribute", "Name": "processingDate",
             "Value": "2024-06-04T12:00:00.000000Z", "ValueType": "DateTimeOffset"},
            {"@odata.type": "#OData.CSC.StringAttribute", "Name": "timeliness", "Value": "Fast-24h",
             "ValueType": "String"},
        ],
    }


def test_a_single_product_without_expansion_and_with_a_quoted_key(client, catalog):
    plain = get_json(client, f"Products({catalog['P3'].id})")
    quoted = get_json(client, f"Products('{catalog['P3'].id}')")
    assert plain == quoted
    assert plain["@odata.context"] == "$metadata#Products/$entity"
    assert list(plain)[1:] == KEYS


def test_footprints_are_polygon_multipolygon_linestring_or_null(client, catalog):
    names = "Name in ('{P5.name}','{P8.name}','{P9.name}')".format(**catalog)
    payload = get_json(client, "Products", ("$filter", names), ("$select", "Name,Footprint,GeoFootprint"))
    by_name = {i["Name"]: i for i in payload["value"]}
    assert by_name[catalog["P5"].name]["Footprint"] == \
        "geography'SRID=4326;LINESTRING (108.5909 -62.29, 105.8055 -65.5655)'"
    assert by_name[catalog["P5"].name]["GeoFootprint"] == {"type": "LineString",
                                                          "coordinates": [[108.5909, -62.29], [105.8055, -65.5655]]}
    dateline = by_name[catalog["P8"].name]
    assert dateline["Footprint"].startswith("geography'SRID=4326;MULTIPOLYGON (((")
    assert re.fullmatch(r"geography'SRID=[0-9]+;[A-Z0-9 (),.-]+'", dateline["Footprint"])  # eodag's regex
    assert dateline["GeoFootprint"]["type"] == "MultiPolygon" and len(dateline["GeoFootprint"]["coordinates"]) == 2
    assert (by_name[catalog["P9"].name]["Footprint"], by_name[catalog["P9"].name]["GeoFootprint"]) == (None, None)


def test_a_nadir_line_split_at_the_antimeridian_is_one_multilinestring_found_from_either_side(client, catalog):
    from django.contrib.gis.geos import LineString

    from rs.catalog.choices import ProcessingLevel, ProductFamily

    # given a wave-mode L0 whose nadir line crosses ±180°
    name = "S1A_WV_RAW__0SSV_20240608T120000_20240608T120031_054231_069721_41D6.SAFE"
    product = services.product_register(name=name, publish=True, content_length=10, metadata=services.ProductMetadata(
        mission="S1", platform="A", family=ProductFamily.S1_L0_SLICE, product_type="WV_RAW__0S",
        level=ProcessingLevel.L0, footprint=LineString((178.0, 50.0), (-178.0, 52.0), srid=4326),
        attributes={"productType": "WV_RAW__0S"}))
    # then Footprint is its EWKT (eodag's regex holds) and GeoFootprint its GeoJSON, both parts in order
    item = get_json(client, f"Products({product.id})", ("$select", "Footprint,GeoFootprint"))
    assert item["Footprint"] == "geography'SRID=4326;MULTILINESTRING ((178 50, 180 51),(-180 51, -178 52))'"
    assert re.fullmatch(r"geography'SRID=[0-9]+;[A-Z0-9 (),.-]+'", item["Footprint"])
    assert item["GeoFootprint"] == {"type": "MultiLineString",
                                    "coordinates": [[[178.0, 50.0], [180.0, 51.0]], [[-180.0, 51.0], [-178.0, 52.0]]]}
    # and an Intersects area on either side of ±180° finds it (among the S1 products: P8 lies there too)
    for area in ("POLYGON ((178.5 50, 179.5 50, 179.5 52, 178.5 52, 178.5 50))",
                 "POLYGON ((-179.5 50, -178.5 50, -178.5 52, -179.5 52, -179.5 50))"):
        found = get_json(client, "Products", ("$filter", f"OData.CSC.Intersects(area=geography'SRID=4326;{area}') "
                                                         "and Collection/Name eq 'SENTINEL-1'"))
        assert [i["Name"] for i in found["value"]] == [name]


def test_assets_locations_and_quicklooks_expand_with_absolute_links(client, catalog):
    p6 = catalog["P6"]
    payload = get_json(client, f"Products({p6.id})", ("$expand", "Assets,Locations"), ("$expand", "Quicklooks"))
    asset = p6.assets.get()
    assert payload["@odata.context"] == "$metadata#Products(Assets(),Locations(),Quicklooks())/$entity"
    assert payload["Assets"] == [{"Type": "QUICKLOOK", "Id": str(asset.id),
                                  "DownloadLink": f"http://testserver/odata/v1/Assets({asset.id})/$value",
                                  "S3Path": f"assets/{p6.id}/quick-look.jpg"}]
    assert payload["Locations"] == [{"FormatType": "Extracted",
                                     "DownloadLink": f"http://testserver/odata/v1/Products({p6.id})/$value",
                                     "ContentLength": 6000, "Checksum": [], "S3Path": p6.storage_key}]
    assert payload["Quicklooks"] == [{"Image": "quick-look.jpg"}]
    assert list(payload)[-3:] == ["Assets", "Locations", "Quicklooks"]


def test_navigation_segments_list_attributes_and_quicklooks(client, catalog):
    p6 = catalog["P6"]
    attributes = get_json(client, f"Products({p6.id})/Attributes")
    assert attributes["@odata.context"] == f"$metadata#Products({p6.id})/Attributes"
    assert [a["Name"] for a in attributes["value"]] == ["productType", "cloudCover", "tileId", "spatialResolution",
                                                        "platformSerialIdentifier"]
    quicklooks = get_json(client, f"Products({p6.id})/Quicklooks")
    assert quicklooks["value"] == [{"Image": "quick-look.jpg"}]


def test_typed_attribute_navigations_split_the_attributes_by_type(client, catalog):
    payload = get_json(client, f"Products({catalog['P6'].id})",
                       ("$expand", "StringAttributes,DoubleAttributes,IntegerAttributes,BooleanAttributes,"
                                   "DateTimeOffsetAttributes"))
    assert [a["Name"] for a in payload["StringAttributes"]] == ["productType", "tileId", "platformSerialIdentifier"]
    assert payload["DoubleAttributes"] == [{"@odata.type": "#OData.CSC.DoubleAttribute", "Name": "cloudCover",
                                            "Value": 12.5, "ValueType": "Double"}]
    assert [a["Value"] for a in payload["IntegerAttributes"]] == [10]
    assert payload["BooleanAttributes"] == [] and payload["DateTimeOffsetAttributes"] == []


ORDERABLE = ["ContentDate/Start", "ContentDate/End", "PublicationDate", "ModificationDate", "OriginDate",
             "EvictionDate", "Name", "Id", "ContentLength"]
JSON_KEY = {"ContentDate/Start": lambda i: i["ContentDate"]["Start"],
            "ContentDate/End": lambda i: i["ContentDate"]["End"]}


@pytest.mark.parametrize("direction", ["", " asc", " desc"])
@pytest.mark.parametrize("prop", ORDERABLE)
def test_orderby_is_monotone_with_nulls_last_and_ties_broken_by_id(client, catalog, prop, direction):
    payload = get_json(client, "Products", ("$orderby", prop + direction), ("$top", "100"))
    read = JSON_KEY.get(prop, lambda i, p=prop: i[p])
    rows = [(read(i), i["Id"]) for i in payload["value"]]
    assert len(rows) == len(VISIBLE)
    descending = direction == " desc"
    present = [(v, i) for v, i in rows if v is not None]
    absent = [(v, i) for v, i in rows if v is None]
    expected = sorted(present, key=lambda r: r[0], reverse=descending)
    assert [v for v, _ in present] == [v for v, _ in expected]
    assert rows == (absent + present if descending else present + absent)


def test_ties_of_the_order_key_are_ordered_by_id(client, bulk):
    payload = get_json(client, "Products", ("$orderby", "PublicationDate desc"), ("$top", "100"))
    rows = [(i["PublicationDate"], i["Id"]) for i in payload["value"]]
    assert len({p for p, _ in rows}) == 13  # pairs share their publication instant
    for (date_a, id_a), (date_b, id_b) in pairwise(rows):
        assert date_a > date_b or (date_a == date_b and id_a < id_b)


def test_several_order_keys_apply_in_turn(client, catalog):
    payload = get_json(client, "Products", ("$orderby", "ContentLength desc,Name"), ("$top", "3"))
    assert labels_of(payload, catalog) == {"P12", "P9", "P8"}
    assert [i["ContentLength"] for i in payload["value"]] == [10000, 9000, 8000]


def test_repeated_expand_and_comma_expand_are_the_same(client, catalog):
    repeated = client.get(f"{ROOT}/Products?$expand=Attributes&$expand=Assets&$top=100").json()
    comma = client.get(f"{ROOT}/Products?$expand=Attributes,Assets&$top=100").json()
    assert repeated == comma
    assert repeated["@odata.context"] == "$metadata#Products(Attributes(),Assets())"
    assert all(list(i)[-2:] == ["Attributes", "Assets"] for i in repeated["value"])


@pytest.mark.parametrize("select", ["Name,Id", "Name, Id", "Id,Name"])
def test_select_projects_to_the_chosen_properties(client, catalog, select):
    payload = get_json(client, "Products", ("$select", select), ("$top", "2"))
    assert payload["@odata.context"] == "$metadata#Products(Id,Name)"
    assert all(list(i) == ["@odata.mediaContentType", "Id", "Name"] for i in payload["value"])


def test_select_star_and_select_with_expand(client, catalog):
    star = get_json(client, "Products", ("$select", "*"), ("$top", "1"))
    assert star["@odata.context"] == "$metadata#Products" and list(star["value"][0]) == KEYS
    both = get_json(client, "Products", ("$select", "ContentLength"), ("$expand", "Attributes"), ("$top", "1"))
    assert both["@odata.context"] == "$metadata#Products(Id,ContentLength,Attributes())"
    assert list(both["value"][0]) == ["@odata.mediaContentType", "Id", "ContentLength", "Attributes"]


@pytest.mark.parametrize("option", ["$format=json", "%24format=json",
                                    "$format=application/json;odata.metadata=minimal"])
def test_format_json_is_accepted_on_collection_and_entity(client, catalog, option):
    assert client.get(f"{ROOT}/Products?{option}").status_code == 200
    assert client.get(f"{ROOT}/Products({catalog['P1'].id})?{option}").status_code == 200


def test_attributes_of_a_collection_come_from_the_registry(client):
    s2 = get_json(client, "Attributes(SENTINEL-2)")
    assert {"Name": "cloudCover", "ValueType": "Double"} in s2
    assert {"Name": "tileId", "ValueType": "String"} in s2
    assert get_json(client, "Attributes(sentinel-2)") == get_json(client, "Attributes('SENTINEL-2')") == s2
    every = get_json(client, "Attributes")
    assert list(every) == ["SENTINEL-1", "SENTINEL-2", "SENTINEL-3"] and every["SENTINEL-2"] == s2
    assert {"Name": "sliceProductFlag", "ValueType": "Boolean"} in every["SENTINEL-1"]


@pytest.fixture
def deleted(catalog):
    before = datetime.now(tz=UTC)
    corrupted = services.product_delete(product_id=catalog["P3"].id, cause=DeletionCause.CORRUPTED)
    services.product_evict(product_id=catalog["P4"].id)
    return before, corrupted


def test_deleted_products_carry_deletion_date_and_cause_in_order(client, catalog, deleted):
    before, _ = deleted
    stamp = before.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = get_json(client, "DeletedProducts", ("$filter", f"DeletionDate gt {stamp}"),
                       ("$orderby", "DeletionDate desc"), ("$count", "true"), ("$expand", "Attributes"))
    assert payload["@odata.context"] == "$metadata#DeletedProducts(Attributes())"
    assert payload["@odata.count"] == 2
    assert [i["Name"] for i in payload["value"]] == [catalog["P4"].name, catalog["P3"].name]
    assert [i["DeletionCause"] for i in payload["value"]] == ["Obsolete product or Other", "Corrupted product"]
    item = payload["value"][1]
    assert list(item) == [*KEYS, "DeletionDate", "DeletionCause", "Attributes"]
    assert TIMESTAMP.match(item["DeletionDate"]) and item["Online"] is False
    assert item["Attributes"][0] == {"@odata.type": "#OData.CSC.StringAttribute", "Name": "productType",
                                     "Value": "IW_SLC__1S", "ValueType": "String"}
    assert item["Footprint"].startswith("geography'SRID=4326;POLYGON ((")


def test_deleted_products_filter_on_cause_attributes_and_come_one_by_one(client, catalog, deleted):
    _, corrupted = deleted
    by_cause = get_json(client, "DeletedProducts", ("$filter", "DeletionCause eq 'Corrupted product'"))
    assert [i["Id"] for i in by_cause["value"]] == [str(corrupted.id)]
    by_attribute = get_json(client, "DeletedProducts", ("$filter", "attributes/OData.CSC.StringAttribute/any("
                            "att:att/Name eq 'productType' and att/OData.CSC.StringAttribute/Value eq 'IW_RAW__0S')"))
    assert [i["Name"] for i in by_attribute["value"]] == [catalog["P4"].name]
    one = get_json(client, f"DeletedProducts({corrupted.id})")
    assert one["@odata.context"] == "$metadata#DeletedProducts/$entity" and one["DeletionCause"] == "Corrupted product"
    assert get(client, "DeletedProducts/$count").content == b"2"
    evicted = get_json(client, f"Products({catalog['P4'].id})")
    assert evicted["Online"] is False


def test_filterlist_returns_the_known_names_in_request_order(client, catalog):
    body = {"FilterProducts": [{"Name": catalog["P8"].name}, {"Name": "xxxxxxxx.06.tar"},
                               {"Name": catalog["P1"].name}, {"Name": catalog["P10"].name}]}
    response = client.post(f"{ROOT}/Products/OData.CSC.FilterList?$expand=Attributes", data=body,
                           content_type="application/json")
    payload = response.json()
    assert response.status_code == 200 and payload["@odata.context"] == "$metadata#Products(Attributes())"
    assert [i["Name"] for i in payload["value"]] == [catalog["P8"].name, catalog["P1"].name]
    assert payload["value"][1]["Attributes"][0]["Value"] == "IW_GRDH_1S"


def test_the_prip_name_convention_names_and_filters_the_delivered_file(client, catalog, settings):
    settings.RS_PRIP_NAME_CONVENTION = "prip"
    zipped = catalog["P1"].name + ".zip"
    assert get_json(client, f"Products({catalog['P1'].id})")["Name"] == zipped
    assert [i["Name"] for i in get_json(client, "Products", ("$filter", f"Name eq '{zipped}'"))["value"]] == [zipped]
    assert get_json(client, "Products", ("$filter", f"Name eq '{catalog['P1'].name}'"))["value"] == []
    suffixed = get_json(client, "Products", ("$filter", "endswith(Name,'.SEN3.zip')"))
    assert [i["Name"] for i in suffixed["value"]] == [catalog["P8"].name + ".zip"]
    ordered = get_json(client, "Products", ("$orderby", "Name desc"), ("$top", "2"), ("$select", "Name"))
    assert [i["Name"] for i in ordered["value"]] == sorted((f"{p.name}.zip" for label, p in catalog.items()
                                                            if label in VISIBLE), reverse=True)[:2]
    body = {"FilterProducts": [{"Name": zipped}]}
    listed = client.post(f"{ROOT}/Products/OData.CSC.FilterList", data=body, content_type="application/json")
    assert [i["Name"] for i in listed.json()["value"]] == [zipped]
    walked = get_json(client, "Products", ("$orderby", "Name"), ("$top", "4"))
    following = client.get(walked["@odata.nextLink"].removeprefix("http://testserver")).json()
    assert [i["Name"] for i in walked["value"] + following["value"]][:8] == sorted(
        f"{p.name}.zip" for label, p in catalog.items() if label in VISIBLE)[:8]


def _token(skip_offset: int, product, top: int = 1) -> str:
    order = parse_orderby(None, entity=Entity.PRODUCTS)
    fingerprint = query_fingerprint(entity=Entity.PRODUCTS, filter=None, order=order, convention="cdse")
    entry = catalog_entry(entity=Entity.PRODUCTS, entry_id=product.id)
    assert entry is not None
    values = order_values(entry, order, entity=Entity.PRODUCTS, convention="cdse")
    return skiptoken_encode(fingerprint=fingerprint, values=values, offset=skip_offset)


@pytest.mark.parametrize(("offset", "skip_in_link"), [(9998, "%24skip=9999&"), (9999, "%24skip=10000&"),
                                                     (10000, None)])
def test_beyond_10000_the_link_carries_only_the_skiptoken(client, catalog, offset, skip_in_link):
    first = catalog["P1"]
    payload = get_json(client, "Products", ("$top", "1"), ("$skip", "3"), ("$skiptoken", _token(offset, first)))
    assert payload["value"][0]["Name"] == catalog["P2"].name  # the token, not $skip, decides where the page starts
    link = payload["@odata.nextLink"]
    query = parse_qsl(urlsplit(link).query)
    assert [name for name, _ in query] == (["$top", "$skip", "$skiptoken"] if skip_in_link else ["$top", "$skiptoken"])
    if skip_in_link:
        assert skip_in_link in link


def test_skip_10000_is_accepted_and_ends_the_walk(client, catalog):
    payload = get_json(client, "Products", ("$skip", "10000"), ("$top", "1"))
    assert payload == {"@odata.context": "$metadata#Products", "value": []}
