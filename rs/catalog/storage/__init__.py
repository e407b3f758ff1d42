"""Product object storage: one interface over the filesystem (embedded default) and S3.

store = object_store()
stored = store.put_stream(key=product_key(...), stream=upload, expected_md5=md5)
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from storages.backends.s3 import S3Storage

from rs.catalog.storage.base import ObjectStore, StoredObject
from rs.catalog.storage.errors import ChecksumMismatch, InvalidKey, ObjectNotFound, StorageError
from rs.catalog.storage.filesystem import FilesystemObjectStore
from rs.catalog.storage.s3 import S3ObjectStore

__all__ = [
    "ChecksumMismatch",
    "InvalidKey",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StoredObject",
    "object_store",
]

# Settings the cached store is built from; changing one (override_settings, pytest-django's `settings`) rebuilds it.
_STORE_SETTINGS = {"RS_STORAGE", "STORAGES"}


@functools.cache
def object_store() -> ObjectStore:
    """The store of this process, built from RS_STORAGE on top of STORAGES["products"]."""
    storage = storages["products"]
    if settings.RS_STORAGE == "s3":
        if not isinstance(storage, S3Storage):
            raise ImproperlyConfigured(f'RS_STORAGE=s3 needs an S3Storage in STORAGES["products"], not {storage!r}')
        return S3ObjectStore.from_storage(storage)
    if not isinstance(storage, FileSystemStorage):
        raise ImproperlyConfigured(
            f'RS_STORAGE=filesystem needs a FileSystemStorage in STORAGES["products"], not {storage!r}'
        )
    return FilesystemObjectStore(storage)


@receiver(setting_changed)
def _object_store_reset(*, setting: str, **kwargs: Any) -> None:
    if setting in _STORE_SETTINGS:
        object_store.cache_clear()
