"""Writes of the campaigns app."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from rs.campaigns import selectors
from rs.campaigns.choices import CampaignState, DatasetRole
from rs.campaigns.constants import (
    DATASET_NAME_PATTERN,
    DEFAULT_IGNORED_FIELDS,
    MAX_CAMPAIGN_VERSIONS,
    MAX_DATASET_PRODUCTS,
    MAX_REPETITIONS,
)
from rs.campaigns.errors import InvalidCampaign, InvalidDataset
from rs.campaigns.models import Campaign, CampaignRun, CampaignVersion, DatasetProduct, ReferenceDataset
from rs.catalog import selectors as catalog_selectors
from rs.catalog.models import Product
from rs.catalog.query.errors import QueryError
from rs.catalog.query.selectors import ProductRef, operational_products_matching
from rs.errors import Conflict, NotFound
from rs.production import selectors as production_selectors
from rs.production import services as production_services
from rs.production.models import ProcessorVersion, ProductionRule
from rs.production.orders.validation import parameters_check, template_rule_pick


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


# --- campaigns -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRequest:
    """What an operator asks for, as given (the API serializer and the admin form only parse types). `versions`:
    [{"processor_version": id, "parameters": {name: value}, "label": "B"}, …], the first being the baseline."""

    name: str
    dataset_id: int | None
    versions: Sequence[Mapping[str, Any]]
    rule_name: str = ""
    repetitions: int = 1
    tolerances: Mapping[str, Any] = field(default_factory=dict)
    created_by_id: int | None = None


@dataclass
class _CheckedVersion:
    version: ProcessorVersion
    parameters: dict[str, str]
    label: str


def _tolerances_check(given: Any, errors: dict[str, str]) -> dict[str, Any]:
    if not isinstance(given, Mapping):
        errors["tolerances"] = "an object with time_s, number_abs, number_rel and ignore"
        return {}
    unknown = sorted(set(given) - {"time_s", "number_abs", "number_rel", "ignore"})
    if unknown:
        errors["tolerances"] = f"unknown key(s) {', '.join(unknown)} (time_s, number_abs, number_rel, ignore)"
        return {}
    checked: dict[str, Any] = {}
    for key in ("time_s", "number_abs", "number_rel"):
        value = given.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            errors["tolerances"] = f"{key}: a number >= 0, not {value!r}"
            return {}
        checked[key] = float(value)
    ignore = given.get("ignore", list(DEFAULT_IGNORED_FIELDS))
    if not isinstance(ignore, list | tuple) or not all(isinstance(p, str) and p.strip() for p in ignore):
        errors["tolerances"] = "ignore: a list of field path patterns (e.g. */processing/@start)"
        return {}
    checked["ignore"] = [p.strip() for p in ignore]
    return checked


def _versions_check(given: Any, errors: dict[str, str]) -> list[_CheckedVersion]:
    if not isinstance(given, list | tuple) or not given:
        errors["versions"] = "at least one processor version to run: [{\"processor_version\": id, …}, …]"
        return []
    if len(given) > MAX_CAMPAIGN_VERSIONS:
        errors["versions"] = f"at most {MAX_CAMPAIGN_VERSIONS} versions per campaign"
        return []
    checked: list[_CheckedVersion] = []
    problems: list[str] = []
    for n, item in enumerate(given, start=1):
        if not isinstance(item, Mapping) or isinstance(item.get("processor_version"), bool) or not isinstance(
                item.get("processor_version"), int):
            problems.append(f"#{n}: an object with the processor_version id")
            continue
        try:
            version = production_selectors.processor_version_by_id(version_id=item["processor_version"])
        except NotFound:
            problems.append(f"#{n}: unknown processor version {item['processor_version']}")
            continue
        version_errors: dict[str, str] = {}
        parameters = parameters_check(item.get("parameters") or {}, version, version_errors)
        if version_errors:
            problems.append(f"#{n}: {version_errors['parameters']}")
        label = str(item.get("label") or version.version).strip()[:64]
        checked.append(_CheckedVersion(version=version, parameters=parameters, label=label))
    if problems:
        errors["versions"] = "; ".join(problems)
        return []
    processors = sorted({c.version.processor.name for c in checked})
    if len(processors) > 1:
        errors["versions"] = f"versions of one processor only are compared, not of {', '.join(processors)}"
        return []
    labels = [c.label for c in checked]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        errors["versions"] = (f"label(s) {', '.join(repeated)} used twice: give each version a distinct label "
                              "(e.g. the same version with other parameters)")
    return checked


def _inputs_of(dataset: ReferenceDataset, errors: dict[str, str]) -> list[Product]:
    ids = list(dataset.items.filter(role=DatasetRole.INPUT).values_list("product_id", flat=True))
    products = sorted(catalog_selectors.products_by_ids(ids=ids), key=lambda p: (p.content_start is None,
                                                                                  p.content_start, p.name))
    offline = [p.name for p in products if not p.online]
    if offline:
        errors["dataset"] = f"{len(offline)} input(s) offline: {', '.join(offline[:5])}"
    return products


def campaign_start(*, request: CampaignRequest) -> Campaign:
    """Check the request, then create the campaign, its versions, one run per (version, repetition) and every run's
    jobs in one transaction (the jobs are dispatched once it commits). A refusal writes nothing."""
    errors: dict[str, str] = {}
    name = request.name.strip()
    if not name or len(name) > 200:
        errors["name"] = "1 to 200 characters"
    if isinstance(request.repetitions, bool) or not isinstance(request.repetitions, int) or not (
            1 <= request.repetitions <= MAX_REPETITIONS):
        errors["repetitions"] = f"a whole number from 1 to {MAX_REPETITIONS}"
    tolerances = _tolerances_check(request.tolerances, errors)
    dataset = ReferenceDataset.objects.filter(pk=request.dataset_id).first() if request.dataset_id else None
    if dataset is None:
        errors["dataset"] = (f"unknown reference dataset {request.dataset_id}" if request.dataset_id
                             else "required: the id of the reference dataset to run on")
    products = _inputs_of(dataset, errors) if dataset is not None else []
    versions = _versions_check(request.versions, errors)
    template: ProductionRule | None = None
    if versions:
        template = template_rule_pick(request.rule_name, versions[0].version, errors)
    if errors:
        raise InvalidCampaign(errors)
    assert dataset is not None and template is not None
    try:
        with transaction.atomic():
            campaign = Campaign.objects.create(name=name, dataset=dataset, template_rule=template.name,
                                               repetitions=request.repetitions, tolerances=tolerances,
                                               created_by_id=request.created_by_id)
            for position, checked in enumerate(versions):
                entry = CampaignVersion.objects.create(campaign=campaign, position=position, label=checked.label,
                                                       processor_version=checked.version,
                                                       parameters=checked.parameters)
                for repetition in range(1, request.repetitions + 1):
                    _run_create(campaign, entry, checked, repetition, template, products)
    except IntegrityError:  # a rule already named like one of ours
        raise Conflict("a production rule named campaign-… already exists; rename it and retry") from None
    return campaign


def _run_create(campaign: Campaign, entry: CampaignVersion, checked: _CheckedVersion, repetition: int,
                template: ProductionRule, products: list[Product]) -> CampaignRun:
    # one scope per run: repetitions and versions make products of the same names, each in its own scope
    scope = f"campaign-{campaign.pk}-v{entry.position + 1}-r{repetition}"
    # the outputs are evicted after the retention (the comparisons stay); a hang fails at once: the run measures
    # the processor, and a retry would hide the hang and count its cost twice
    made = production_services.scoped_jobs_create(
        rule_name=scope, scope=scope, template=template, version=checked.version, parameters=checked.parameters,
        products=products, output_retention_days=settings.RS_CAMPAIGN_OUTPUT_RETENTION_DAYS,
        retry_after_max_time=False)
    if not made.job_ids:
        reasons = "; ".join(f"{s['product']}: {s['reason']}" for s in made.skipped[:5])
        raise InvalidCampaign({"dataset": f"none of the {len(products)} inputs makes a job of rule {template.name}"
                                          f" ({reasons})"})
    return CampaignRun.objects.create(campaign=campaign, version=entry, repetition=repetition,
                                      rule_id=made.rule_id, scope=scope, skipped=made.skipped)


def campaign_delete(*, campaign_id: int, batch_size: int = 200) -> None:
    """Delete a finished campaign: its outputs (objects and catalogue entries), its runs' rules and jobs with their
    history and leftover objects, then the campaign. Refused (Conflict) while a job is unfinished. The campaign is
    marked `deleting` first and every step removes only what is left, so a call interrupted at any point is
    finished by the next one. The dataset and its inputs stay (operational products, pinned by the dataset)."""
    try:
        found = selectors.campaign_get(campaign_id=campaign_id)
    except NotFound:
        raise NotFound(f"no campaign {campaign_id}") from None
    unfinished: int = getattr(found, "jobs_open", 0)
    if unfinished:
        raise Conflict(f"campaign {campaign_id} has {unfinished} unfinished job(s): cancel them or wait until they "
                       "finish, then delete it")
    Campaign.objects.filter(pk=campaign_id).update(state=CampaignState.DELETING)
    rule_ids = CampaignRun.objects.filter(campaign_id=campaign_id, rule__isnull=False).order_by("pk").values_list(
        "rule_id", flat=True)
    for rule_id in list(rule_ids):  # outputs, jobs, rule: a rule deleted leaves its run's rule empty (SET_NULL)
        production_services.scoped_rule_delete(rule_id=rule_id, batch_size=batch_size)
    Campaign.objects.filter(pk=campaign_id).delete()  # its versions and runs with it
