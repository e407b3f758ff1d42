"""What the download, quota and subscription tests share (rs/prip/tests/test_download*, test_quota*,
test_subscription*): users with real tokens of rs.access, products whose bytes are really stored, the filesystem
store, and the delivery of catalog events to the subscriptions consumer without a broker.

The test modules import the fixtures they use from here (pytest registers imported fixtures; each is defined as
`<name>_fixture` with name="<name>", so that a test's parameter does not shadow an imported name)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from rs.access import services as access_services
from rs.access.models import OAuthClient
from rs.catalog import services as catalog_services
from rs.catalog.choices import ProcessingLevel, ProductFamily
from rs.catalog.models import EventDelivery, Product
from rs.catalog.storage import object_store
from rs.catalog.storage.filesystem import FilesystemObjectStore
from rs.catalog.storage.keys import asset_key, product_key

PASSWORD = "correct horse battery staple"
ISSUER = "http://testserver/auth/realms/rs"
PUBLISHED = datetime(2024, 7, 1, tzinfo=UTC)


@pytest.fixture(autouse=True, name="_fast_passwords")
def fast_passwords_fixture(settings: Any) -> None:
    """PBKDF2 at Django's 1M iterations costs ~0.5 s a login; the tests log in often."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, name="_basic_memo")
def basic_memo_fixture() -> Iterator[None]:
    from rs.access.authentication import basic_memo_clear

    basic_memo_clear()
    yield
    basic_memo_clear()


def user_create(username: str) -> Any:
    return get_user_model().objects.create_user(username, f"{username}@example.org", PASSWORD)


@pytest.fixture(name="alice")
def alice_fixture(db: None) -> Any:
    return user_create("alice")


@pytest.fixture(name="bob")
def bob_fixture(db: None) -> Any:
    return user_create("bob")


@pytest.fixture(name="public_client")
def public_client_fixture(db: None, django_capture_on_commit_callbacks: Any) -> OAuthClient:
    """Created by a migration; again after a transactional test flushed the tables. Signing keys ready."""
    with django_capture_on_commit_callbacks(execute=True):
        access_services.signing_keys_ensure()
    return OAuthClient.objects.get_or_create(client_id="cdse-public",
                                             defaults={"grant_types": "password refresh_token"})[0]


def token_of(user: Any, *, issuer: str = ISSUER, now: datetime | None = None) -> str:
    client = OAuthClient.objects.get(client_id="cdse-public")
    return access_services.tokens_issue_for_user(client=client, user=user, scope="profile email", issuer=issuer,
                                                 now=now).access_token


def bearer(user: Any, **kwargs: Any) -> dict[str, str]:
    """Test-client headers of a Bearer token."""
    return {"HTTP_AUTHORIZATION": f"Bearer {token_of(user, **kwargs)}"}


@dataclass(frozen=True)
class Stored:
    product: Product
    data: bytes
    key: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()


def stored_product(name: str, data: bytes, *, mission: str = "S1", product_type: str = "IW_GRDH_1S",
                   family: str = ProductFamily.S1_L1_SLICE, attributes: dict[str, Any] | None = None,
                   publish: bool = True, index: int = 0, suffix: str = ".zip",
                   footprint: Any = None, start: datetime | None = None) -> Stored:
    """A product whose bytes are in the object store (checksums from the upload), published unless told."""
    key = product_key(mission=mission, family=family, name=name, suffix=suffix)
    stored = object_store().put_stream(key=key, stream=data)
    start = start or datetime(2024, 6, 1, tzinfo=UTC) + timedelta(hours=index)
    metadata = catalog_services.ProductMetadata(
        mission=mission, platform="A", family=family, product_type=product_type, level=ProcessingLevel.L1,
        content_start=start, content_end=start + timedelta(seconds=25), footprint=footprint,
        attributes={"productType": product_type, **(attributes or {})})
    product = catalog_services.product_register(
        name=name, metadata=metadata, content_length=stored.size, storage_key=key,
        checksums=catalog_services.Checksums(md5=stored.md5, blake3=stored.blake3, computed_at=stored.stored_at))
    if publish:
        product = catalog_services.product_publish(product_id=product.id, at=PUBLISHED + timedelta(hours=index))
    return Stored(product=product, data=data, key=key)


def quicklook_add(product: Product, data: bytes, *, name: str = "quick-look.jpg") -> uuid.UUID:
    key = asset_key(product_id=product.id, name=name)
    stored = object_store().put_stream(key=key, stream=data)
    asset = catalog_services.asset_add(product_id=product.id, name=name, storage_key=key, content_type="image/jpeg",
                                       content_length=stored.size, md5=stored.md5)
    return asset.id


@pytest.fixture(name="filesystem_store")
def filesystem_store_fixture(settings: Any, tmp_path: Path) -> FilesystemObjectStore:
    """The embedded default's store, under the test's own directory."""
    settings.RS_STORAGE = "filesystem"
    settings.STORAGES = {**settings.STORAGES, "products": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "storage"), "allow_overwrite": True}}}
    store = object_store()
    assert isinstance(store, FilesystemObjectStore)
    store.ensure_bucket()
    return store


def events_deliver() -> int:
    """Run the subscriptions consumer on every pending catalog event, oldest first, as the workers would."""
    from rs.catalog.services import event_deliver
    from rs.subscriptions.consumers import NOTIFY_CONSUMER

    pending = (EventDelivery.objects.filter(consumer=NOTIFY_CONSUMER, delivered_at__isnull=True)
               .order_by("event_id").values_list("event_id", flat=True))
    return sum(event_deliver(event_id=event_id, consumer_name=NOTIFY_CONSUMER) for event_id in list(pending))
