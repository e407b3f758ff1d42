"""The beat entry point polls due inboxes through the workers; the admin shows inboxes, failures and what
incomplete sessions lack; `ingest` draws a progress bar on a terminal."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from rs.catalog.models import Product
from rs.ingestion import services
from rs.ingestion.choices import EntryState
from rs.ingestion.models import Inbox, InboxEntry
from rs.ingestion.tests.ingestion_support import directory_inbox, ingest_now, wait_for
from rs.ingestion.tests.test_inbox_directory import EOF_NAME, EOF_TEXT
from rs.ingestion.tests.test_sessions import SESSION_ID, _delivery


def test_the_beat_task_polls_due_inboxes_and_the_workers_ingest(celery_worker_factory, tmp_path: Path):
    celery_worker_factory(queues="ingestion").start()
    inbox = directory_inbox(tmp_path / "inbox", poll_interval_s=1)
    disabled = directory_inbox(tmp_path / "off", name="off", enabled=False)
    (tmp_path / "inbox" / EOF_NAME).write_bytes(EOF_TEXT)

    assert services.inboxes_poll_due() == 1  # the disabled inbox is never polled by the beat
    wait_for(lambda: Inbox.objects.get(pk=inbox.pk).last_polled_at is not None, timeout=30)
    wait_for(lambda: Inbox.objects.get(pk=inbox.pk).next_poll_at <= timezone.now(), timeout=5)
    assert services.inboxes_poll_due() == 1  # due again after its interval: the second listing takes the file
    wait_for(lambda: InboxEntry.objects.filter(inbox=inbox, state=EntryState.INGESTED).exists(), timeout=60)
    assert Product.objects.filter(name=EOF_NAME).count() == 1
    assert Inbox.objects.get(pk=disabled.pk).last_polled_at is None


def test_the_beat_task_requeues_abandoned_transfers(db, tmp_path: Path):
    inbox = directory_inbox(tmp_path / "inbox", enabled=False)
    (tmp_path / "inbox" / EOF_NAME).write_bytes(EOF_TEXT)
    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    InboxEntry.objects.update(state=EntryState.TRANSFERRING, heartbeat_at=timezone.now() - timedelta(minutes=5))
    services.inboxes_poll_due()
    entry = InboxEntry.objects.get()
    assert (entry.state, entry.attempts, entry.reason) == (
        EntryState.PENDING, 1, "transfer interrupted (worker lost): re-queued")


def test_the_admin_lists_inboxes_entries_and_what_incomplete_sessions_lack(admin_client, tmp_path: Path):
    files = _delivery(tmp_path)
    inbox_dir = tmp_path / "inbox"
    inbox = directory_inbox(inbox_dir)
    for name, path in files.items():
        if "_ch1_" in name:
            target = inbox_dir / path.relative_to(tmp_path / "staging")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    (inbox_dir / "garbage.bin").write_bytes(b"junk")
    ingest_now(inbox)

    assert admin_client.get("/admin/ingestion/inbox/").status_code == 200
    assert admin_client.get(f"/admin/ingestion/inbox/{inbox.pk}/change/").status_code == 200
    entries = admin_client.get("/admin/ingestion/inboxentry/?state__exact=failed")
    assert entries.status_code == 200 and b"garbage.bin" in entries.content
    sessions = admin_client.get("/admin/ingestion/session/")
    assert sessions.status_code == 200
    assert SESSION_ID.encode() in sessions.content and b"DSIB of channel 2" in sessions.content


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ingest_draws_a_progress_bar_on_a_terminal(transactional_db, tmp_path: Path):
    (tmp_path / EOF_NAME).write_bytes(EOF_TEXT)
    terminal = _Terminal()
    call_command("ingest", str(tmp_path / EOF_NAME), stdout=io.StringIO(), stderr=terminal)
    assert terminal.getvalue() == f"\r[{'#' * 30}] 1/1  failed 0\n"
