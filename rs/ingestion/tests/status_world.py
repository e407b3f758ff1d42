"""Inboxes in every state an operator meets, made by real polls and drains (API and browser tests share them).

- `alpha` (directory): one product ingested; three failed items (an unknown name and an empty file, both copied to
  quarantine, and a symbolic link, never read so not copied); one file seen once, still waiting to be stable.
- `beta` (directory, not drained): one stable file pending transfer.
- `downlink` (directory): a two-channel session whose channel 2 still lacks its second chunk.
- `remote` (OData, disabled): its last poll could not reach the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rs.ingestion import services
from rs.ingestion.models import Inbox, InboxEntry, Session
from rs.ingestion.tests.ingestion_support import directory_inbox, entry_of, ingest_now, poll_until_settled
from rs.ingestion.tests.test_inbox_directory import EOF_NAME, EOF_TEXT
from rs.ingestion.tests.test_sessions import CH2_CHUNK2, SESSION_ID, _deliver, _delivery

EMPTY_EOF = EOF_NAME.replace("T130700", "T140700")
LINK_EOF = EOF_NAME.replace("T130700", "T170700")
WAITING_EOF = EOF_NAME.replace("T130700", "T180700")
PENDING_EOF = EOF_NAME.replace("T130700", "T190700")
UNREACHABLE = "http://127.0.0.1:9/odata/v1"


@dataclass
class StatusWorld:
    alpha: Inbox
    beta: Inbox
    downlink: Inbox
    remote: Inbox
    alpha_dir: Path
    garbage: InboxEntry
    empty: InboxEntry
    link: InboxEntry
    session: Session


def status_world(tmp_path: Path) -> StatusWorld:
    alpha_dir = tmp_path / "alpha"
    alpha = directory_inbox(alpha_dir, name="alpha")
    (alpha_dir / EOF_NAME).write_bytes(EOF_TEXT)
    (alpha_dir / "garbage.bin").write_bytes(b"not a product")
    (alpha_dir / EMPTY_EOF).write_bytes(b"")
    (alpha_dir / LINK_EOF).symlink_to("/etc/hostname")
    ingest_now(alpha)
    (alpha_dir / WAITING_EOF).write_bytes(EOF_TEXT)
    services.inbox_poll(inbox_id=alpha.pk, enqueue=False)  # seen once: not stable yet

    beta = directory_inbox(tmp_path / "beta", name="beta")
    (tmp_path / "beta" / PENDING_EOF).write_bytes(EOF_TEXT)
    poll_until_settled(beta)

    downlink = directory_inbox(tmp_path / "downlink", name="downlink")
    files = _delivery(tmp_path)
    _deliver(files, [name for name in files if name != CH2_CHUNK2], tmp_path / "downlink", tmp_path / "staging")
    ingest_now(downlink)

    remote = services.inbox_create(name="remote", kind="odata", location=UNREACHABLE, enabled=False)
    services.inbox_poll(inbox_id=remote.pk, enqueue=False)

    return StatusWorld(
        alpha=alpha, beta=beta, downlink=downlink, remote=Inbox.objects.get(pk=remote.pk), alpha_dir=alpha_dir,
        garbage=entry_of(alpha, "garbage.bin"), empty=entry_of(alpha, EMPTY_EOF), link=entry_of(alpha, LINK_EOF),
        session=Session.objects.get(session_id=SESSION_ID),
    )
