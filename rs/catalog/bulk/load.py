"""The load: batches parsed in a thread, written by the main thread, counted and reported."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from rs.catalog.bulk.indexes import RebuildTiming, indexes_deferred
from rs.catalog.bulk.rows import ProductRow, product_row_of_line
from rs.catalog.bulk.values import BulkLoadError
from rs.catalog.bulk.writers import Batch, PostgresWriter, SpatialiteWriter, Writer, not_loaded
from rs.catalog.choices import OPERATIONAL_SCOPE, EventKind

DEFAULT_BATCH_SIZE = 10_000  # ≈ 25 MB of COPY text with ~25 attributes a product; big enough to amortise commits


@dataclass(frozen=True)
class LoadReport:
    lines: int
    products: int
    attributes: int
    skipped: int
    events: int
    seconds: float
    parse_cpu_seconds: float  # the parser thread's CPU (JSON, validation, footprints, COPY text)
    database_seconds: float  # the main thread waiting on the writes (COPY, constraint checks, commits)
    index_seconds: float = 0.0  # rebuilding the indexes set aside (defer_indexes), included in `seconds`

    @property
    def rate(self) -> float:
        return self.products / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Progress:
    lines: int
    products: int
    skipped: int
    seconds: float


def _batches(lines: Iterable[bytes | str], batch_size: int, writer: Writer, stop: threading.Event,
             cpu: list[float]) -> Iterator[Batch]:
    """Validated, prepared batches; `cpu[0]` accumulates this thread's CPU time (reading excluded)."""
    cpu_started = time.thread_time()
    now = timezone.now()
    rows: list[ProductRow] = []
    names: dict[str, int] = {}
    ids: dict[str, int] = {}
    first_line = 1
    number = 0
    for number, raw in enumerate(lines, start=1):
        if stop.is_set():
            return
        if not raw.strip():
            continue
        try:
            row = product_row_of_line(raw, number, now=now)
        except BulkLoadError as exc:
            exc.batch_first_line = first_line
            raise
        for key, seen, field in ((row.name, names, "name"), (row.id, ids, "id")):
            if key in seen:
                raise BulkLoadError(f"line {number}: {field}: {key!r} is a duplicate of line {seen[key]}",
                                    line=number, batch_first_line=first_line)
            seen[key] = number
        rows.append(row)
        if len(rows) >= batch_size:
            batch = Batch(first_line, rows, writer.prepare(rows, now))
            cpu[0] += time.thread_time() - cpu_started
            yield batch
            cpu_started = time.thread_time()
            rows, names, ids, first_line = [], {}, {}, number + 1
            now = timezone.now()
    if rows:
        batch = Batch(first_line, rows, writer.prepare(rows, now))
        cpu[0] += time.thread_time() - cpu_started
        yield batch


def _prefetched(batches: Iterator[Batch], stop: threading.Event) -> Iterator[Batch]:
    """Run the parsing of the next batch in a thread while the caller writes the current one."""
    handoff: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=1)

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        handoff.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
            handoff.put(None)
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            handoff.put(exc)

    thread = threading.Thread(target=produce, name="bulk-load-parser", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)
        thread.join()


def _events_emit(rows: list[ProductRow]) -> int:
    from rs.catalog.services import event_emit

    count = 0
    for row in rows:
        payload = {"name": row.name, "mission": row.mission, "family": row.family, "product_type": row.product_type,
                   "scope": OPERATIONAL_SCOPE}
        trace = uuid.uuid4()
        event_emit(kind=EventKind.CREATED, product_id=uuid.UUID(row.id), trace_id=trace, payload=payload)
        count += 1
        if row.publication_date is not None:
            event_emit(kind=EventKind.PUBLISHED, product_id=uuid.UUID(row.id), trace_id=trace, payload=payload)
            count += 1
    return count


def products_load(
    *,
    lines: Iterable[bytes | str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    atomic: bool = False,
    skip_existing: bool = False,
    emit_events: bool = False,
    defer_indexes: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> LoadReport:
    """Load NDJSON product lines; see the module docstring for the format and the batch semantics."""
    if batch_size < 1:
        raise BulkLoadError("batch size must be at least 1")
    writer: Writer = PostgresWriter() if connection.vendor == "postgresql" else SpatialiteWriter()
    started = time.monotonic()
    counts = {"lines": 0, "products": 0, "attributes": 0, "skipped": 0, "events": 0}
    stop = threading.Event()
    parse_cpu, database = [0.0], [0.0]

    def load_all() -> None:
        for batch in _prefetched(_batches(lines, batch_size, writer, stop, parse_cpu), stop):
            waited = time.perf_counter()
            try:
                with transaction.atomic():
                    # PostgreSQL reports a duplicate through its constraints (mapped back to the line) at no cost;
                    # skipping, and SQLite's messages without the key, need the lookup
                    rows = (not_loaded(batch.rows, skip_existing=skip_existing)
                            if skip_existing or not isinstance(writer, PostgresWriter) else batch.rows)
                    if rows:
                        writer.write(batch, rows, whole=len(rows) == len(batch.rows))
                    if emit_events:
                        counts["events"] += _events_emit(rows)
            except BulkLoadError as exc:
                exc.batch_first_line = batch.first_line
                raise
            except DatabaseError as exc:
                raise BulkLoadError(f"lines {batch.first_line}-{batch.rows[-1].line}: refused by the database: "
                                    f"{exc}".strip(), batch_first_line=batch.first_line) from None
            database[0] += time.perf_counter() - waited
            counts["lines"] = batch.rows[-1].line
            counts["products"] += len(rows)
            counts["attributes"] += sum(len(r.attributes) for r in rows)
            counts["skipped"] += len(batch.rows) - len(rows)
            if progress is not None:
                progress(Progress(counts["lines"], counts["products"], counts["skipped"],
                                  time.monotonic() - started))

    rebuild = RebuildTiming()
    try:
        with indexes_deferred(rebuild) if defer_indexes else contextlib.nullcontext():
            if atomic:
                with transaction.atomic():
                    load_all()
                    waited = time.perf_counter()
                database[0] += time.perf_counter() - waited  # the commit, with the deferred foreign-key checks
            else:
                load_all()
    except BulkLoadError as exc:
        exc.loaded = 0 if atomic else counts["products"]
        raise
    return LoadReport(lines=counts["lines"], products=counts["products"], attributes=counts["attributes"],
                      skipped=counts["skipped"], events=counts["events"], seconds=time.monotonic() - started,
                      parse_cpu_seconds=parse_cpu[0], database_seconds=database[0], index_seconds=rebuild.seconds)
