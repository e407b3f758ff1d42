"""The command-line interface: ingest, inbox, quarantine, demo — exact output and exit statuses."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from conftest import ROOT, worker_database_url
from rs.catalog.models import Product
from rs.catalog.storage import object_store
from rs.catalog.tests import factories
from rs.ingestion.choices import EntryState
from rs.ingestion.models import Inbox, InboxEntry
from rs.ingestion.tests.ingestion_support import directory_inbox
from rs.ingestion.tests.test_inbox_directory import EOF_NAME, EOF_TEXT
from rs.production.models import ProductionRule

OTHER = EOF_NAME.replace("T130700", "T140700")
UNRECOGNISED = ("unrecognised name: garbage.bin: matches no Sentinel product, auxiliary, Earth Explorer or session "
                "file pattern")


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[CommandError, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(*args, stdout=out, stderr=err)
    return failure.value, out.getvalue(), err.getvalue()


@pytest.fixture
def two_eofs(tmp_path: Path) -> Path:
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / EOF_NAME).write_bytes(EOF_TEXT)
    (folder / OTHER).write_bytes(EOF_TEXT.replace(b"13:07:00", b"14:07:00"))
    return folder


def test_ingest_catalogues_paths_and_prints_a_summary_table(transactional_db, two_eofs: Path):
    out, err = run("ingest", str(two_eofs))

    first, second = (Product.objects.get(name=name) for name in (EOF_NAME, OTHER))
    width = len(str(two_eofs / EOF_NAME))
    assert out.splitlines() == [
        f"{'STATUS':<9} {'PATH':<{width}} DETAIL",
        f"{'ingested':<9} {two_eofs / EOF_NAME} {EOF_NAME} {first.id}",
        f"{'ingested':<9} {two_eofs / OTHER} {OTHER} {second.id}",
        "ingested: 2",
    ]
    assert err == ""  # no progress bar when the output is not a terminal

    again, _ = run("ingest", str(two_eofs / EOF_NAME), "--no-publish")
    assert again.splitlines()[1:] == [f"{'already':<9} {two_eofs / EOF_NAME} {EOF_NAME} {first.id}", "already: 1"]


def test_ingest_fails_with_status_1_when_an_item_fails_and_2_when_nothing_exists(transactional_db, two_eofs: Path):
    (two_eofs / "garbage.bin").write_bytes(b"junk")
    failure, out, _ = run_failing("ingest", str(two_eofs / "garbage.bin"), str(two_eofs / EOF_NAME))
    entry = InboxEntry.objects.get(key__endswith="garbage.bin")
    assert (failure.returncode, str(failure)) == (1, "1 of 2 item(s) not ingested")
    width = len(str(two_eofs / EOF_NAME))
    assert out.splitlines()[2] == (f"failed    {two_eofs / 'garbage.bin'!s:<{width}} {UNRECOGNISED} "
                                   f"[quarantine: {entry.quarantine_key}]")
    assert out.splitlines()[-1] == "ingested: 1, failed: 1"

    missing, _, err = run_failing("ingest", str(two_eofs / "nothing-here"))
    assert (missing.returncode, str(missing)) == (2, "nothing to ingest")
    assert err == f"{two_eofs / 'nothing-here'}: no such file or folder\n"


def test_ingest_exit_status_and_streams_of_the_real_process(transactional_db, two_eofs: Path):
    (two_eofs / "garbage.bin").write_bytes(b"junk")
    env = {**os.environ, "DATABASE_URL": worker_database_url()}
    done = subprocess.run([sys.executable, "manage.py", "ingest", str(two_eofs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "ingested: 2, failed: 1"
    assert done.stderr.strip() == "CommandError: 1 of 3 item(s) not ingested"


def test_inbox_list_and_poll(db, tmp_path: Path):
    inbox = directory_inbox(tmp_path / "inbox", name="local")
    (tmp_path / "inbox" / EOF_NAME).write_bytes(EOF_TEXT)

    first, _ = run("inbox", "poll", "local")
    second, _ = run("inbox", "poll", "local")
    listing, _ = run("inbox", "list")

    assert first.splitlines() == ["polled local: listed 1, new 1, pending 0, waiting 1, skipped 0, changed 0",
                                  "ingested 0, failed 0, retry later 0"]
    assert second.splitlines() == ["polled local: listed 1, new 0, pending 1, waiting 0, skipped 0, changed 0",
                                   "ingested 1, failed 0, retry later 0"]
    inbox.refresh_from_db()
    location = str(tmp_path / "inbox")
    header, row = listing.splitlines()
    assert header.split() == ["NAME", "KIND", "ENABLED", "LOCATION", "WAITING", "PENDING", "TRANSFERRING",
                              "INGESTED", "SKIPPED", "FAILED", "LAST", "POLL", "ERROR"]
    assert row.split() == ["local", "directory", "yes", location, "0", "0", "0", "1", "0", "0",
                           inbox.last_polled_at.strftime("%Y-%m-%dT%H:%M:%SZ")]
    unknown, _, _ = run_failing("inbox", "poll", "nowhere")
    assert str(unknown) == "no inbox named 'nowhere'"


def test_quarantine_list_retry_and_purge(transactional_db, tmp_path: Path):
    inbox = directory_inbox(tmp_path / "inbox", name="local")
    (tmp_path / "inbox" / "garbage.bin").write_bytes(b"junk")
    run("inbox", "poll", "local")
    run("inbox", "poll", "local")
    entry = InboxEntry.objects.get(inbox=inbox)

    listing, _ = run("quarantine", "list")
    assert listing.splitlines() == [
        f"{entry.pk}  local  {entry.finished_at:%Y-%m-%dT%H:%M:%SZ}  garbage.bin",
        f"    reason: {UNRECOGNISED}",
        f"    quarantine: {entry.quarantine_key}",
        "1 failed entry",
    ]
    assert run("quarantine", "retry", str(entry.pk))[0] == "1 entry queued again\n"
    entry.refresh_from_db()
    assert (entry.state, entry.attempts) == (EntryState.PENDING, 0)
    assert run("quarantine", "list")[0] == "no failed entries\n"

    assert run("quarantine", "purge", "--all")[0] == "1 quarantine copy deleted\n"
    assert not object_store().exists(entry.quarantine_key)
    entry.refresh_from_db()
    assert entry.quarantine_key == ""

    usage, _, _ = run_failing("quarantine", "retry")
    assert (usage.returncode, str(usage)) == (2, "give entry ids or --all")


def test_demo_generate_and_demo_inbox(db, tmp_path: Path):
    target = tmp_path / "demo"
    assert run("demo", "generate", str(target))[0] == f"50 demo items in {target}\n"
    assert run("demo", "generate", str(target))[0] == f"50 demo items in {target}\n"  # nothing rewritten
    assert run("demo", "inbox", str(target))[0] == f"inbox demo created on {target}\n"
    assert run("demo", "inbox", str(target))[0] == f"inbox demo on {target} (already there)\n"
    failure, _, _ = run_failing("demo", "inbox", str(tmp_path / "missing"))
    missing = tmp_path / "missing"
    assert str(failure) == f"{missing} is not a directory (run `demo generate {missing}` first)"


def test_demo_load_sets_up_the_chains_the_products_and_their_inbox_only_on_an_empty_catalog(db, tmp_path: Path):
    target = tmp_path / "demo"
    assert run("demo", "load", str(target), "--if-empty")[0] == (
        "demo processors: 10 imported, 0 already there; demo rules: 10 created, 0 kept as they are\n"
        f"50 demo items in {target}\n"
        f"inbox demo created on {target}\n")
    assert list(Inbox.objects.values_list("name", "location", "enabled")) == [("demo", str(target), True)]
    assert ProductionRule.objects.filter(name__startswith="demo-").count() == 10

    factories.product()
    ProductionRule.objects.filter(name="demo-s2-l1").update(enabled=False)
    removed = sorted(item for item in target.iterdir() if item.is_file())[0]
    removed.unlink()
    assert run("demo", "load", str(target), "--if-empty")[0] == "the catalog has products: demo not loaded\n"
    assert ProductionRule.objects.get(name="demo-s2-l1").enabled is False
    assert not removed.exists()

    Inbox.objects.filter(name="demo").update(enabled=False)
    assert run("demo", "load", str(target))[0] == (  # without --if-empty: missing parts only, edits kept
        "demo processors: 0 imported, 10 already there; demo rules: 0 created, 10 kept as they are\n"
        f"50 demo items in {target}\n"
        f"inbox demo on {target} (already there, disabled: left as the operator set it)\n")
    assert ProductionRule.objects.get(name="demo-s2-l1").enabled is False
    assert Inbox.objects.get(name="demo").enabled is False
