"""What a download request may fetch: the stored object of a visible, published product (or of one of its assets),
resolved for one principal in one query. Invisible and unpublished products are "not found", never "forbidden"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from rs.access.principals import Principal
from rs.access.selectors import download_allowed
from rs.catalog.choices import AssetType
from rs.catalog.models import DeletedProduct, ProductAsset
from rs.catalog.selectors import products_published
from rs.errors import DomainError, NotFound
from rs.prip.odata.serializers import timestamp


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
    row = (products_published().filter(pk=product_id)
           .values("name", "mission", "product_type", "storage_key", "content_length", "content_type", "md5",
                   "online", "eviction_date").first())
    if row is None or not download_allowed(principal, _Mission(row["mission"], row["product_type"])):
        raise NotFound(f"No product with Id {product_id}")
    if not row["online"] or not row["storage_key"]:
        # the DeletedProduct says when it really went; the EvictionDate is when it was due
        evicted_at = DeletedProduct.objects.filter(pk=product_id).values_list("deletion_date", flat=True).first()
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
    asset = (ProductAsset.objects.filter(product__in=products_published(), product_id=product_id,
                                         type=AssetType.QUICKLOOK, name=image)
             .select_related("product").first())
    return _asset_target(principal, asset, f"No quicklook {image!r} of product {product_id}")


def asset_target(*, principal: Principal, asset_id: uuid.UUID) -> DownloadTarget:
    asset = ProductAsset.objects.filter(product__in=products_published(), pk=asset_id).select_related("product").first()
    return _asset_target(principal, asset, f"No asset with Id {asset_id}")
