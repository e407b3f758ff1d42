"""An OData pickup point (another PRIP, an AUXIP, CDSE) on a live local server: moving PublicationDate window with
overlap, nextLink paging, HTTP Basic and OAuth2 bearer, redirects to pre-signed URLs, bad input quarantined.

The server is `remote_servers.ODataServer`; a fixture offering the same `base_url`, `add_product` and
`inbox_options` on this project's PRIP can replace it (see that module)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from rs.catalog.models import Product
from rs.ingestion import services
from rs.ingestion.choices import EntryState
from rs.ingestion.demo import demo_generate
from rs.ingestion.models import Inbox, InboxEntry
from rs.ingestion.tests.ingestion_support import states_of
from rs.ingestion.tests.remote_servers import ODataServer, StorageServer


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory) -> dict[str, bytes]:
    """name as a PRIP lists it → bytes served: EOF files, zipped SAFEs (PRIP style '….SAFE.zip')."""
    root = tmp_path_factory.mktemp("demo")
    items = {}
    for written in demo_generate(root):
        if written.path.suffix in (".EOF", ".zip"):
            items[written.path.name] = written.path.read_bytes()
    return items


@pytest.fixture
def prip(request) -> Iterator[ODataServer]:
    with ODataServer(auth=getattr(request, "param", "basic")).running() as server:
        yield server  # type: ignore[misc]


def _inbox(server: ODataServer, **options) -> Inbox:
    return services.inbox_create(name="remote-prip", kind="odata", location=server.base_url, page_size=2,
                                 start_date=timezone.now() - timedelta(days=2), window_s=86400, overlap_s=600,
                                 lag_s=0, **{**server.inbox_options, **options})


def test_products_are_listed_page_by_page_and_ingested_with_their_publication_date(db, prip, deliveries):
    now = timezone.now()
    names = sorted(deliveries)[:5]
    published = {name: now - timedelta(hours=30 - 5 * i) for i, name in enumerate(names)}
    for name in names:
        prip.add_product(name, deliveries[name], published[name])
    inbox = _inbox(prip)

    summary = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    services.inbox_drain(inbox_id=inbox.pk)

    assert (summary.new, summary.pending, summary.error) == (5, 5, "")
    assert states_of(inbox) == {EntryState.INGESTED: 5}
    listing = [path for path, _ in prip.requests if path.endswith("/Products")]
    assert len(listing) == 3 + 1  # 5 products in pages of 2 in the first window, an empty second window
    for name in names:
        product = Product.objects.get(name=name.removesuffix(".zip"))
        assert product.origin_date == published[name].replace(microsecond=published[name].microsecond)
        assert product.md5 == hashlib.md5(deliveries[name], usedforsecurity=False).hexdigest()
    inbox.refresh_from_db()
    assert inbox.cursor["window_start"] >= (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")


def test_the_window_overlap_catches_late_publications_without_duplicates(db, prip, deliveries):
    names = sorted(deliveries)
    prip.add_product(names[0], deliveries[names[0]], timezone.now() - timedelta(hours=1))
    inbox = _inbox(prip)
    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    # published "in the past" after the window passed it, but within the overlap of the next window
    prip.add_product(names[1], deliveries[names[1]], timezone.now() - timedelta(minutes=5))
    again = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert (again.listed, again.new) == (1, 1)  # the first product is outside the overlap, the late one inside
    services.inbox_drain(inbox_id=inbox.pk)
    assert states_of(inbox) == {EntryState.INGESTED: 2}


@pytest.mark.parametrize("prip", ["bearer"], indirect=True)
def test_bearer_tokens_are_fetched_once_and_credentials_never_follow_a_redirect(db, prip, deliveries):
    with StorageServer().running() as storage:
        prip.storage, prip.redirect_downloads = storage, True  # type: ignore[assignment]
        name = sorted(deliveries)[0]
        prip.add_product(name, deliveries[name], timezone.now() - timedelta(hours=1))
        inbox = _inbox(prip)
        services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
        services.inbox_drain(inbox_id=inbox.pk)
        assert states_of(inbox) == {EntryState.INGESTED: 1}
        assert len(prip.tokens) == 1
        assert all(auth.startswith("Bearer ") for _, auth in prip.requests)
        assert [auth for _, auth in storage.requests] == [""]


@pytest.mark.parametrize("prip", ["bearer"], indirect=True)
def test_the_password_grant_and_a_revoked_token_renewed_once(db, prip, deliveries):
    names = sorted(deliveries)[:2]
    prip.add_product(names[0], deliveries[names[0]], timezone.now() - timedelta(hours=2))
    inbox = _inbox(prip, auth="oauth2_password", username=prip.username, password=prip.password, client_secret="")
    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    first_token = prip.requests[-1][1]
    revoked_at = len(prip.requests)
    prip.tokens.clear()  # the server forgets every token it issued (restart, revocation)
    prip.add_product(names[1], deliveries[names[1]], timezone.now() - timedelta(minutes=2))
    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    services.inbox_drain(inbox_id=inbox.pk)
    assert states_of(inbox) == {EntryState.INGESTED: 2}
    after = [auth for _, auth in prip.requests[revoked_at:]]
    assert after[0] == first_token  # refused with 401…
    assert len(prip.tokens) == 1 and all(auth == f"Bearer {next(iter(prip.tokens))}" for auth in after[1:])


def test_refused_credentials_are_reported_on_the_inbox_and_the_window_does_not_move(db, prip):
    inbox = _inbox(prip, password="wrong")
    summary = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert summary.error.startswith(f"GET {prip.base_url}/Products?%24filter=PublicationDate%20ge%20")
    assert summary.error.endswith('HTTP 401: credentials refused ({"error": {"code": "Unauthorized", '
                                  '"message": "credentials required"}})')
    inbox.refresh_from_db()
    assert (inbox.last_poll_error, inbox.cursor) == (summary.error, {})


def test_bad_remote_items_are_quarantined_and_offline_ones_skipped(db, prip, deliveries):
    eofs = sorted(n for n in deliveries if n.endswith(".EOF"))
    hour_ago = timezone.now() - timedelta(hours=1)
    wrong = prip.add_product(eofs[0], deliveries[eofs[0]], hour_ago, announced_md5="0" * 32)
    traversal = prip.add_product(f"../../{eofs[1]}", deliveries[eofs[1]], hour_ago)
    offline = prip.add_product(sorted(n for n in deliveries if n.endswith(".zip"))[0], b"", hour_ago, online=False)
    inbox = _inbox(prip)

    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    services.inbox_drain(inbox_id=inbox.pk)

    entries = {e.key: e for e in InboxEntry.objects.filter(inbox=inbox)}
    true_md5 = hashlib.md5(deliveries[eofs[0]], usedforsecurity=False).hexdigest()
    assert entries[wrong.id].state == EntryState.FAILED
    assert entries[wrong.id].reason == (f"checksum mismatch: the source announced MD5 {'0' * 32}, "
                                        f"the bytes received have {true_md5}")
    assert entries[traversal.id].reason == f"unrecognised name: ../../{eofs[1]}: path traversal ('..')"
    assert entries[traversal.id].quarantine_key.endswith(f"/{entries[traversal.id].pk}-{eofs[1]}")
    assert (entries[offline.id].state, entries[offline.id].reason) == (
        EntryState.SKIPPED, "offline at the source (Online=false)")
    assert not Product.objects.exists()


def test_a_cdse_style_name_served_as_a_zip_is_stored_as_a_zip(db, prip, deliveries):
    zipped = sorted(n for n in deliveries if n.endswith(".SAFE.zip"))[0]
    prip.add_product(zipped.removesuffix(".zip"), deliveries[zipped], timezone.now() - timedelta(hours=1))
    inbox = _inbox(prip)
    services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    services.inbox_drain(inbox_id=inbox.pk)
    product = Product.objects.get()
    assert product.name == zipped.removesuffix(".zip")
    assert product.storage_key.endswith(f"/{zipped}")


def test_an_unreachable_server_is_a_poll_error(db, tmp_path: Path):
    inbox = services.inbox_create(name="gone", kind="odata", location="http://127.0.0.1:9/odata/v1", lag_s=0)
    summary = services.inbox_poll(inbox_id=inbox.pk, enqueue=False)
    assert summary.error.startswith("GET http://127.0.0.1:9/odata/v1/Products?")
    assert "ConnectionRefusedError" in summary.error or "Connection refused" in summary.error
