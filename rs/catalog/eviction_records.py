"""What an eviction writes, one statement per batch: the DeletedProduct records and the `evicted` events.

A batch of a thousand products is one INSERT … SELECT for the records (their attributes gathered by the database
as `services.removal._deleted_product_row` gathers them in Python), one UPDATE, one INSERT for the events and one
for their deliveries: the cost of a batch is a few statements whatever its size, and no row travels to Python and back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from rs.catalog.models import CatalogEvent, DeletedProduct, EventDelivery, Product, ProductAttribute

# DeletedProduct columns copied from the product as they are (before it goes offline)
_COPIED = ("id", "name", "scope", "mission", "platform", "family", "product_type", "production_type", "content_type",
           "content_length", "origin_date", "publication_date", "modification_date", "eviction_date",
           "content_start", "content_end", "storage_key", "md5", "md5_date", "blake3", "blake3_date", "footprint")

# An attribute's value as JSON, as `_json_value` writes it: a date-time as Python's isoformat in UTC (microseconds
# only when there are some), an integral double with its ".0" (json.dumps of a float), other doubles in their
# shortest exact form (the same digits as Python's repr).
_ATTRIBUTE_JSON = """
    jsonb_build_object('name', a.name, 'type', a.value_type, 'value', CASE a.value_type
        WHEN 'String' THEN to_jsonb(a.value_string)
        WHEN 'Integer' THEN to_jsonb(a.value_integer)
        WHEN 'Boolean' THEN to_jsonb(a.value_boolean)
        WHEN 'Double' THEN CASE
            WHEN a.value_double = trunc(a.value_double) AND abs(a.value_double) < 1e16
            THEN (a.value_double::bigint::text || '.0')::jsonb
            ELSE (a.value_double::text)::jsonb END
        WHEN 'DateTimeOffset' THEN to_jsonb(
            to_char(a.value_datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN extract(microseconds FROM a.value_datetime)::bigint %% 1000000 = 0 THEN ''
                    ELSE to_char(a.value_datetime AT TIME ZONE 'UTC', '.US') END
            || '+00:00')
        END)"""


_COLUMNS = ", ".join(_COPIED)
_FROM_PRODUCT = ", ".join(f"p.{c}" for c in _COPIED)
_REPLACED = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*_COPIED[1:], "attributes", "deletion_date", "deletion_cause"))
_PRODUCT, _ATTRIBUTE = Product._meta.db_table, ProductAttribute._meta.db_table
_EVENT, _DELIVERY = CatalogEvent._meta.db_table, EventDelivery._meta.db_table

# table and column names come from the models, values are parameters
_RECORDS_SQL = f"""
    INSERT INTO {DeletedProduct._meta.db_table} ({_COLUMNS}, attributes, deletion_date, deletion_cause)
    SELECT {_FROM_PRODUCT},
           COALESCE((SELECT jsonb_agg({_ATTRIBUTE_JSON} ORDER BY a.id)
                     FROM {_ATTRIBUTE} a WHERE a.product_id = p.id), '[]'::jsonb),
           %s, %s
    FROM (SELECT * FROM {_PRODUCT} WHERE id = ANY(%s::uuid[]) AND online ORDER BY id FOR UPDATE SKIP LOCKED) p
    ON CONFLICT (id) DO UPDATE SET {_REPLACED}
    RETURNING id"""  # noqa: S608
_OFFLINE_SQL = f"UPDATE {_PRODUCT} SET online = false, modification_date = %s WHERE id = ANY(%s::uuid[])"  # noqa: S608
_EVENTS_SQL = f"""
    INSERT INTO {_EVENT} (kind, product_id, trace_id, created_at, payload, dispatched_at)
    SELECT %s, p.id, gen_random_uuid(), %s,
           jsonb_build_object('name', p.name, 'mission', p.mission, 'family', p.family,
                              'product_type', p.product_type, 'scope', p.scope, 'cause', %s::text),
           %s
    FROM {_PRODUCT} p WHERE p.id = ANY(%s::uuid[])
    ORDER BY p.id
    RETURNING id"""  # noqa: S608
_DELIVERIES_SQL = f"""
    INSERT INTO {_DELIVERY} (event_id, consumer, delivered_at, attempts, last_error)
    SELECT e, c, NULL, 0, '' FROM unnest(%s::bigint[]) e CROSS JOIN unnest(%s::text[]) c"""  # noqa: S608


def deleted_records_write(*, product_ids: Sequence[uuid.UUID], cause: str, at: datetime) -> list[uuid.UUID]:
    """Lock the online products among `product_ids` that no other worker holds (SKIP LOCKED), record them as
    DeletedProducts (replacing an earlier record of the same id) and return their ids. In the caller's transaction;
    the products are still online (the caller takes them offline)."""
    with connection.cursor() as cursor:
        cursor.execute(_RECORDS_SQL, [at, cause, [str(pid) for pid in product_ids]])
        return [row[0] for row in cursor.fetchall()]


def products_offline(*, product_ids: Sequence[uuid.UUID], at: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_OFFLINE_SQL, [at, [str(pid) for pid in product_ids]])


def evicted_events_write(*, product_ids: Sequence[uuid.UUID], kind: str, cause: str, at: datetime,
                         consumers: Sequence[str]) -> list[int]:
    """One event per product (payload as `_event_payload` plus the cause), and a pending delivery per consumer;
    the events are born dispatched when nobody consumes them. Returns the event ids."""
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_SQL, [kind, at, cause, None if consumers else at, [str(pid) for pid in product_ids]])
        event_ids = [row[0] for row in cursor.fetchall()]
        if consumers and event_ids:
            cursor.execute(_DELIVERIES_SQL, [event_ids, list(consumers)])
    return event_ids
