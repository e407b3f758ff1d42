"""Where the time of one small product goes (never part of the suite): ingests N small products in this process
under cProfile, counting SQL queries and S3 requests per product.

    set -a && . var/services.env && set +a
    .venv/bin/python bench/ingestion/profile_small.py [--products 200] [--top 30]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingestion import ROOT, small_products  # sets Django up
from django.db import connection

from rs.catalog.storage import object_store
from rs.ingestion import batching, services
from rs.ingestion.choices import EntryState
from rs.ingestion.models import InboxEntry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true", help="time and count only (no profiler overhead)")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime …")
    parser.add_argument("--threads", type=int, default=None,
                        help="upload threads of a batch (1: everything in this thread, as the profiler sees it)")
    options = parser.parse_args()
    if options.threads is not None:
        batching.UPLOAD_THREADS = options.threads
    folder = Path(tempfile.mkdtemp(prefix="profile-inbox-", dir=ROOT / "var"))
    try:
        small_products(folder, options.products)
        inbox = services.inbox_create(name=f"profile-{uuid.uuid4().hex[:8]}", kind="directory",
                                      location=str(folder), enabled=False)
        services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
        services.inbox_poll(inbox_id=inbox.pk, enqueue=False)

        queries: Counter[str] = Counter()

        def count_query(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            queries[sql.split(" ", 1)[0].upper()] += 1
            return execute(sql, params, many, context)

        requests: Counter[str] = Counter()
        client = object_store()._client  # type: ignore[attr-defined]
        client.meta.events.register("before-call.s3.*", lambda model, **_: requests.update([model.name]))

        profile = cProfile.Profile()
        cpu, wall = time.process_time(), time.monotonic()
        with connection.execute_wrapper(count_query):
            if not options.no_profile:
                profile.enable()
            services.inbox_drain(inbox_id=inbox.pk)
            profile.disable()
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        ingested = InboxEntry.objects.filter(inbox=inbox, state=EntryState.INGESTED).count()
        per = max(ingested, 1)
        print(f"{ingested}/{options.products} ingested in {wall:.2f} s wall, {cpu:.2f} s CPU of this process: "
              f"{1000 * wall / per:.1f} ms wall, {1000 * cpu / per:.1f} ms CPU per product")
        print(f"SQL per product: {sum(queries.values()) / per:.1f} "
              f"({', '.join(f'{k} {v / per:.2f}' for k, v in queries.most_common())})")
        print(f"S3 requests per product: {sum(requests.values()) / per:.2f} "
              f"({', '.join(f'{k} {v / per:.2f}' for k, v in requests.most_common())})")
        if not options.no_profile:
            pstats.Stats(profile).sort_stats(options.sort).print_stats(options.top)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
