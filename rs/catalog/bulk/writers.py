"""Writers of validated batches: COPY on PostgreSQL, bulk_create on SpatiaLite; duplicates reported by line."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib.gis.geos import GEOSGeometry
from django.db import IntegrityError, connection
from django.utils import timezone

from rs.catalog.bulk.rows import ProductRow
from rs.catalog.bulk.values import BulkLoadError
from rs.catalog.choices import OPERATIONAL_SCOPE, AttributeType, ProductionType
from rs.catalog.models import Product, ProductAttribute


class RowKey(NamedTuple):
    """What the main process keeps of a parsed row: enough to check duplicates, report them and count."""

    line: int
    id: str
    name: str
    attributes: int


@dataclass
class CopyText:
    """The COPY text of consecutive rows, encoded, with each row's end offset (to drop skipped rows)."""

    products: bytes = b""
    attributes: bytes = b""
    product_ends: list[int] = field(default_factory=list)
    attribute_ends: list[int] = field(default_factory=list)

    @classmethod
    def joined(cls, parts: list[CopyText]) -> CopyText:
        if len(parts) == 1:
            return parts[0]
        product_ends, attribute_ends = [], []
        shift_p = shift_a = 0
        for part in parts:
            product_ends += [end + shift_p for end in part.product_ends]
            attribute_ends += [end + shift_a for end in part.attribute_ends]
            shift_p, shift_a = shift_p + len(part.products), shift_a + len(part.attributes)
        return cls(b"".join(p.products for p in parts), b"".join(p.attributes for p in parts), product_ends,
                   attribute_ends)

    def kept(self, indexes: list[int]) -> tuple[bytes, bytes]:
        def slices(data: bytes, ends: list[int]) -> bytes:
            return b"".join(data[(ends[i - 1] if i else 0):ends[i]] for i in indexes)

        return slices(self.products, self.product_ends), slices(self.attributes, self.attribute_ends)


@dataclass
class Batch:
    first_line: int
    keys: list[RowKey] = field(default_factory=list)
    copies: list[CopyText] = field(default_factory=list)  # PostgreSQL: made by the parser processes
    rows: list[ProductRow] = field(default_factory=list)  # kept only when needed (events, SpatiaLite)


class Writer:
    def write(self, batch: Batch, kept: list[int] | None) -> None:
        """Write the batch's rows (only those at `kept`, when some are skipped) in the current transaction."""
        raise NotImplementedError


_LOOKUP_CHUNK = 5000  # parameters per lookup query (SQLite's limit is 32766)


def _existing(rows: list[RowKey]) -> tuple[dict[str, str], dict[str, str]]:
    """Names (by id) and ids (by name) of the batch's products already in the catalog."""
    by_id, by_name = {}, {}
    for i in range(0, len(rows), _LOOKUP_CHUNK):
        chunk = rows[i:i + _LOOKUP_CHUNK]
        qs = Product.objects.filter(id__in=[r.id for r in chunk]) | Product.objects.filter(
            scope=OPERATIONAL_SCOPE, name__in=[r.name for r in chunk])
        for product_id, name, scope in qs.values_list("id", "name", "scope"):
            by_id[str(product_id)] = name if scope == OPERATIONAL_SCOPE else f"{name} ({scope})"
            if scope == OPERATIONAL_SCOPE:
                by_name[name] = str(product_id)
    return by_id, by_name


def not_loaded(rows: list[RowKey], *, skip_existing: bool) -> list[int]:
    """Indexes of the rows to write: one already in the catalog is an error, or skipped when its id and name both
    match."""
    by_id, by_name = _existing(rows)
    kept = []
    for index, row in enumerate(rows):
        if row.id in by_id:
            if skip_existing and by_id[row.id] == row.name:
                continue
            message = (f"{row.id} is already the id of {by_id[row.id]!r}" if skip_existing
                       else f"a product with id {row.id} is already in the catalog")
            raise BulkLoadError(f"line {row.line}: id: {message}", line=row.line)
        if row.name in by_name:
            message = (f"{row.name!r} is already in the catalog with id {by_name[row.name]}" if skip_existing
                       else f"{row.name!r} is already in the catalog ({OPERATIONAL_SCOPE})")
            raise BulkLoadError(f"line {row.line}: name: {message}", line=row.line)
        kept.append(index)
    return kept


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
_NULL = "\\N"
_COPY_READ = 1 << 20  # bytes handed to the server per read of the COPY buffer (psycopg2 reads 8 KiB by default)


def _esc(text: str) -> str:
    return text.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def _ts(value: datetime | None) -> str:
    return _NULL if value is None else value.isoformat()


_ATTRIBUTE_COLUMNS = {  # the value columns in COPY order, with the value's position among them
    AttributeType.STRING: 0, AttributeType.INTEGER: 1, AttributeType.DOUBLE: 2,
    AttributeType.BOOLEAN: 3, AttributeType.DATETIME: 4,
}
_ATTRIBUTE_CELLS: dict[AttributeType, Callable[[Any], str]] = {  # value_type + the five value cells of a COPY line
    AttributeType.STRING: lambda v: f"String\t{_esc(v)}\t\\N\t\\N\t\\N\t\\N\n",
    AttributeType.INTEGER: lambda v: f"Integer\t\\N\t{v}\t\\N\t\\N\t\\N\n",
    AttributeType.DOUBLE: lambda v: f"Double\t\\N\t\\N\t{v!r}\t\\N\t\\N\n",
    AttributeType.BOOLEAN: lambda v: f"Boolean\t\\N\t\\N\t\\N\t{'t' if v else 'f'}\t\\N\n",
    AttributeType.DATETIME: lambda v: f"DateTimeOffset\t\\N\t\\N\t\\N\t\\N\t{v.isoformat()}\n",
}


PRODUCT_FIELDS = ("id", "name", "scope", "mission", "platform", "family", "product_type", "level", "mode",
                  "instrument_configuration_id", "timeliness", "production_type", "content_type", "content_length",
                  "storage_key", "online", "generation_date", "publication_date", "modification_date", "created_at",
                  "content_start", "content_end", "md5", "md5_date", "blake3", "blake3_date", "cloud_cover",
                  "footprint")
ATTRIBUTE_FIELDS = ("product", "name", "value_type", "value_string", "value_integer", "value_double",
                    "value_boolean", "value_datetime")


class Unencodable(Exception):
    """A text of the row at `index` is not encodable as UTF-8 (a lone surrogate from a \\udxxx escape)."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def copy_text(rows: list[ProductRow], now: datetime) -> CopyText:
    """The COPY lines of the rows' products and attributes (in the order of PRODUCT_FIELDS, ATTRIBUTE_FIELDS)."""
    loaded_at = now.isoformat()
    constant = f"\t{OPERATIONAL_SCOPE}\t"
    tail = f"\t{ProductionType.SYSTEMATIC}\tapplication/octet-stream\t"
    cells = _ATTRIBUTE_CELLS
    products, attributes = bytearray(), bytearray()
    product_ends, attribute_ends = [], []
    for index, r in enumerate(rows):
        icid = r.instrument_configuration_id
        # as product_register: a checksum date only beside a checksum (bulk loads carry MD5, never BLAKE3)
        checksum_date = _ts(r.publication_date or now) if r.md5 else _NULL
        product = (
            f"{r.id}\t{_esc(r.name)}{constant}{r.mission}\t{r.platform}\t{r.family}\t{_esc(r.product_type)}\t"
            f"{r.level}\t{r.mode}\t{_NULL if icid is None else icid}\t{_esc(r.timeliness)}{tail}"
            f"{r.content_length}\t\tf\t{_ts(r.generation_date)}\t"
            f"{_ts(r.publication_date)}\t{loaded_at}\t{loaded_at}\t{r.content_start.isoformat()}\t"
            f"{r.content_end.isoformat()}\t{r.md5}\t"
            f"{checksum_date}\t\t{_NULL}\t{_NULL if r.cloud_cover is None else repr(r.cloud_cover)}\t"
            f"{r.footprint or _NULL}\n")
        head = f"{r.id}\t"
        try:
            products += product.encode()
            attributes += "".join([f"{head}{_esc(n)}\t{cells[t](v)}" for n, t, v in r.attributes]).encode()
        except UnicodeEncodeError:
            raise Unencodable(index) from None
        product_ends.append(len(products))
        attribute_ends.append(len(attributes))
    return CopyText(bytes(products), bytes(attributes), product_ends, attribute_ends)


class PostgresWriter(Writer):
    """COPY straight into the catalog tables, one transaction (or savepoint) per batch."""

    def __init__(self) -> None:
        def copy_sql(model: Any, fields: tuple[str, ...]) -> str:
            columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
            return f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"

        self.product_sql = copy_sql(Product, PRODUCT_FIELDS)
        self.attribute_sql = copy_sql(ProductAttribute, ATTRIBUTE_FIELDS)

    def write(self, batch: Batch, kept: list[int] | None) -> None:
        copy = CopyText.joined(batch.copies)
        if kept is None:
            products, attributes = copy.products, copy.attributes
        else:  # some rows were skipped: keep the others' lines
            products, attributes = copy.kept(kept)
        with connection.cursor() as cursor:
            # a crash loses at most the last commits of this session (a load is re-run with --skip-existing),
            # and no commit waits for the WAL flush
            cursor.execute("SET LOCAL synchronous_commit = off")
            try:
                with connection.wrap_database_errors:  # copy_expert is not wrapped by Django's cursor
                    cursor.copy_expert(self.product_sql, io.BytesIO(products), size=_COPY_READ)
                    cursor.copy_expert(self.attribute_sql, io.BytesIO(attributes), size=_COPY_READ)
            except IntegrityError as exc:
                keys = batch.keys if kept is None else [batch.keys[i] for i in kept]
                raise _duplicate_error(exc, keys) from None


_KEY_DETAIL = re.compile(r"\)=\((?:operational, )?(?P<key>.*)\) already exists")


def _duplicate_error(exc: IntegrityError, rows: list[RowKey]) -> BulkLoadError:
    diag = getattr(exc.__cause__, "diag", None)
    detail = getattr(diag, "message_detail", None) or ""
    match = _KEY_DETAIL.search(detail)
    key = match["key"] if match else None
    for row in rows:
        if key == row.name:
            return BulkLoadError(f"line {row.line}: name: {row.name!r} is already in the catalog ({OPERATIONAL_SCOPE})",
                                 line=row.line)
        if key == row.id:
            return BulkLoadError(f"line {row.line}: id: a product with id {row.id} is already in the catalog",
                                 line=row.line)
    return BulkLoadError(f"lines {rows[0].line}-{rows[-1].line}: refused by the database: {exc}")


class SpatialiteWriter(Writer):
    """The portable path: bulk_create in the batch's transaction (duplicates were checked before)."""

    def write(self, batch: Batch, kept: list[int] | None) -> None:
        now = timezone.now()
        products, attributes = [], []
        for r in batch.rows if kept is None else [batch.rows[i] for i in kept]:
            products.append(Product(
                id=uuid.UUID(r.id), name=r.name, scope=OPERATIONAL_SCOPE, mission=r.mission, platform=r.platform,
                family=r.family, product_type=r.product_type, level=r.level, mode=r.mode,
                instrument_configuration_id=r.instrument_configuration_id, timeliness=r.timeliness,
                production_type=ProductionType.SYSTEMATIC, content_type="application/octet-stream",
                content_length=r.content_length, storage_key="", online=False, generation_date=r.generation_date,
                publication_date=r.publication_date, content_start=r.content_start, content_end=r.content_end,
                md5=r.md5, md5_date=(r.publication_date or now) if r.md5 else None,
                footprint=GEOSGeometry(r.footprint) if r.footprint else None, cloud_cover=r.cloud_cover,
            ))
            for name, value_type, value in r.attributes:
                column = ("value_string", "value_integer", "value_double", "value_boolean",
                          "value_datetime")[_ATTRIBUTE_COLUMNS[value_type]]
                attributes.append(ProductAttribute(product_id=uuid.UUID(r.id), name=name, value_type=value_type,
                                                   **{column: value}))
        Product.objects.bulk_create(products, batch_size=500)
        ProductAttribute.objects.bulk_create(attributes, batch_size=500)
