"""Who reads the catalogue through the OData API, and whether they may now (prip-odata.md §11.3, §18).

Every read (Products and their $count, one product and its navigations, FilterList, DeletedProducts, Attributes,
the service root and $metadata) goes through `catalogue_reader`: the credentials presented are checked (a bad one is
a 401, never a silent fall-back to anonymous), an authenticated caller is admitted by the same requests-per-minute
quota as downloads and subscriptions (429 + Retry-After), and the reader carries the visibility the queries AND
with their filter. Anonymous readers (RS_PRIP_ANONYMOUS_SEARCH) see what the rules for everybody show and are not
counted: the quota is per account. The refusals (AccessError, QuotaExceeded) become their OData answers in
`odata_endpoint`, like those of every other route; the reads that show no catalogue rows (service root, $metadata,
Attributes) only admit the caller (`rs.subscriptions.quotas.caller_admit`).

    reader = catalogue_reader(request)
    catalog_page(request=PageRequest(..., visibility=reader.visibility))
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest

from rs.access.principals import Principal
from rs.access.selectors import visibility_filter, visibility_q
from rs.subscriptions import quotas


@dataclass(frozen=True)
class Reader:
    principal: Principal | None  # None: anonymous
    visibility: Q  # what the reader may see, as a condition on mission and product_type


def catalogue_reader(request: HttpRequest) -> Reader:
    """The admitted caller and what it may see."""
    principal = quotas.caller_admit(request=request)
    return Reader(principal=principal, visibility=visibility_q(visibility_filter(principal)))
