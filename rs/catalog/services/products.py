"""Products: registration (one or a batch), publication, updates, assets, holds."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.gis.geos import GEOSGeometry
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rs.catalog.attribute_registry import attribute_type_of_value
from rs.catalog.choices import (
    OPERATIONAL_SCOPE,
    AssetType,
    AttributeType,
    EventKind,
    ProductionType,
)
from rs.catalog.eviction_dates import eviction_date_of, eviction_dates_of
from rs.catalog.footprints import InvalidFootprint, footprint_normalise, footprint_shape_check
from rs.catalog.models import (
    Hold,
    Product,
    ProductAsset,
    ProductAttribute,
    ProductInput,
)
from rs.catalog.services.events import _events_emit_batch, event_emit
from rs.errors import Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255

class ProductAlreadyExists(Conflict):
    code = "product_exists"


class ProductNotFound(NotFound):
    code = "product_not_found"


class InvalidProduct(DomainError):
    code = "invalid_product"


class AssetNotFound(NotFound):
    code = "asset_not_found"


@dataclass(frozen=True)
class Checksums:
    md5: str
    blake3: str
    computed_at: datetime


@dataclass(frozen=True)
class ProductMetadata:
    """What identification and extraction know about a product, before it is catalogued."""

    mission: str
    platform: str
    family: str
    product_type: str
    level: str
    mode: str = ""
    instrument_configuration_id: int | None = None
    timeliness: str = ""
    content_start: datetime | None = None
    content_end: datetime | None = None
    validity_start: datetime | None = None
    validity_stop: datetime | None = None
    generation_date: datetime | None = None
    footprint: GEOSGeometry | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)


# --- products ---------------------------------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidProduct(f"product name must have 1 to {MAX_NAME_LENGTH} characters")
    if "/" in name or "\\" in name or "\x00" in name or name in {".", ".."}:
        raise InvalidProduct(f"product name {name!r} contains a path separator or NUL")


_VALUE_COLUMNS: dict[str, str] = {
    AttributeType.STRING: "value_string", AttributeType.INTEGER: "value_integer",
    AttributeType.DOUBLE: "value_double", AttributeType.BOOLEAN: "value_boolean",
    AttributeType.DATETIME: "value_datetime",
}
_ATTRIBUTE_INSERT_COLUMNS = ("product_id", "name", "value_type", *_VALUE_COLUMNS.values())
_VALUE_POSITIONS = {value_type: 3 + index for index, value_type in enumerate(_VALUE_COLUMNS)}
# One statement per batch, its columns as arrays: no model instance per row, and a short statement for the server
# to parse whatever the number of rows. Texts go as text[] so that the insert itself checks their column's length,
# as an INSERT of the values would (a cast to varchar(n)[] would cut them silently).
_ATTRIBUTE_ARRAY_TYPES = ("uuid[]", "text[]", "text[]", "text[]", "bigint[]", "double precision[]", "boolean[]",
                          "timestamptz[]")
_ATTRIBUTE_INSERT_SQL = (  # names of the model's own table and columns
    f"INSERT INTO {ProductAttribute._meta.db_table} ({', '.join(_ATTRIBUTE_INSERT_COLUMNS)}) "  # noqa: S608
    f"SELECT * FROM unnest({', '.join(f'%s::{t}' for t in _ATTRIBUTE_ARRAY_TYPES)})"
)

AttributeValue = tuple[str, str, object]  # name, value type, the value as its column stores it


def _attribute_values(attributes: Mapping[str, object]) -> list[AttributeValue]:
    """The checked (name, type, value) of each attribute with a value; InvalidProduct for a value its type refuses."""
    values: list[AttributeValue] = []
    for name, value in attributes.items():
        if value is None:
            continue
        value_type = attribute_type_of_value(name, value)
        try:
            if value_type == AttributeType.STRING:
                value = str(value)
            elif value_type == AttributeType.INTEGER:
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise TypeError
                value = int(value)  # type: ignore[call-overload]
            elif value_type == AttributeType.DOUBLE:
                if isinstance(value, bool):
                    raise TypeError
                value = float(value)  # type: ignore[arg-type]
            elif value_type == AttributeType.BOOLEAN:
                if not isinstance(value, bool):
                    raise TypeError
            else:
                if not isinstance(value, datetime) or value.tzinfo is None:
                    raise TypeError
        except (TypeError, ValueError):
            raise InvalidProduct(f"attribute {name}: {value!r} is not a valid {value_type} value") from None
        values.append((name, value_type, value))
    return values


def _attributes_insert(rows: Sequence[tuple[uuid.UUID, list[AttributeValue]]]) -> None:
    """Insert the attribute rows of one product or a batch (product id, its checked values): the only write of new
    attribute rows."""
    if connection.vendor != "postgresql":
        ProductAttribute.objects.bulk_create([
            ProductAttribute(product_id=product_id, name=name, value_type=value_type,
                             **{_VALUE_COLUMNS[value_type]: value})
            for product_id, values in rows for name, value_type, value in values
        ])
        return
    columns: list[list[object]] = [[] for _ in _ATTRIBUTE_INSERT_COLUMNS]
    for product_id, values in rows:
        for name, value_type, value in values:
            columns[0].append(product_id)
            columns[1].append(name)
            columns[2].append(str(value_type))
            position = _VALUE_POSITIONS[value_type]
            for index in range(3, len(columns)):
                columns[index].append(value if index == position else None)
    if not columns[0]:
        return
    with connection.cursor() as cursor:
        cursor.execute(_ATTRIBUTE_INSERT_SQL, columns)


def _attributes_with_product_type(attributes: Mapping[str, object], product_type: str) -> dict[str, object]:
    """The attributes with productType equal to the product_type column: filters on productType compile onto the
    column, so the attribute may neither differ from it nor be missing."""
    given = attributes.get("productType")
    if given is not None and given != product_type:
        raise InvalidProduct(f"attribute productType {given!r} differs from the product type {product_type!r}")
    return {**attributes, "productType": product_type} if product_type else dict(attributes)


def _cloud_cover_of(value: object) -> float | None:
    """The cloud_cover column of a cloudCover attribute value (None: no attribute); the value is checked as the
    Double attribute row is."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidProduct(f"attribute cloudCover: {value!r} is not a valid Double value")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidProduct(f"attribute cloudCover: {value!r} is not a valid Double value") from None


def _footprint_checked(
    footprint: GEOSGeometry | None, *, mission: str, family: str, product_type: str, level: str
) -> GEOSGeometry | None:
    """The stored form of a product's footprint, or InvalidProduct (the catalogue's refusal, which ingestion
    quarantines and production fails the output on) when it is malformed or not a shape this product may carry."""
    try:  # the shape as given (the caller's words in the refusal), then its stored form
        footprint_shape_check(footprint, mission=mission, family=family, product_type=product_type, level=level)
        return footprint_normalise(footprint) if footprint is not None else None
    except InvalidFootprint as exc:
        raise InvalidProduct(f"footprint: {exc}") from None


def _product_build(
    *,
    name: str,
    metadata: ProductMetadata,
    content_length: int,
    storage_key: str,
    checksums: Checksums | None,
    origin_date: datetime | None,
    scope: str,
    production_type: str,
    content_type: str,
    job_id: int | None,
    publish: bool,
    product_id: uuid.UUID | None,
    eviction_date: datetime | None = None,
    policy_dates_later: bool = False,
) -> Product:
    """The unsaved, validated row of a new product (InvalidProduct when it cannot be catalogued). A published
    product's EvictionDate comes from the retention policies (set by the caller for a whole batch when
    `policy_dates_later`); `eviction_date` is for one that is not (a campaign output, evicted by the same eviction
    run)."""
    _check_name(name)
    if content_length < 0:
        raise InvalidProduct("content length cannot be negative")
    if publish and scope != OPERATIONAL_SCOPE:
        raise InvalidProduct("only operational products can be published")
    if metadata.content_start and metadata.content_end and metadata.content_end < metadata.content_start:
        raise InvalidProduct("sensing stop is before sensing start")
    attributes = _attributes_with_product_type(metadata.attributes, metadata.product_type)
    footprint = _footprint_checked(metadata.footprint, mission=metadata.mission, family=metadata.family,
                                   product_type=metadata.product_type, level=metadata.level)
    now = timezone.now()
    product = Product(
        id=product_id or uuid.uuid4(),
        name=name,
        scope=scope,
        mission=metadata.mission,
        platform=metadata.platform,
        family=metadata.family,
        product_type=metadata.product_type,
        level=metadata.level,
        mode=metadata.mode,
        instrument_configuration_id=metadata.instrument_configuration_id,
        timeliness=metadata.timeliness,
        production_type=production_type,
        content_type=content_type,
        content_length=content_length,
        storage_key=storage_key,
        online=bool(storage_key),
        origin_date=origin_date,
        generation_date=metadata.generation_date,
        publication_date=now if publish else None,
        content_start=metadata.content_start,
        content_end=metadata.content_end,
        validity_start=metadata.validity_start,
        validity_stop=metadata.validity_stop,
        md5=checksums.md5 if checksums else "",
        md5_date=checksums.computed_at if checksums and checksums.md5 else None,
        blake3=checksums.blake3 if checksums else "",
        blake3_date=checksums.computed_at if checksums and checksums.blake3 else None,
        footprint=footprint,
        cloud_cover=_cloud_cover_of(attributes.get("cloudCover")),
        job_id=job_id,
    )
    if not publish:
        product.eviction_date = eviction_date
    elif not policy_dates_later:
        product.eviction_date = eviction_date_of(product)
    product.full_clean(exclude=["footprint", "inputs"], validate_unique=False, validate_constraints=False)
    return product


@transaction.atomic
def product_register(
    *,
    name: str,
    metadata: ProductMetadata,
    content_length: int,
    storage_key: str = "",
    checksums: Checksums | None = None,
    origin_date: datetime | None = None,
    scope: str = OPERATIONAL_SCOPE,
    production_type: str = ProductionType.SYSTEMATIC,
    content_type: str = "application/octet-stream",
    inputs: Sequence[uuid.UUID] = (),
    job_id: int | None = None,
    publish: bool = False,
    product_id: uuid.UUID | None = None,
    trace_id: uuid.UUID | None = None,
    eviction_date: datetime | None = None,
) -> Product:
    """Create the catalogue entry of a stored (or metadata-only) product and emit `created` (and `published`).
    `eviction_date`: see `_product_build`."""
    product = _product_build(
        name=name, metadata=metadata, content_length=content_length, storage_key=storage_key, checksums=checksums,
        origin_date=origin_date, scope=scope, production_type=production_type, content_type=content_type,
        job_id=job_id, publish=publish, product_id=product_id, eviction_date=eviction_date,
    )
    attributes = _attributes_with_product_type(metadata.attributes, metadata.product_type)
    try:
        with transaction.atomic():  # savepoint: a duplicate leaves the caller's transaction usable
            product.save(force_insert=True)
    except IntegrityError:
        if Product.objects.filter(scope=scope, name=name).exists():
            raise ProductAlreadyExists(f"product {name!r} is already in the catalog ({scope})") from None
        raise
    _attributes_insert([(product.id, _attribute_values(attributes))])
    if inputs:
        found = set(Product.objects.filter(id__in=inputs).values_list("id", flat=True))
        missing = [str(i) for i in inputs if i not in found]
        if missing:
            raise InvalidProduct(f"input products not in the catalog: {', '.join(missing)}")
        ProductInput.objects.bulk_create([ProductInput(output=product, input_id=i) for i in dict.fromkeys(inputs)])
    trace = trace_id or uuid.uuid4()
    event_emit(kind=EventKind.CREATED, product_id=product.id, trace_id=trace, payload=_event_payload(product))
    if publish:
        event_emit(kind=EventKind.PUBLISHED, product_id=product.id, trace_id=trace, payload=_event_payload(product))
    return product


@dataclass(frozen=True)
class NewAsset:
    """An asset stored with a product and catalogued in the same transaction (a quicklook)."""

    name: str
    storage_key: str
    content_type: str
    content_length: int
    md5: str = ""
    type: str = AssetType.QUICKLOOK


@dataclass(frozen=True)
class ProductRegistration:
    """One stored product of a batch registration (see `products_register`)."""

    name: str
    metadata: ProductMetadata
    content_length: int
    storage_key: str
    checksums: Checksums | None = None
    origin_date: datetime | None = None
    publish: bool = False
    product_id: uuid.UUID | None = None
    assets: Sequence[NewAsset] = ()


@transaction.atomic
def products_register(*, registrations: Sequence[ProductRegistration]) -> list[Product]:
    """Catalogue a batch of stored operational products with their assets: one bulk insert per table and one
    `created` (and `published`) event per product, their deliveries sent per consumer and chunk on commit.

    All or nothing: InvalidProduct for a product that cannot be catalogued, ProductAlreadyExists when a name is
    taken; the caller then registers the products one by one to tell them apart. Assets are part of the
    registration, so they emit no `modified` event of their own.
    """
    products = []
    attributes: list[tuple[uuid.UUID, list[AttributeValue]]] = []
    for item in registrations:
        try:
            product = _product_build(
                name=item.name, metadata=item.metadata, content_length=item.content_length,
                storage_key=item.storage_key, checksums=item.checksums, origin_date=item.origin_date,
                scope=OPERATIONAL_SCOPE, production_type=ProductionType.SYSTEMATIC,
                content_type="application/octet-stream", job_id=None, publish=item.publish,
                product_id=item.product_id, policy_dates_later=True,
            )
            attributes.append((product.id, _attribute_values(
                _attributes_with_product_type(item.metadata.attributes, item.metadata.product_type))))
        except InvalidProduct as exc:
            raise InvalidProduct(f"{item.name}: {exc}") from None
        for asset in item.assets:
            _check_name(asset.name)
        products.append(product)
    if not products:
        return []
    published = [product for product, item in zip(products, registrations, strict=True) if item.publish]
    for product, eviction_date in zip(published, eviction_dates_of(published), strict=True):
        product.eviction_date = eviction_date
    try:
        with transaction.atomic():  # savepoint: a duplicate leaves the caller's transaction usable
            Product.objects.bulk_create(products)
    except IntegrityError:
        taken = list(Product.objects.filter(scope=OPERATIONAL_SCOPE, name__in=[p.name for p in products])
                     .values_list("name", flat=True))
        if taken:
            raise ProductAlreadyExists(f"already in the catalog: {', '.join(sorted(taken))}") from None
        raise
    _attributes_insert(attributes)
    ProductAsset.objects.bulk_create([
        ProductAsset(product=product, type=a.type, name=a.name, storage_key=a.storage_key,
                     content_type=a.content_type, content_length=a.content_length, md5=a.md5)
        for product, item in zip(products, registrations, strict=True) for a in item.assets
    ])
    events = []
    for product, item in zip(products, registrations, strict=True):
        trace = uuid.uuid4()
        events.append((EventKind.CREATED, product.id, trace, _event_payload(product)))
        if item.publish:
            events.append((EventKind.PUBLISHED, product.id, trace, _event_payload(product)))
    _events_emit_batch(events)
    return products


def _event_payload(product: Product) -> dict[str, object]:
    return {
        "name": product.name,
        "mission": product.mission,
        "family": product.family,
        "product_type": product.product_type,
        "scope": product.scope,
    }


def _locked(product_id: uuid.UUID) -> Product:
    try:
        return Product.objects.select_for_update().get(pk=product_id)
    except Product.DoesNotExist:
        raise ProductNotFound(f"no product {product_id}") from None


@transaction.atomic
def product_publish(*, product_id: uuid.UUID, at: datetime | None = None, trace_id: uuid.UUID | None = None) -> Product:
    """Make a product visible to PRIP and STAC; publishing twice changes nothing and emits nothing."""
    product = _locked(product_id)
    if product.scope != OPERATIONAL_SCOPE:
        raise InvalidProduct(f"product {product.name} belongs to {product.scope!r}: only operational products publish")
    if product.publication_date is not None:
        return product
    product.publication_date = at or timezone.now()
    product.eviction_date = eviction_date_of(product)
    product.save(update_fields=["publication_date", "eviction_date", "modification_date"])
    event_emit(kind=EventKind.PUBLISHED, product_id=product.id, trace_id=trace_id, payload=_event_payload(product))
    return product


UPDATABLE_FIELDS = frozenset({"eviction_date", "online", "origin_date", "timeliness", "production_type"})


def _attributes_replace(product: Product, attributes: Mapping[str, object]) -> None:
    """Set or replace attributes of a locked product by name (None removes one), each value checked against the
    attribute registry as at registration, before anything is written; the cloudCover attribute also sets the
    product's cloud_cover column, which the caller saves. The one path of attribute changes."""
    if attributes.get("productType", product.product_type) != product.product_type:
        raise InvalidProduct(f"attribute productType {attributes['productType']!r} differs from the product type "
                             f"{product.product_type!r}, which cannot change")
    values = _attribute_values(attributes)
    if "cloudCover" in attributes:
        product.cloud_cover = _cloud_cover_of(attributes["cloudCover"])
    ProductAttribute.objects.filter(product=product, name__in=list(attributes)).delete()
    _attributes_insert([(product.id, values)])


@transaction.atomic
def product_update(
    *,
    product_id: uuid.UUID,
    changes: Mapping[str, object] | None = None,
    attributes: Mapping[str, object] | None = None,
    footprint: GEOSGeometry | None = None,
    trace_id: uuid.UUID | None = None,
) -> Product:
    """Change properties, attributes (set or replace by name; None removes) or the footprint; emits `modified`."""
    product = _locked(product_id)
    changes = dict(changes or {})
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidProduct(f"cannot update {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(product, name, value)
    if footprint is not None:
        product.footprint = _footprint_checked(footprint, mission=product.mission, family=product.family,
                                               product_type=product.product_type, level=product.level)
    if attributes:
        _attributes_replace(product, attributes)
    product.save()
    fields = sorted([*changes, *(["footprint"] if footprint is not None else []), *(attributes or {})])
    event_emit(
        kind=EventKind.MODIFIED, product_id=product.id, trace_id=trace_id,
        payload={**_event_payload(product), "changed": fields},
    )
    return product


@transaction.atomic
def product_attributes_set(
    *, product_id: uuid.UUID, attributes: Mapping[str, object], trace_id: uuid.UUID | None = None
) -> Product:
    """Set or replace attributes of a product by name (None removes one), typed by the attribute registry as at
    registration; emits `modified` naming them. InvalidProduct for a value its type refuses, a productType that
    differs from the product's, or no attribute at all."""
    if not attributes:
        raise InvalidProduct("no attributes to set")
    product = _locked(product_id)
    _attributes_replace(product, attributes)
    product.save(update_fields=["cloud_cover", "modification_date"])
    event_emit(
        kind=EventKind.MODIFIED, product_id=product.id, trace_id=trace_id,
        payload={**_event_payload(product), "changed": sorted(attributes)},
    )
    return product


@transaction.atomic
def asset_add(
    *,
    product_id: uuid.UUID,
    type: str = AssetType.QUICKLOOK,
    name: str,
    storage_key: str,
    content_type: str,
    content_length: int,
    md5: str = "",
) -> ProductAsset:
    """Catalogue a file the caller stored for a product (a quicklook); emits `modified`."""
    product = _locked(product_id)
    _check_name(name)
    if ProductAsset.objects.filter(product=product, name=name).exists():
        raise Conflict(f"product {product.name} already has an asset {name!r}")
    asset = ProductAsset.objects.create(
        product=product, type=type, name=name, storage_key=storage_key, content_type=content_type,
        content_length=content_length, md5=md5,
    )
    _asset_modified(product, name)
    return asset


@transaction.atomic
def asset_replace(
    *,
    product_id: uuid.UUID,
    type: str = AssetType.QUICKLOOK,
    name: str,
    storage_key: str,
    content_type: str,
    content_length: int,
    md5: str = "",
    trace_id: uuid.UUID | None = None,
) -> ProductAsset:
    """Point a product's asset `name` at a file the caller stored anew; emits `modified`. The previous object is
    deleted once committed, unless the new file was stored under the same key (it replaced the bytes there)."""
    product = _locked(product_id)
    asset = _asset_of(product, name)
    previous_key = asset.storage_key
    asset.type, asset.storage_key, asset.content_type = type, storage_key, content_type
    asset.content_length, asset.md5 = content_length, md5
    asset.save(update_fields=["type", "storage_key", "content_type", "content_length", "md5"])
    _asset_modified(product, name, trace_id=trace_id)
    if previous_key and previous_key != storage_key:
        _asset_object_delete_on_commit(previous_key)
    return asset


@transaction.atomic
def asset_remove(*, product_id: uuid.UUID, name: str, trace_id: uuid.UUID | None = None) -> None:
    """Remove a product's asset `name`: its row now, its stored object once committed; emits `modified`."""
    product = _locked(product_id)
    asset = _asset_of(product, name)
    key = asset.storage_key
    asset.delete()
    _asset_modified(product, name, trace_id=trace_id)
    if key:
        _asset_object_delete_on_commit(key)


def _asset_of(product: Product, name: str) -> ProductAsset:
    asset = ProductAsset.objects.filter(product=product, name=name).first()
    if asset is None:
        raise AssetNotFound(f"product {product.name} has no asset {name!r}")
    return asset


def _asset_modified(product: Product, name: str, *, trace_id: uuid.UUID | None = None) -> None:
    product.save(update_fields=["modification_date"])
    event_emit(
        kind=EventKind.MODIFIED, product_id=product.id, trace_id=trace_id,
        payload={**_event_payload(product), "changed": [f"asset:{name}"]},
    )


def _asset_object_delete_on_commit(key: str) -> None:
    """Delete an asset's object after the commit that dropped its row: a rollback keeps both, and an object a
    failure leaves is an orphan under assets/ that the storage check reports, never a row pointing at nothing."""

    def delete() -> None:
        from rs.catalog.storage import StorageError, object_store

        try:
            object_store().delete(key)
        except StorageError as exc:
            logger.warning("asset object %r was not deleted (%s): the storage check reports it as an orphan", key,
                           exc)

    transaction.on_commit(delete)


# --- holds ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def hold_create(
    *,
    reason: str,
    product_id: uuid.UUID | None = None,
    product_type: str = "",
    order_ref: str = "",
    expires_at: datetime | None = None,
    created_by_id: int | None = None,
) -> Hold:
    """Pin one product, a product type or the products of an order against eviction."""
    targets = [t for t in (product_id, product_type, order_ref) if t]
    if len(targets) != 1:
        raise DomainError("a hold names exactly one of: a product, a product type, an order")
    if not reason.strip():
        raise DomainError("a hold needs a reason")
    if product_id is not None and not Product.objects.filter(pk=product_id).exists():
        raise ProductNotFound(f"no product {product_id}")
    return Hold.objects.create(
        product_id=product_id, product_type=product_type, order_ref=order_ref, reason=reason.strip(),
        expires_at=expires_at, created_by_id=created_by_id,
    )


def hold_release(*, hold_id: int) -> None:
    """Remove a hold. Not wrapped in a transaction: it is one DELETE statement (no rows point at a hold and no
    signal listens to its deletion, so Django deletes it without collecting anything first)."""
    deleted, _ = Hold.objects.filter(pk=hold_id).delete()
    if not deleted:
        raise NotFound(f"no hold {hold_id}")
