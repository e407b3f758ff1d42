"""Ingestion benchmark (never part of the suite).

    set -a && . var/ing2.env && set +a
    .venv/bin/python bench/ingestion/bench_ingestion.py [--products 10000] [--workers 2] [--concurrency 4]
        [--large-gb 2] [--rounds 3] [--skip-small] [--skip-large]

1. Products per second: N small products (zipped S1 L0 SAFEs with a real-format manifest, ~60 KB) in a directory
   inbox, polled twice as the beat would (with enqueue: the second poll sends drains as soon as its first batch is
   pending, so ingestion overlaps the rest of it, and again at its end) and ingested by real Celery workers (prefork)
   into the S3 store and the PostGIS catalogue of the environment. Timed from the first poll to the last entry in a
   final state; every entry must end `ingested`. The CPU per product counts the workers, every PostgreSQL backend
   (the polls' one included), the S3 server, and the polls in this process.
2. MB/s of one large product (a stored zip holding a SAFE with one big measurement file) ingested in this process,
   against a raw boto3 multipart upload of the same file to the same store: sequential parts of the same size as
   ours, and boto3's threaded upload_file.

Uses the database and the store of the environment (migrations applied first); everything it writes has fresh names.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rs.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from rs.catalog import services as services_catalog  # noqa: E402
from rs.catalog.models import Product  # noqa: E402
from rs.catalog.storage import object_store  # noqa: E402
from rs.ingestion import services  # noqa: E402
from rs.ingestion.choices import TERMINAL_STATES, EntryState  # noqa: E402
from rs.ingestion.demo.geometry import along_track, swath  # noqa: E402
from rs.ingestion.demo.sentinel1 import _level0  # noqa: E402
from rs.ingestion.demo.writing import write_folder  # noqa: E402
from rs.ingestion.models import InboxEntry  # noqa: E402

MIB = 1024 * 1024


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))) // 1024 // 1024
    return f"{os.cpu_count()} CPU ({cpu}), {memory} GiB RAM, {platform.system()} {platform.release()}"


def small_products(root: Path, count: int) -> None:
    """`count` zipped S1 L0 slices with distinct names (the run's own time base)."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)
    for index in range(count):
        start = base + timedelta(seconds=30 * index)
        centre = along_track(10.0, 40.0, km=index % 50 * 30, heading=-12)
        name, files = _level0("IW_RAW__0SDV", "S", start, start + timedelta(seconds=27), orbit=50000 + index // 200,
                              datatake=0x050000 + index // 20, anx=start - timedelta(minutes=20),
                              corners=swath(*centre, along_km=185, across_km=250, heading=-12),
                              slice_number=index % 20 + 1, consolidation="SLICE")
        write_folder(root, name, files, available=start + timedelta(minutes=40), archive=".zip")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (from /proc; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_cpu(pgid: int) -> float:
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def service_pids() -> dict[str, list[int]]:
    """PostgreSQL backends of this database and the S3 server process (by its listening port)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        backends = [row[0] for row in cursor.fetchall()]
    port = settings.RS_S3_ENDPOINT_URL.rsplit(":", 1)[-1].strip("/")
    weed = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/cmdline")
            if b"weed" in (data := p.read_bytes()) and port.encode() in data]
    return {"postgres": backends, "s3": weed}


def start_workers(count: int, concurrency: int) -> list[subprocess.Popen[bytes]]:
    log_dir = ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = []
    for n in range(count):
        log = (log_dir / f"bench-ingestion-worker-{n}.log").open("wb")
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "rs", "worker", "-Q", "ingestion", "--pool", "prefork",
             "--concurrency", str(concurrency), "--hostname", f"bench-{n}-{uuid.uuid4().hex[:6]}@%h",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    time.sleep(6)  # prefork children import Django before taking tasks
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        os.killpg(worker.pid, 15)
    for worker in workers:
        worker.wait(30)


def backend_pid() -> int:
    """The PostgreSQL backend of this process's connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def bench_small(count: int, workers: int, concurrency: int) -> None:
    from rs.ingestion.constants import PARALLEL_DRAINS

    folder = Path(tempfile.mkdtemp(prefix="bench-inbox-", dir=ROOT / "var"))
    try:
        started = time.monotonic()
        small_products(folder, count)
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"generated {count} products ({size / MIB:.1f} MiB) in {time.monotonic() - started:.1f} s")
        inbox = services.inbox_create(name=f"bench-{uuid.uuid4().hex[:8]}", kind="directory", location=str(folder),
                                      enabled=False)
        processes = start_workers(workers, concurrency)
        try:
            worker_boot = sum(group_cpu(p.pid) for p in processes)  # start-up is not ingestion
            own_backend = backend_pid()
            s3_pids = service_pids()["s3"]
            s3_before = sum(cpu_seconds(pid) for pid in s3_pids)
            own_db_before, own_cpu_before = cpu_seconds(own_backend), time.process_time()
            t0 = time.monotonic()
            first = services.inbox_poll(inbox_id=inbox.pk)  # all waiting: nothing to drain yet
            first_s = time.monotonic() - t0
            second = services.inbox_poll(inbox_id=inbox.pk)  # pending: drains sent after its first batch and at its end
            polled = time.monotonic() - t0
            poll_cpu, poll_db_cpu = time.process_time() - own_cpu_before, cpu_seconds(own_backend) - own_db_before
            entries = InboxEntry.objects.filter(inbox=inbox)
            backends: dict[int, float] = {}  # last CPU seen of every worker backend (they close when a task ends)
            while entries.exclude(state__in=TERMINAL_STATES).exists():
                time.sleep(0.5)
                for pid in service_pids()["postgres"]:
                    if pid != own_backend:  # this process's waiting queries are not ingestion
                        backends[pid] = max(backends.get(pid, 0.0), cpu_seconds(pid))
            elapsed = time.monotonic() - t0
            worker_cpu = sum(group_cpu(p.pid) for p in processes) - worker_boot
            postgres_cpu = sum(backends.values())
            s3_cpu = sum(cpu_seconds(pid) for pid in s3_pids) - s3_before
        finally:
            stop_workers(processes)
        ingested = entries.filter(state=EntryState.INGESTED).count()
        failed = list(entries.exclude(state=EntryState.INGESTED).values_list("key", "reason")[:5])
        print(f"small products: {ingested}/{count} ingested in {elapsed:.1f} s "
              f"= {ingested / elapsed:.0f} products/s with {workers} worker(s) x {concurrency} processes")
        print(f"  polls: first {first_s:.2f} s ({first.waiting} waiting), second {polled - first_s:.2f} s "
              f"({second.pending} pending; drains sent by the poll, at most {PARALLEL_DRAINS} early and "
              f"{PARALLEL_DRAINS} at its end, overlapping it); CPU {1000 * poll_cpu / max(count, 1):.3f} ms/item "
              f"in this process + {1000 * poll_db_cpu / max(count, 1):.3f} ms/item in its PostgreSQL backend")
        per = {name: 1000 * cpu / max(ingested, 1) for name, cpu in
               (("workers", worker_cpu), ("postgres", postgres_cpu), ("polls", poll_cpu),
                ("polls' postgres", poll_db_cpu), ("s3 (shared, upper bound)", s3_cpu))}
        print("  CPU per product: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per.items())
              + f" -> {2000 / sum(per.values()):.0f} products/s on 2 idle cores at this cost")
        print(f"  load average at the end: {os.getloadavg()[0]:.1f} (other processes share these cores)")
        if failed:
            print(f"  NOT INGESTED: {failed}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def large_product(root: Path, gigabytes: float) -> Path:
    """A stored zip of an S1 L0 SAFE whose measurement file fills `gigabytes`."""
    start = datetime(2025, 1, 1, 10, tzinfo=UTC) + timedelta(seconds=int(time.time()) % 10**6)
    name, files = _level0("IW_RAW__0SDV", "S", start, start + timedelta(seconds=27), orbit=40000, datatake=0x040000,
                          anx=start - timedelta(minutes=20), corners=swath(10, 40, along_km=185, across_km=250,
                                                                           heading=-12),
                          slice_number=1, consolidation="SLICE")
    target = root / f"{name}.zip"
    block = os.urandom(64 * MIB)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for relative, data in files.items():
            archive.writestr(f"{name}/{relative}", data)
        info = zipfile.ZipInfo(f"{name}/measurement.dat", date_time=(2025, 1, 1, 0, 0, 0))
        info.file_size = int(gigabytes * 1024 * MIB)
        with archive.open(info, "w", force_zip64=True) as out:
            for _ in range(info.file_size // len(block)):
                out.write(block)
    return target


def pipelined_put(client: Any, bucket: str, key: str, path: Path, part: int) -> tuple[str, str]:
    """What a pipelined put_stream would do: hash part N+1 in this thread while a second thread uploads part N."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    from blake3 import blake3

    md5, b3 = hashlib.md5(usedforsecurity=False), blake3(max_threads=blake3.AUTO)
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    with ThreadPoolExecutor(max_workers=2) as pool, path.open("rb") as source:
        futures = []
        number = 1
        while chunk := source.read(part):
            md5.update(chunk)
            b3.update(chunk)
            futures.append(pool.submit(client.upload_part, Bucket=bucket, Key=key, UploadId=upload,
                                       PartNumber=number, Body=chunk))
            if len(futures) >= 2:
                futures[-2].result()  # at most two parts in memory beyond the one being hashed
            number += 1
        parts = [{"PartNumber": n, "ETag": f.result()["ETag"]} for n, f in enumerate(futures, start=1)]
    client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    return md5.hexdigest(), b3.hexdigest()


def bench_large(gigabytes: float, rounds: int) -> None:
    import boto3.s3.transfer

    folder = Path(tempfile.mkdtemp(prefix="bench-large-", dir=ROOT / "var"))
    store = object_store()
    client = store._client  # type: ignore[attr-defined]
    bucket = settings.RS_S3_BUCKET
    part = settings.RS_S3_MULTIPART_CHUNK_BYTES
    try:
        path = large_product(folder, gigabytes)
        size = path.stat().st_size
        path.read_bytes() if size < 8 * 1024**3 else None  # warm the page cache for every contender alike
        print(f"large product: {path.name} ({size / MIB:.0f} MiB), parts of {part / MIB:.0f} MiB")

        def raw_sequential() -> None:
            key = f"bench/raw-sequential-{uuid.uuid4().hex}"
            upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            parts = []
            with path.open("rb") as source:
                number = 1
                while chunk := source.read(part):
                    etag = client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=chunk)
                    parts.append({"PartNumber": number, "ETag": etag["ETag"]})
                    number += 1
            client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                             MultipartUpload={"Parts": parts})
            store.delete(key)

        def raw_threaded() -> None:
            key = f"bench/raw-threaded-{uuid.uuid4().hex}"
            client.upload_file(str(path), bucket, key,
                               Config=boto3.s3.transfer.TransferConfig(multipart_chunksize=part))
            store.delete(key)

        def pipelined() -> None:
            key = f"bench/pipelined-{uuid.uuid4().hex}"
            pipelined_put(client, bucket, key, path, part)
            store.delete(key)

        def ingestion() -> None:
            inbox = services.inbox_create(name=f"bench-large-{uuid.uuid4().hex[:8]}", kind="directory",
                                          location=str(folder), enabled=False)
            services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
            services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
            started = time.monotonic()
            services.inbox_drain(inbox_id=inbox.pk)
            timings.setdefault("ingestion", []).append(time.monotonic() - started)
            entry = InboxEntry.objects.get(inbox=inbox)
            assert entry.state == EntryState.INGESTED, entry.reason
            product = Product.objects.get(pk=entry.product_id)
            services_catalog.product_delete(product_id=product.id)  # object and entry: the next round adds it again

        contenders = {"raw sequential": raw_sequential, "raw threaded": raw_threaded, "pipelined": pipelined,
                      "ingestion": ingestion}
        timings: dict[str, list[float]] = {}
        for round_number in range(rounds):
            order = list(contenders.items())
            for name, run in order[round_number % len(order):] + order[:round_number % len(order)]:
                started = time.monotonic()
                run()
                if name != "ingestion":  # ingestion times its drain only (polls excluded)
                    timings.setdefault(name, []).append(time.monotonic() - started)
        speed = {name: size / MIB / statistics.median(values) for name, values in timings.items()}
        print(f"{rounds} rounds, contenders interleaved, median of each:")
        print(f"raw boto3 multipart, sequential parts: {speed['raw sequential']:.0f} MB/s")
        print(f"raw boto3 upload_file (threaded):      {speed['raw threaded']:.0f} MB/s")
        print(f"reference: MD5+BLAKE3 while the previous part uploads (not the catalog's put_stream): "
              f"{speed['pipelined']:.0f} MB/s")
        ours = speed["ingestion"]
        print(f"ingestion (identify, extract, stream with MD5+BLAKE3, register): {ours:.0f} MB/s "
              f"= {100 * ours / speed['raw sequential']:.0f} % of sequential raw, "
              f"{100 * ours / speed['raw threaded']:.0f} % of threaded")
        print("all runs (s): " + "; ".join(f"{k} {', '.join(f'{v:.1f}' for v in vs)}" for k, vs in timings.items()))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (celery worker commands)")
    parser.add_argument("--concurrency", type=int, default=4, help="prefork children per worker")
    parser.add_argument("--large-gb", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the large-product comparison")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    options = parser.parse_args()
    if settings.RS_STORAGE != "s3" or not settings.IS_POSTGIS:
        sys.exit("the benchmark runs on S3 + PostGIS: source an environment file (e.g. var/ing2.env)")
    call_command("migrate", verbosity=0)
    object_store().ensure_bucket()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"database {settings.DATABASES['default']['NAME']}, store {settings.RS_S3_ENDPOINT_URL} "
          f"bucket {settings.RS_S3_BUCKET}")
    if not options.skip_small:
        bench_small(options.products, options.workers, options.concurrency)
    if not options.skip_large:
        bench_large(options.large_gb, options.rounds)


if __name__ == "__main__":
    main()
