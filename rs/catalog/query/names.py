"""The two conventions for `Name` (prip-odata.md §2.8): CDSE (the catalog name, `….SAFE`) or PRIP (the delivered
file, `….SAFE.zip`: the last segment of the storage key). One deployment setting chooses; filters, ordering and the
JSON all follow it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Case, CharField, F, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Reverse, Right, StrIndex

CONVENTIONS = ("cdse", "prip")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip", ".tar")


def name_convention() -> str:
    value = getattr(settings, "RS_PRIP_NAME_CONVENTION", "cdse")
    if value not in CONVENTIONS:
        raise ImproperlyConfigured(f"RS_PRIP_NAME_CONVENTION={value!r}: use one of {', '.join(CONVENTIONS)}")
    return str(value)


def delivered_file_name(*, name: str, storage_key: str) -> str:
    """What a download saves: the object's file name, or the catalog name for metadata-only entries."""
    return storage_key.rsplit("/", 1)[-1] if storage_key else name


def delivered_file_name_expression() -> Expression:
    """delivered_file_name() in SQL, portable (PostgreSQL and SpatiaLite)."""
    after_last_slash = Right("storage_key", StrIndex(Reverse("storage_key"), Value("/")) - 1)
    return Case(
        When(storage_key="", then=F("name")),
        When(storage_key__contains="/", then=after_last_slash),
        default=F("storage_key"),
        output_field=CharField(),
    )


def catalog_name_candidates(file_name: str) -> list[str]:
    """Catalog names a delivered file name can come from (itself, or without its archive suffix): lets an exact
    match on the PRIP name use the index on the catalog name first."""
    candidates = [file_name]
    for suffix in ARCHIVE_SUFFIXES:
        if file_name.endswith(suffix) and len(file_name) > len(suffix):
            candidates.append(file_name[: -len(suffix)])
    return candidates
