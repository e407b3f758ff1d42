"""$metadata: the OData v4 CSDL of the service (prip-odata.md §3). The first schema is OData.CSC (DRB picks its
dialect from it). Footprint is declared Edm.String because its JSON is the EWKT string."""

from __future__ import annotations

import functools
from xml.etree import ElementTree as ET

from rs.catalog.choices import AttributeType, ProductionType

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
NS = "OData.CSC"
Properties = tuple[tuple[str, str, dict[str, str]], ...]

_PRODUCT: Properties = (
    ("Id", "Edm.Guid", {"Nullable": "false"}),
    ("Name", "Edm.String", {}),
    ("ContentType", "Edm.String", {}),
    ("ContentLength", "Edm.Int64", {}),
    ("OriginDate", "Edm.DateTimeOffset", {"Precision": "6"}),
    ("PublicationDate", "Edm.DateTimeOffset", {"Precision": "6"}),
    ("ModificationDate", "Edm.DateTimeOffset", {"Precision": "6"}),
    ("Online", "Edm.Boolean", {}),
    ("EvictionDate", "Edm.DateTimeOffset", {"Precision": "6"}),
    ("S3Path", "Edm.String", {}),
    ("Checksum", f"Collection({NS}.Checksum)", {}),
    ("ContentDate", f"{NS}.TimeRange", {}),
    ("Footprint", "Edm.String", {}),
    ("GeoFootprint", "Edm.Geography", {"SRID": "4326"}),
    ("ProductionType", f"{NS}.ProductionType", {}),
    ("Collection", f"{NS}.Collection", {}),
    ("Assets", f"Collection({NS}.Asset)", {}),
    ("Locations", f"Collection({NS}.Location)", {}),
)
_COMPLEX: dict[str, Properties] = {
    "Checksum": (("Value", "Edm.String", {"Nullable": "false"}), ("Algorithm", "Edm.String", {"Nullable": "false"}),
                 ("ChecksumDate", "Edm.DateTimeOffset", {"Precision": "6"})),
    "TimeRange": (("Start", "Edm.DateTimeOffset", {"Precision": "6", "Nullable": "false"}),
                  ("End", "Edm.DateTimeOffset", {"Precision": "6", "Nullable": "false"})),
    "Collection": (("Name", "Edm.String", {}),),
    "Asset": (("Type", "Edm.String", {}), ("Id", "Edm.Guid", {}), ("DownloadLink", "Edm.String", {}),
              ("S3Path", "Edm.String", {})),
    "Location": (("FormatType", "Edm.String", {}), ("DownloadLink", "Edm.String", {}),
                 ("ContentLength", "Edm.Int64", {}), ("Checksum", f"Collection({NS}.Checksum)", {}),
                 ("S3Path", "Edm.String", {})),
    "FilterProduct": (("Name", "Edm.String", {"Nullable": "false"}),),
}
_VALUE_TYPES = {AttributeType.STRING: "Edm.String", AttributeType.INTEGER: "Edm.Int64",
                AttributeType.DOUBLE: "Edm.Double", AttributeType.BOOLEAN: "Edm.Boolean",
                AttributeType.DATETIME: "Edm.DateTimeOffset"}
_SUBSCRIPTION: Properties = (
    ("Id", "Edm.Guid", {"Nullable": "false"}), ("FilterParam", "Edm.String", {}), ("StageOrder", "Edm.Boolean", {}),
    ("Priority", "Edm.Int32", {}), ("Status", "Edm.String", {}), ("SubscriptionEvent", "Collection(Edm.String)", {}),
    ("SubmissionDate", "Edm.DateTimeOffset", {"Precision": "6"}),
    ("LastNotificationDate", "Edm.DateTimeOffset", {"Precision": "6"}), ("NotificationEndpoint", "Edm.String", {}),
)
_NOTIFICATION: Properties = (
    ("AckId", "Edm.String", {"Nullable": "false"}), ("SubscriptionEvent", "Edm.String", {}),
    ("ProductId", "Edm.Guid", {}), ("ProductName", "Edm.String", {}), ("SubscriptionId", "Edm.Guid", {}),
    ("NotificationDate", "Edm.DateTimeOffset", {"Precision": "6"}),
)


def _properties(parent: ET.Element, properties: Properties) -> None:
    for name, edm_type, extra in properties:
        ET.SubElement(parent, "Property", {"Name": name, "Type": edm_type, **extra})


def _entity(schema: ET.Element, name: str, key: str | None, **attributes: str) -> ET.Element:
    entity = ET.SubElement(schema, "EntityType", {"Name": name, **attributes})
    if key is not None:
        ET.SubElement(ET.SubElement(entity, "Key"), "PropertyRef", {"Name": key})
    return entity


def _schema() -> ET.Element:
    schema = ET.Element("Schema", {"xmlns": EDM, "Namespace": NS})
    enum = ET.SubElement(schema, "EnumType", {"Name": "ProductionType", "UnderlyingType": "Edm.Int32"})
    for index, member in enumerate(ProductionType.values):
        ET.SubElement(enum, "Member", {"Name": member, "Value": str(index)})
    for name, properties in _COMPLEX.items():
        _properties(ET.SubElement(schema, "ComplexType", {"Name": name}), properties)

    product = _entity(schema, "Product", "Id", HasStream="true")
    _properties(product, _PRODUCT)
    navigations = {"Attributes": "Attribute", **{f"{t}Attributes": f"{t}Attribute" for t in AttributeType.values},
                   "Quicklooks": "Quicklook"}
    for name, target in navigations.items():
        ET.SubElement(product, "NavigationProperty", {"Name": name, "Type": f"Collection({NS}.{target})"})
    deleted = _entity(schema, "DeletedProduct", None, BaseType=f"{NS}.Product")
    _properties(deleted, (("DeletionDate", "Edm.DateTimeOffset", {"Precision": "6"}),
                          ("DeletionCause", "Edm.String", {})))
    attribute = _entity(schema, "Attribute", "Name", Abstract="true")
    _properties(attribute, (("Name", "Edm.String", {"Nullable": "false"}), ("ValueType", "Edm.String", {})))
    for value_type, edm_type in _VALUE_TYPES.items():
        typed = _entity(schema, f"{value_type}Attribute", None, BaseType=f"{NS}.Attribute")
        _properties(typed, (("Value", edm_type, {}),))
    quicklook = _entity(schema, "Quicklook", "Image", HasStream="true")
    _properties(quicklook, (("Image", "Edm.String", {"Nullable": "false"}),))
    _properties(_entity(schema, "Subscription", "Id"), _SUBSCRIPTION)
    _properties(_entity(schema, "Notification", "AckId"), _NOTIFICATION)

    for name in ("Intersects", "Within", "Disjoints"):
        function = ET.SubElement(schema, "Function", {"Name": name})
        ET.SubElement(function, "Parameter", {"Name": "area", "Type": "Edm.Geography", "Nullable": "false"})
        ET.SubElement(function, "ReturnType", {"Type": "Edm.Boolean"})
    action = ET.SubElement(schema, "Action", {"Name": "FilterList", "IsBound": "true"})
    ET.SubElement(action, "Parameter", {"Name": "Products", "Type": f"Collection({NS}.Product)"})
    ET.SubElement(action, "Parameter", {"Name": "FilterProducts", "Type": f"Collection({NS}.FilterProduct)"})
    ET.SubElement(action, "ReturnType", {"Type": f"Collection({NS}.Product)"})

    container = ET.SubElement(schema, "EntityContainer", {"Name": "Container"})
    for name, entity_type in (("Products", "Product"), ("DeletedProducts", "DeletedProduct"),
                              ("Attributes", "Attribute"), ("Subscriptions", "Subscription")):
        ET.SubElement(container, "EntitySet", {"Name": name, "EntityType": f"{NS}.{entity_type}"})
    return schema


@functools.cache
def metadata_document() -> bytes:
    root = ET.Element("edmx:Edmx", {"xmlns:edmx": EDMX, "Version": "4.0"})
    ET.SubElement(root, "edmx:DataServices").append(_schema())
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
