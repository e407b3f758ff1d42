"""The load: chunks of lines parsed in worker processes, written in batches by the main process, and reported."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from rs.catalog.bulk.indexes import RebuildTiming, indexes_deferred
from rs.catalog.bulk.rows import ProductRow, product_row_of_line
from rs.catalog.bulk.values import BulkLoadError
from rs.catalog.bulk.writers import (
    Batch,
    CopyText,
    PostgresWriter,
    RowKey,
    SpatialiteWriter,
    Unencodable,
    Writer,
    copy_text,
    not_loaded,
)
from rs.catalog.choices import OPERATIONAL_SCOPE, EventKind

DEFAULT_BATCH_SIZE = 10_000  # ≈ 25 MB of COPY text with ~25 attributes a product; big enough to amortise commits
CHUNK_LINES = 500  # lines a parser process takes at a time (≈ 0.75 MB in, 1.5 MB of COPY text out)


@dataclass(frozen=True)
class LoadReport:
    lines: int
    products: int
    attributes: int
    skipped: int
    events: int
    seconds: float
    parse_cpu_seconds: float  # the parsers' CPU, summed over the processes (JSON, validation, footprints, COPY text)
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


class _Chunk(NamedTuple):
    batch: int  # the batch (transaction) it belongs to: a chunk never spans two
    numbers: list[int]  # the line numbers of its lines (blank lines are not sent)
    lines: list[bytes | str]


def _chunks(lines: Iterable[bytes | str], batch_size: int, chunk_lines: int) -> Iterator[_Chunk]:
    """The non-blank lines, `batch_size` a batch, cut into chunks of at most `chunk_lines` for the parsers."""
    numbers: list[int] = []
    raws: list[bytes | str] = []
    batch = in_batch = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        numbers.append(number)
        raws.append(raw)
        in_batch += 1
        if in_batch == batch_size or len(raws) == chunk_lines:
            yield _Chunk(batch, numbers, raws)
            numbers, raws = [], []
            if in_batch == batch_size:
                batch, in_batch = batch + 1, 0
    if raws:
        yield _Chunk(batch, numbers, raws)


@dataclass
class _Parsed:
    """A parser's answer for one chunk: the rows before the first bad line, and that line's error."""

    keys: list[RowKey]
    copy: CopyText | None  # PostgreSQL's COPY text of the rows
    rows: list[ProductRow] | None  # the rows themselves, when the main process needs them
    error: tuple[str, int] | None  # (message, line): exceptions with keyword arguments do not pickle
    cpu_seconds: float


def _parse(numbers: list[int], lines: list[bytes | str], make_copy: bool, keep_rows: bool) -> _Parsed:
    """Validate a chunk and (PostgreSQL) make its COPY text; runs in a parser process, or a thread."""
    cpu_started = time.thread_time()
    now = timezone.now()
    rows: list[ProductRow] = []
    error = None
    for number, raw in zip(numbers, lines, strict=True):
        try:
            rows.append(product_row_of_line(raw, number, now=now))
        except BulkLoadError as exc:
            error = (str(exc), number)
            break
    copy = None
    if make_copy:
        try:
            copy = copy_text(rows, now)
        except Unencodable as exc:  # earlier than any parse error: only the rows before it were parsed
            bad = rows[exc.index].line
            error = (f"line {bad}: text: not encodable as UTF-8 (lone surrogate)", bad)
            rows = rows[:exc.index]
            copy = copy_text(rows, now)
    keys = [RowKey(r.line, r.id, r.name, len(r.attributes)) for r in rows]
    return _Parsed(keys, copy, rows if keep_rows else None, error, time.thread_time() - cpu_started)


def _pool(workers: int) -> Executor:
    if workers < 1:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-load-parser")
    # fork: the parsers inherit the loaded Django and GEOS; they never touch the database connection, and leave
    # through os._exit, so the parent's connection is not closed under it
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))


def _parsed_batches(lines: Iterable[bytes | str], batch_size: int, workers: int, chunk_lines: int, make_copy: bool,
                    keep_rows: bool, cpu: list[float]) -> Iterator[Batch]:
    """Validated batches, in order, parsed ahead by the pool while the caller writes; `cpu[0]` sums the parsers'
    CPU time. A bad line (or a duplicate inside its batch) raises once the batches before it are handed over."""
    source = _chunks(lines, batch_size, max(1, min(chunk_lines, batch_size)))
    head = list(itertools.islice(source, 2))
    # a single chunk: a thread of this process parses it, cheaper than starting processes
    pool = _pool(workers if len(head) > 1 else 0)
    in_flight = max(2, batch_size // max(1, min(chunk_lines, batch_size))) + 2 * max(1, workers)
    pending: deque[tuple[_Chunk, Future[_Parsed]]] = deque()
    chunks = itertools.chain(head, source)
    batch: Batch | None = None
    batch_number = -1
    names: dict[str, int] = {}
    ids: dict[str, int] = {}
    try:
        while True:
            while len(pending) < in_flight:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                pending.append((chunk, pool.submit(_parse, chunk.numbers, chunk.lines, make_copy, keep_rows)))
            if not pending:
                break
            chunk, future = pending.popleft()
            parsed = future.result()
            cpu[0] += parsed.cpu_seconds
            if chunk.batch != batch_number:
                if batch is not None:
                    yield batch
                batch = Batch(first_line=chunk.numbers[0])
                batch_number, names, ids = chunk.batch, {}, {}
            assert batch is not None
            for key in parsed.keys:
                for value, seen, field in ((key.name, names, "name"), (key.id, ids, "id")):
                    if value in seen:
                        raise BulkLoadError(f"line {key.line}: {field}: {value!r} is a duplicate of line {seen[value]}",
                                            line=key.line, batch_first_line=batch.first_line)
                    seen[value] = key.line
            if parsed.error is not None:
                message, line = parsed.error
                raise BulkLoadError(message, line=line, batch_first_line=batch.first_line)
            batch.keys += parsed.keys
            if parsed.copy is not None:
                batch.copies.append(parsed.copy)
            if parsed.rows is not None:
                batch.rows += parsed.rows
        if batch is not None and batch.keys:
            yield batch
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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


def default_workers() -> int:
    """Parser processes: one a core (PostgreSQL's COPY waits on the server, and parsing is most of the CPU)."""
    return os.cpu_count() or 1


def products_load(
    *,
    lines: Iterable[bytes | str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    atomic: bool = False,
    skip_existing: bool = False,
    emit_events: bool = False,
    defer_indexes: bool = False,
    workers: int | None = None,
    chunk_lines: int = CHUNK_LINES,
    progress: Callable[[Progress], None] | None = None,
) -> LoadReport:
    """Load NDJSON product lines; see the module docstring for the format and the batch semantics.

    `workers` parser processes (default: one a core; 0: one thread of this process) take `chunk_lines` lines at a
    time."""
    if batch_size < 1:
        raise BulkLoadError("batch size must be at least 1")
    postgres = connection.vendor == "postgresql"
    writer: Writer = PostgresWriter() if postgres else SpatialiteWriter()
    if workers is None:
        workers = default_workers() if postgres else 0
    started = time.monotonic()
    counts = {"lines": 0, "products": 0, "attributes": 0, "skipped": 0, "events": 0}
    parse_cpu, database = [0.0], [0.0]

    def load_all() -> None:
        batches = _parsed_batches(lines, batch_size, workers, chunk_lines, make_copy=postgres,
                                  keep_rows=emit_events or not postgres, cpu=parse_cpu)
        for batch in batches:
            waited = time.perf_counter()
            try:
                with transaction.atomic():
                    # PostgreSQL reports a duplicate through its constraints (mapped back to the line) at no cost;
                    # skipping, and SQLite's messages without the key, need the lookup
                    kept = (not_loaded(batch.keys, skip_existing=skip_existing)
                            if skip_existing or not postgres else None)
                    if kept is None or kept:
                        writer.write(batch, None if kept is None or len(kept) == len(batch.keys) else kept)
                    if emit_events:
                        counts["events"] += _events_emit(batch.rows if kept is None
                                                         else [batch.rows[i] for i in kept])
            except BulkLoadError as exc:
                exc.batch_first_line = batch.first_line
                raise
            except DatabaseError as exc:
                raise BulkLoadError(f"lines {batch.first_line}-{batch.keys[-1].line}: refused by the database: "
                                    f"{exc}".strip(), batch_first_line=batch.first_line) from None
            database[0] += time.perf_counter() - waited
            written = batch.keys if kept is None else [batch.keys[i] for i in kept]
            counts["lines"] = batch.keys[-1].line
            counts["products"] += len(written)
            counts["attributes"] += sum(k.attributes for k in written)
            counts["skipped"] += len(batch.keys) - len(written)
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
