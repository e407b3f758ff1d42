"""Every write to the catalog. Keyword-only, atomic, and each change emits its catalog event in the same transaction.

Other apps call these functions; they never save catalog models themselves.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from rs.catalog import selectors
from rs.catalog.attribute_registry import attribute_type_of_value
from rs.catalog.choices import (
    OPERATIONAL_SCOPE,
    AssetType,
    AttributeType,
    DeletionCause,
    EventKind,
    ProductionType,
)
from rs.catalog.events import EventConsumer, consumer_get, consumers_for
from rs.catalog.eviction_dates import eviction_date_of
from rs.catalog.footprints import footprint_normalise
from rs.catalog.models import (
    CatalogEvent,
    DeletedProduct,
    EventDelivery,
    Hold,
    Product,
    ProductAsset,
    ProductAttribute,
    ProductInput,
)
from rs.errors import Conflict, DomainError, NotFound

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
DELIVERY_CHUNK = 500  # events per delivery message when a batch (eviction) emits many at once


class ProductAlreadyExists(Conflict):
    code = "product_exists"


class ProductNotFound(NotFound):
    code = "product_not_found"


class InvalidProduct(DomainError):
    code = "invalid_product"


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


# --- events -----------------------------------------------------------------------------------------------------------


def event_emit(
    *, kind: str, product_id: uuid.UUID, trace_id: uuid.UUID | None = None, payload: Mapping[str, object] | None = None
) -> CatalogEvent:
    """Write an outbox event and its pending deliveries; the deliveries are enqueued once the transaction commits."""
    consumers = consumers_for(kind)
    event = CatalogEvent.objects.create(
        kind=kind,
        product_id=product_id,
        trace_id=trace_id or uuid.uuid4(),
        payload=dict(payload or {}),
        dispatched_at=None if consumers else timezone.now(),
    )
    EventDelivery.objects.bulk_create([EventDelivery(event=event, consumer=c.name) for c in consumers])
    if consumers:
        transaction.on_commit(lambda: _deliveries_enqueue(event.pk, [c.name for c in consumers]))
    return event


def _deliveries_enqueue(event_id: int, consumer_names: Iterable[str]) -> None:
    from rs.catalog.tasks import event_deliver_task

    for name in consumer_names:
        consumer = consumer_get(name)
        if consumer is None:
            continue
        try:
            event_deliver_task.apply_async(args=(event_id, name), queue=consumer.queue)
        except Exception:  # broker down: the periodic re-dispatch sends it later; the row is the truth
            logger.warning("could not enqueue event %s for %s; it will be re-dispatched", event_id, name, exc_info=True)


def _deliveries_enqueue_many(event_ids: Sequence[int], consumers: Iterable[EventConsumer]) -> None:
    from rs.catalog.tasks import events_deliver_task

    for consumer in consumers:
        for start in range(0, len(event_ids), DELIVERY_CHUNK):
            chunk = list(event_ids[start:start + DELIVERY_CHUNK])
            try:
                events_deliver_task.apply_async(args=(chunk, consumer.name), queue=consumer.queue)
            except Exception:  # broker down: the periodic re-dispatch sends them later
                logger.warning("could not enqueue %d events for %s; they will be re-dispatched", len(chunk),
                               consumer.name, exc_info=True)


def events_deliver(*, event_ids: Sequence[int], consumer_name: str) -> int:
    """Deliver a chunk of events to one consumer, each in its own transaction; a failing one is left pending (its
    error recorded) for the re-dispatch and does not stop the others. Returns how many were delivered."""
    delivered = 0
    for event_id in event_ids:
        try:
            delivered += event_deliver(event_id=event_id, consumer_name=consumer_name)
        except Exception:
            logger.warning("event %s for %s failed; left for re-dispatch", event_id, consumer_name, exc_info=True)
    return delivered


def event_deliver(*, event_id: int, consumer_name: str) -> bool:
    """Run one consumer on one event, exactly once: returns False when there was nothing left to do."""
    consumer = consumer_get(consumer_name)
    if consumer is None:
        logger.error("event %s: no consumer named %r in this process", event_id, consumer_name)
        return False
    try:
        with transaction.atomic():
            # Lock the delivery row only ("self"): locking the joined event row too would make the other
            # consumers of the same event skip it while this one runs, and wait for the re-dispatch.
            delivery = (
                EventDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event")
                .filter(event_id=event_id, consumer=consumer_name, delivered_at__isnull=True)
                .first()
            )
            if delivery is None:  # already delivered, or another worker is delivering it right now
                return False
            consumer.handler(delivery.event)
            now = timezone.now()
            EventDelivery.objects.filter(pk=delivery.pk).update(
                delivered_at=now, attempts=delivery.attempts + 1, last_error=""
            )
            if not EventDelivery.objects.filter(event_id=event_id, delivered_at__isnull=True).exists():
                CatalogEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(dispatched_at=now)
    except Exception as exc:
        EventDelivery.objects.filter(event_id=event_id, consumer=consumer_name, delivered_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return True


def events_redispatch(*, older_than_s: int | None = None, limit: int = 500) -> int:
    """Re-enqueue deliveries whose on-commit send was lost (broker down, process killed). Returns how many."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s if older_than_s is not None
                                                 else settings.RS_EVENT_REDISPATCH_AFTER_S)
    sent = 0
    events = CatalogEvent.objects.filter(dispatched_at__isnull=True, created_at__lt=cutoff).order_by("created_at")
    for event in events[:limit]:
        pending = list(
            EventDelivery.objects.filter(event=event, delivered_at__isnull=True).values_list("consumer", "attempts")
        )
        if not pending:
            CatalogEvent.objects.filter(pk=event.pk, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
            continue
        retryable = [name for name, attempts in pending if attempts < settings.RS_EVENT_MAX_ATTEMPTS]
        _deliveries_enqueue(event.pk, retryable)
        sent += len(retryable)
    return sent


def events_purge(*, older_than_days: int | None = None) -> int:
    """Delete fully dispatched events older than the retention (their deliveries go with them)."""
    days = settings.RS_EVENT_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    _, per_model = CatalogEvent.objects.filter(dispatched_at__lt=cutoff).delete()
    return per_model.get(CatalogEvent._meta.label, 0)


def delivery_retry(*, delivery_id: int) -> None:
    """Operator action: give a delivery that exhausted its attempts a fresh start."""
    with transaction.atomic():
        updated = EventDelivery.objects.filter(pk=delivery_id, delivered_at__isnull=True).update(attempts=0)
        if not updated:
            raise NotFound(f"no pending delivery {delivery_id}")
        delivery = EventDelivery.objects.get(pk=delivery_id)
        transaction.on_commit(lambda: _deliveries_enqueue(delivery.event_id, [delivery.consumer]))


# --- products ---------------------------------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidProduct(f"product name must have 1 to {MAX_NAME_LENGTH} characters")
    if "/" in name or "\\" in name or "\x00" in name or name in {".", ".."}:
        raise InvalidProduct(f"product name {name!r} contains a path separator or NUL")


def _attribute_rows(product: Product, attributes: Mapping[str, object]) -> list[ProductAttribute]:
    rows = []
    for name, value in attributes.items():
        if value is None:
            continue
        value_type = attribute_type_of_value(name, value)
        row = ProductAttribute(product=product, name=name, value_type=value_type)
        try:
            if value_type == AttributeType.STRING:
                row.value_string = str(value)
            elif value_type == AttributeType.INTEGER:
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise TypeError
                row.value_integer = int(value)  # type: ignore[call-overload]
            elif value_type == AttributeType.DOUBLE:
                if isinstance(value, bool):
                    raise TypeError
                row.value_double = float(value)  # type: ignore[arg-type]
            elif value_type == AttributeType.BOOLEAN:
                if not isinstance(value, bool):
                    raise TypeError
                row.value_boolean = value
            else:
                if not isinstance(value, datetime) or value.tzinfo is None:
                    raise TypeError
                row.value_datetime = value
        except (TypeError, ValueError):
            raise InvalidProduct(f"attribute {name}: {value!r} is not a valid {value_type} value") from None
        rows.append(row)
    return rows


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
) -> Product:
    """The unsaved, validated row of a new product (InvalidProduct when it cannot be catalogued). A published
    product's EvictionDate comes from the retention policies; `eviction_date` is for one that is not (a campaign
    output, evicted by the same eviction run)."""
    _check_name(name)
    if content_length < 0:
        raise InvalidProduct("content length cannot be negative")
    if publish and scope != OPERATIONAL_SCOPE:
        raise InvalidProduct("only operational products can be published")
    if metadata.content_start and metadata.content_end and metadata.content_end < metadata.content_start:
        raise InvalidProduct("sensing stop is before sensing start")
    attributes = _attributes_with_product_type(metadata.attributes, metadata.product_type)
    footprint = footprint_normalise(metadata.footprint) if metadata.footprint is not None else None
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
    product.eviction_date = eviction_date_of(product) if publish else eviction_date
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
    ProductAttribute.objects.bulk_create(_attribute_rows(product, attributes))
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
    attributes: list[ProductAttribute] = []
    for item in registrations:
        try:
            product = _product_build(
                name=item.name, metadata=item.metadata, content_length=item.content_length,
                storage_key=item.storage_key, checksums=item.checksums, origin_date=item.origin_date,
                scope=OPERATIONAL_SCOPE, production_type=ProductionType.SYSTEMATIC,
                content_type="application/octet-stream", job_id=None, publish=item.publish,
                product_id=item.product_id,
            )
            attributes += _attribute_rows(
                product, _attributes_with_product_type(item.metadata.attributes, item.metadata.product_type))
        except InvalidProduct as exc:
            raise InvalidProduct(f"{item.name}: {exc}") from None
        for asset in item.assets:
            _check_name(asset.name)
        products.append(product)
    if not products:
        return []
    try:
        with transaction.atomic():  # savepoint: a duplicate leaves the caller's transaction usable
            Product.objects.bulk_create(products)
    except IntegrityError:
        taken = list(Product.objects.filter(scope=OPERATIONAL_SCOPE, name__in=[p.name for p in products])
                     .values_list("name", flat=True))
        if taken:
            raise ProductAlreadyExists(f"already in the catalog: {', '.join(sorted(taken))}") from None
        raise
    ProductAttribute.objects.bulk_create(attributes)
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
        product.footprint = footprint_normalise(footprint)
    if attributes and attributes.get("productType", product.product_type) != product.product_type:
        raise InvalidProduct(f"attribute productType {attributes['productType']!r} differs from the product type "
                             f"{product.product_type!r}, which cannot change")
    if attributes and "cloudCover" in attributes:
        product.cloud_cover = _cloud_cover_of(attributes["cloudCover"])
    product.save()
    if attributes:
        ProductAttribute.objects.filter(product=product, name__in=list(attributes)).delete()
        ProductAttribute.objects.bulk_create(_attribute_rows(product, attributes))
    fields = sorted([*changes, *(["footprint"] if footprint is not None else []), *(attributes or {})])
    event_emit(
        kind=EventKind.MODIFIED, product_id=product.id, trace_id=trace_id,
        payload={**_event_payload(product), "changed": fields},
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
    product = _locked(product_id)
    _check_name(name)
    if ProductAsset.objects.filter(product=product, name=name).exists():
        raise Conflict(f"product {product.name} already has an asset {name!r}")
    asset = ProductAsset.objects.create(
        product=product, type=type, name=name, storage_key=storage_key, content_type=content_type,
        content_length=content_length, md5=md5,
    )
    product.save(update_fields=["modification_date"])
    event_emit(
        kind=EventKind.MODIFIED, product_id=product.id,
        payload={**_event_payload(product), "changed": [f"asset:{name}"]},
    )
    return asset


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _deleted_product_record(product: Product, *, cause: str, at: datetime) -> DeletedProduct:
    DeletedProduct.objects.filter(id=product.id).delete()  # a product evicted and later deleted keeps one record
    record = _deleted_product_row(product, cause=cause, at=at)
    record.save(force_insert=True)
    return record


def _stored_objects_delete(product: Product, *, with_assets: bool) -> None:
    """Delete the bytes first: a crash after this and before the catalog commit is repaired by the next run, because
    the product is still online and deleting a missing object is a no-op."""
    from rs.catalog.storage import object_store

    store = object_store()
    if product.storage_key:
        store.delete(product.storage_key)
    if with_assets:
        for key in product.assets.values_list("storage_key", flat=True):
            store.delete(key)


def _removal_target(*, product_id: uuid.UUID, cause: str) -> Product:
    if cause not in DeletionCause.values:
        raise InvalidProduct(f"unknown deletion cause {cause!r}")
    try:
        return Product.objects.get(pk=product_id)
    except Product.DoesNotExist:
        raise ProductNotFound(f"no product {product_id}") from None


def product_evict(
    *, product_id: uuid.UUID, cause: str = DeletionCause.OBSOLETE, trace_id: uuid.UUID | None = None
) -> Product:
    """Remove the stored object of a product and keep its catalogue entry offline; records a DeletedProduct."""
    product = _removal_target(product_id=product_id, cause=cause)
    if not product.online:
        return product
    _stored_objects_delete(product, with_assets=False)
    with transaction.atomic():
        product = _locked(product_id)
        if not product.online:
            return product
        now = timezone.now()
        product.online = False
        product.save(update_fields=["online", "modification_date"])
        _deleted_product_record(product, cause=cause, at=now)
        event_emit(kind=EventKind.EVICTED, product_id=product.id, trace_id=trace_id,
                   payload={**_event_payload(product), "cause": cause})
    return product


def product_delete(
    *, product_id: uuid.UUID, cause: str = DeletionCause.OBSOLETE, trace_id: uuid.UUID | None = None
) -> DeletedProduct:
    """Remove a product entirely (object, assets, entry); what remains is its DeletedProduct record."""
    product = _removal_target(product_id=product_id, cause=cause)
    _stored_objects_delete(product, with_assets=True)
    with transaction.atomic():
        product = _locked(product_id)
        record = _deleted_product_record(product, cause=cause, at=timezone.now())
        payload = {**_event_payload(product), "cause": cause}
        product.delete()
        event_emit(kind=EventKind.DELETED, product_id=record.id, trace_id=trace_id, payload=payload)
    return record


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
    deleted, _ = Hold.objects.filter(pk=hold_id).delete()
    if not deleted:
        raise NotFound(f"no hold {hold_id}")


# --- bulk lifecycle operations (eviction batches, retention changes, metadata purge) ----------------------------------


def _events_emit_many(*, kind: str, payloads: Mapping[uuid.UUID, Mapping[str, object]]) -> None:
    """One event per product with a few bulk inserts (batch eviction emits thousands at a time)."""
    _events_emit_batch([(kind, pid, uuid.uuid4(), payload) for pid, payload in payloads.items()])


def _events_emit_batch(events: Sequence[tuple[str, uuid.UUID, uuid.UUID, Mapping[str, object]]]) -> None:
    """Outbox events (kind, product, trace, payload) written with a few bulk inserts; their deliveries are sent on
    commit as one message per consumer and chunk, not per event: publishing thousands of messages one by one costs
    more than the batch itself."""
    if not events:
        return
    consumers = {kind: consumers_for(kind) for kind in {kind for kind, *_ in events}}
    now = timezone.now()
    rows = CatalogEvent.objects.bulk_create([
        CatalogEvent(kind=kind, product_id=pid, trace_id=trace, payload=dict(payload),
                     dispatched_at=None if consumers[kind] else now)
        for kind, pid, trace, payload in events
    ])
    EventDelivery.objects.bulk_create(
        [EventDelivery(event=e, consumer=c.name) for e in rows for c in consumers[e.kind]], batch_size=2000
    )
    by_consumer: dict[str, list[int]] = {}
    for event in rows:
        for consumer in consumers[event.kind]:
            by_consumer.setdefault(consumer.name, []).append(event.pk)
    if by_consumer:
        transaction.on_commit(lambda: _deliveries_enqueue_by_consumer(by_consumer))


def _deliveries_enqueue_by_consumer(event_ids: Mapping[str, Sequence[int]]) -> None:
    for name, ids in event_ids.items():
        consumer = consumer_get(name)
        if consumer is not None:
            _deliveries_enqueue_many(ids, [consumer])


def products_evict(*, product_ids: Sequence[uuid.UUID], cause: str = DeletionCause.OBSOLETE) -> int:
    """Evict a batch: bulk-delete the objects, then in one transaction record the DeletedProducts of those whose
    object is gone, mark them offline and emit their events, a few statements per batch. Returns how many were
    evicted by this call.

    Deleting first is what makes a crash harmless: entries still online whose objects are gone are evicted by the
    next run (deleting a missing object is a no-op); nothing is ever offline with its bytes left behind. An object
    the store could not delete keeps its product online (and out of the records) for a later run; the others go.
    Products another worker is evicting (locked) are skipped, so several workers can run at once.
    """
    if cause not in DeletionCause.values:
        raise InvalidProduct(f"unknown deletion cause {cause!r}")
    candidates = selectors.products_online_keys(product_ids=product_ids)
    return products_evicted_record(product_ids=eviction_objects_delete(candidates=candidates), cause=cause)


def eviction_objects_delete(*, candidates: Sequence[tuple[uuid.UUID, str]]) -> list[uuid.UUID]:
    """The first half of `products_evict`, which touches only the object store (a thread may run it while the
    database records the previous batch): delete the objects of (id, storage_key) candidates, return the ids whose
    object is gone (or who had none)."""
    from rs.catalog.storage import object_store

    left = object_store().delete_each(key for _pid, key in candidates if key) if candidates else {}
    if left:
        key, reason = next(iter(left.items()))
        logger.warning("eviction: %d object(s) could not be deleted, their products stay online (e.g. %r: %s)",
                       len(left), key, reason)
    return [pid for pid, key in candidates if not key or key not in left]


def products_evicted_record(*, product_ids: Sequence[uuid.UUID], cause: str = DeletionCause.OBSOLETE) -> int:
    """The second half of `products_evict`, for products whose objects are gone: in one transaction, the
    DeletedProducts (INSERT … SELECT), the `evicted` events and their deliveries, the products offline. Returns how
    many were evicted (online, and not locked by another worker)."""
    if cause not in DeletionCause.values:
        raise InvalidProduct(f"unknown deletion cause {cause!r}")
    if not product_ids:
        return 0
    from rs.catalog.eviction_records import deleted_records_write, evicted_events_write, products_offline

    with transaction.atomic():
        now = timezone.now()
        evicted = deleted_records_write(product_ids=product_ids, cause=cause, at=now)
        if not evicted:
            return 0
        consumers = consumers_for(EventKind.EVICTED)
        event_ids = evicted_events_write(product_ids=evicted, kind=EventKind.EVICTED, cause=cause, at=now,
                                         consumers=[c.name for c in consumers])
        products_offline(product_ids=evicted, at=now)
        if consumers:
            transaction.on_commit(lambda: _deliveries_enqueue_many(event_ids, consumers))
    return len(evicted)


def _deleted_product_row(product: Product, *, cause: str, at: datetime) -> DeletedProduct:
    return DeletedProduct(
        id=product.id, name=product.name, scope=product.scope, mission=product.mission, platform=product.platform,
        family=product.family, product_type=product.product_type, production_type=product.production_type,
        content_type=product.content_type, content_length=product.content_length, origin_date=product.origin_date,
        publication_date=product.publication_date, modification_date=product.modification_date,
        eviction_date=product.eviction_date, content_start=product.content_start, content_end=product.content_end,
        storage_key=product.storage_key, md5=product.md5, md5_date=product.md5_date, blake3=product.blake3,
        blake3_date=product.blake3_date, footprint=product.footprint,
        # in the order registered (as the PRIP lists a product's attributes), whatever order the database returns
        attributes=[{"name": a.name, "type": a.value_type, "value": _json_value(a.value)}
                    for a in sorted(product.attributes.all(), key=lambda a: a.pk)],
        deletion_date=at, deletion_cause=cause,
    )


def scoped_products_remove(*, product_ids: Sequence[uuid.UUID]) -> int:
    """Remove products of a scope other than the operational one entirely (objects, assets, entries), e.g. a
    deleted campaign's outputs, and emit `deleted`. They were never public: no DeletedProduct record is kept (the
    one their eviction left goes too, even once the metadata purge removed their entries). Objects go first, so a
    crash before the commit leaves entries whose objects are gone, which the next call removes (deleting a missing
    object is a no-op). Returns how many entries were removed."""
    candidates = list(Product.objects.filter(id__in=list(product_ids)).only("id", "scope", "storage_key"))
    operational = [str(p.id) for p in candidates if p.scope == OPERATIONAL_SCOPE]
    if operational:
        raise InvalidProduct(f"operational products are evicted or deleted, not removed: {', '.join(operational)}")
    DeletedProduct.objects.filter(id__in=list(product_ids)).exclude(scope=OPERATIONAL_SCOPE).delete()
    if not candidates:
        return 0
    from rs.catalog.storage import object_store

    ids = [p.id for p in candidates]
    keys = [p.storage_key for p in candidates if p.storage_key]
    keys += [k for k in ProductAsset.objects.filter(product_id__in=ids).values_list("storage_key", flat=True) if k]
    object_store().delete_many(keys)
    with transaction.atomic():
        products = list(Product.objects.select_for_update(skip_locked=True).filter(id__in=ids))
        payloads = {p.id: {**_event_payload(p), "cause": "scope removed"} for p in products}
        DeletedProduct.objects.filter(id__in=list(payloads)).delete()
        Product.objects.filter(id__in=list(payloads)).delete()
        _events_emit_many(kind=EventKind.DELETED, payloads=payloads)
    return len(payloads)


def products_eviction_dates_set(*, dates: Mapping[uuid.UUID, datetime | None]) -> int:
    """Store recomputed eviction dates (after a retention-policy change). EvictionDate is lifecycle bookkeeping,
    so no `modified` event is emitted for it."""
    rows = [Product(id=pid, eviction_date=date) for pid, date in dates.items()]
    return Product.objects.bulk_update(rows, ["eviction_date"], batch_size=1000)


def products_purge(*, product_ids: Sequence[uuid.UUID]) -> int:
    """Remove the entries of evicted products (their DeletedProduct records stay) and emit `deleted`."""
    with transaction.atomic():
        products = list(Product.objects.select_for_update(skip_locked=True)
                        .filter(id__in=list(product_ids), online=False))
        payloads = {p.id: {**_event_payload(p), "cause": "purged"} for p in products}
        Product.objects.filter(id__in=list(payloads)).delete()
        _events_emit_many(kind=EventKind.DELETED, payloads=payloads)
    return len(payloads)
