"""Quarantine: bad items are copied to `quarantine/<day>/<entry id>-<name>` with their reason on the entry.

Pickup points are never modified (remote ones are not ours to change, and a directory inbox may be shared), so
"moving to quarantine" means keeping a copy of the bytes as received, out of the catalogue, for an operator.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from rs.catalog.storage import object_store
from rs.catalog.storage.keys import quarantine_key
from rs.ingestion.errors import BadInput
from rs.ingestion.packaging import package_of
from rs.ingestion.sources.layout import safe_file_name

if TYPE_CHECKING:
    from rs.ingestion.models import InboxEntry
    from rs.ingestion.sources import LocalItem

logger = logging.getLogger(__name__)


def quarantine_object_key(*, entry: InboxEntry, suffix: str, at: datetime) -> str:
    return quarantine_key(name=f"{entry.pk}-{safe_file_name(entry.name)}{suffix}", received_at=at)


def quarantine_copy(*, entry: InboxEntry, local: LocalItem) -> str:
    """Store the item's bytes under the quarantine prefix; '' when they cannot be read (links, unreadable files).

    Storage errors propagate: the entry is then retried instead of being failed without its copy.
    """
    try:
        package = package_of(local.path, archive=".zip")
    except (BadInput, OSError) as exc:
        logger.info("entry %s: bytes not copied to quarantine (%s)", entry.pk, exc)
        return ""
    key = quarantine_object_key(entry=entry, suffix=package.suffix, at=timezone.now())
    try:
        object_store().put_stream(key=key, stream=package.chunks(), content_type=package.content_type)
    except (BadInput, OSError) as exc:  # unreadable member discovered while copying
        logger.info("entry %s: bytes not copied to quarantine (%s)", entry.pk, exc)
        return ""
    return key
