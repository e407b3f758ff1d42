"""Writes of the campaigns app."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max

from rs.campaigns.choices import DatasetRole
from rs.campaigns.constants import DATASET_NAME_PATTERN, MAX_DATASET_PRODUCTS
from rs.campaigns.errors import InvalidDataset
from rs.campaigns.models import DatasetProduct, ReferenceDataset
from rs.catalog.query.errors import QueryError
from rs.catalog.query.selectors import ProductRef, operational_products_matching
from rs.errors import Conflict


@dataclass(frozen=True)
class DatasetRequest:
    """Inputs picked by a PRIP `$filter` and/or by name; reference outputs likewise (optional)."""

    name: str
    description: str = ""
    input_filter: str = ""
    input_names: tuple[str, ...] = ()
    reference_filter: str = ""
    reference_names: tuple[str, ...] = ()


def _pick(*, role: str, filter_text: str, names: tuple[str, ...]) -> list[ProductRef]:
    try:
        found = operational_products_matching(filter_text=filter_text.strip(), names=names,
                                              limit=MAX_DATASET_PRODUCTS)
    except QueryError as exc:
        raise InvalidDataset(f"{role}_filter: {exc}", details=exc.details) from None
    if len(found) > MAX_DATASET_PRODUCTS:
        raise InvalidDataset(f"the {role} selection matches more than {MAX_DATASET_PRODUCTS} products: narrow it")
    if names and not filter_text.strip():
        unknown = sorted(set(names) - {ref.name for ref in found})
        if unknown:
            raise InvalidDataset(f"{len(unknown)} {role} product(s) not in the catalogue: {', '.join(unknown[:10])}",
                                 details={"unknown": unknown})
    return found


def dataset_create(*, request: DatasetRequest, created_by_id: int | None = None) -> ReferenceDataset:
    """Pin a new version of the dataset `request.name` (version 1 when the name is new). Nothing is written when a
    selection is refused."""
    if not re.match(DATASET_NAME_PATTERN, request.name):
        raise InvalidDataset(f"name {request.name!r}: letters, digits, '.', '_' and '-', at most 64, no leading "
                             "punctuation")
    if not (request.input_filter.strip() or request.input_names):
        raise InvalidDataset("a dataset needs inputs: give input_filter or input_names")
    inputs = _pick(role="input", filter_text=request.input_filter, names=request.input_names)
    if not inputs:
        raise InvalidDataset("the input selection matches no product")
    references = []
    if request.reference_filter.strip() or request.reference_names:
        references = _pick(role="reference", filter_text=request.reference_filter, names=request.reference_names)
        if not references:
            raise InvalidDataset("the reference selection matches no product")
    both = sorted({r.name for r in inputs} & {r.name for r in references})
    if both:
        raise InvalidDataset(f"a product cannot be both input and reference output: {', '.join(both[:10])}")
    try:
        with transaction.atomic():
            latest = ReferenceDataset.objects.filter(name=request.name).aggregate(v=Max("version"))["v"] or 0
            dataset = ReferenceDataset.objects.create(
                name=request.name, version=latest + 1, description=request.description,
                selection=request.input_filter.strip(), created_by_id=created_by_id)
            DatasetProduct.objects.bulk_create(
                [DatasetProduct(dataset=dataset, product_id=r.id, role=DatasetRole.INPUT, product_name=r.name,
                                product_type=r.product_type) for r in inputs]
                + [DatasetProduct(dataset=dataset, product_id=r.id, role=DatasetRole.REFERENCE_OUTPUT,
                                  product_name=r.name, product_type=r.product_type) for r in references])
    except IntegrityError:  # the same name's next version was created concurrently
        raise Conflict(f"another version of {request.name!r} was created at the same moment; retry") from None
    return dataset
