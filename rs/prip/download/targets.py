"""What a download request may fetch: the stored object of a visible, published product (or of one of its assets),
resolved for one principal in one query. Invisible and unpublished products are "not found", never "forbidden"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rs.access.principals import Principal
from rs.access.selectors import download_allowed
from rs.catalog import selectors as catalog
from rs.catalog.choices import AssetType
from rs.errors import DomainError, NotFound
from rs.prip.odata.serializers import timestamp

if TYPE_CHECKING:
    from rs.catalog.selectors import ProductAsset


@dataclass(frozen=True)
class DownloadTarget:
    key: str  # object key in the store
    filename: str  # the key's last segment: the real name of the bytes
    size: int  # ContentLength of the catalogue
    content_type: str
    md5: str  # hex, '' when unknown
    metered: bool  # products count against the byte and concurrency quotas; quicklooks only as requests


@dataclass
class _Mission:
    mission: str
    product_type: str


class ProductOffline(DomainError):
    """The product was evicted: its entry stays, its bytes are gone (410, prip-odata.md §9)."""

    status = 410
    code = "ProductOffline"


def _filename(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def product_target(*, principal: Principal, product_id: uuid.UUID) -> DownloadTarget:
    row = catalog.product_download_facts(product_id=product_id)
    if row is None or not download_allowed(principal, _Mission(row["mission"], row["product_type"])):
        raise NotFound(f"No product with Id {product_id}")
    if not row["online"] or not row["storage_key"]:
        # the DeletedProduct says when it really went; the EvictionDate is when it was due
        evicted_at = catalog.product_deletion_date(product_id=product_id)
        when = timestamp(evicted_at or row["eviction_date"])
        if when is None:
            raise ProductOffline(f"Product {row['name']} is offline: it has no stored object.")
        raise ProductOffline(f"Product {row['name']} was evicted on {when}: it is offline and cannot be downloaded.")
    key = row["storage_key"]
    return DownloadTarget(key=key, filename=_filename(key), size=row["content_length"],
                          content_type=row["content_type"], md5=row["md5"], metered=True)


def _asset_target(principal: Principal, asset: ProductAsset | None, missing: str) -> DownloadTarget:
    if asset is None or not download_allowed(principal, _Mission(asset.product.mission, asset.product.product_type)):
        raise NotFound(missing)
    return DownloadTarget(key=asset.storage_key, filename=_filename(asset.storage_key), size=asset.content_length,
                          content_type=asset.content_type, md5=asset.md5, metered=False)


def quicklook_target(*, principal: Principal, product_id: uuid.UUID, image: str) -> DownloadTarget:
    asset = catalog.published_asset_by_name(product_id=product_id, asset_type=AssetType.QUICKLOOK, name=image)
    return _asset_target(principal, asset, f"No quicklook {image!r} of product {product_id}")


def asset_target(*, principal: Principal, asset_id: uuid.UUID) -> DownloadTarget:
    asset = catalog.published_asset_get(asset_id=asset_id)
    return _asset_target(principal, asset, f"No asset with Id {asset_id}")
