"""Writes of the campaigns app."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from rs.campaigns import report, selectors
from rs.campaigns.choices import CampaignState, DatasetRole
from rs.campaigns.constants import (
    DATASET_NAME_PATTERN,
    DEFAULT_IGNORED_FIELDS,
    DELETION_LEASE_S,
    DELETION_RESEND_AFTER_S,
    MAX_CAMPAIGN_VERSIONS,
    MAX_DATASET_PRODUCTS,
    MAX_REPETITIONS,
)
from rs.campaigns.errors import InvalidCampaign, InvalidDataset
from rs.campaigns.models import (
    Campaign,
    CampaignRun,
    CampaignVersion,
    DatasetProduct,
    JobComparison,
    ReferenceDataset,
)
from rs.catalog import selectors as catalog_selectors
from rs.catalog.query.errors import QueryError
from rs.catalog.query.selectors import ProductRef, operational_products_matching
from rs.errors import Conflict, NotFound
from rs.production import selectors as production_selectors
from rs.production import services as production_services
from rs.production.orders.validation import parameters_check, template_rule_pick

if TYPE_CHECKING:
    from rs.catalog.selectors import Product
    from rs.production.models import Job, ProcessorVersion, ProductionRule

logger = logging.getLogger(__name__)


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


# --- deletion (in the background) ------------------------------------------------------------------------------------


class _LeaseLost(Exception):
    """Another worker took the deletion over (ours lapsed): stop, it finishes."""


def _deletion_send(campaign_id: int) -> None:
    from rs.campaigns.tasks import campaign_delete_task

    try:
        campaign_delete_task.delay(campaign_id)
    except Exception:  # broker down: the row says `deleting`, the periodic re-send sends it
        logger.warning("could not enqueue the deletion of campaign %s; it will be sent again", campaign_id,
                       exc_info=True)


def campaign_delete_request(*, campaign_id: int) -> Campaign:
    """Ask for the deletion of a finished campaign: refused (Conflict) while a job is unfinished; else the campaign
    is marked `deleting` and its id sent to a worker once this commits (campaign_delete does the work). Asking
    again while it is being deleted changes nothing (the deletion is sent again when no worker holds it). Returns
    the campaign as the API shows it."""
    now = timezone.now()
    with transaction.atomic():
        # the lock orders two requests for the same campaign; the job counts are read after it
        if not Campaign.objects.select_for_update().filter(pk=campaign_id).exists():
            raise NotFound(f"no campaign {campaign_id}")
        found = selectors.campaign_get(campaign_id=campaign_id)
        if found.state == CampaignState.DELETING:
            held = found.deletion_lease_until is not None and found.deletion_lease_until > now
            if not held:
                transaction.on_commit(partial(_deletion_send, campaign_id))
            return found
        unfinished: int = getattr(found, "jobs_open", 0)
        if unfinished:
            raise Conflict(f"campaign {campaign_id} has {unfinished} unfinished job(s): cancel them or wait until "
                           "they finish, then delete it")
        Campaign.objects.filter(pk=campaign_id).update(state=CampaignState.DELETING, deletion_requested_at=now,
                                                       deletion_lease_until=None, deletion_error="")
        found.state, found.deletion_requested_at, found.deletion_lease_until, found.deletion_error = (
            CampaignState.DELETING, now, None, "")
        transaction.on_commit(partial(_deletion_send, campaign_id))
    return found


def campaign_delete(*, campaign_id: int, batch_size: int = 200) -> int | None:
    """Delete a campaign marked `deleting` (campaign_delete_request): its outputs (objects and catalogue entries),
    its runs' rules and jobs with their history, stored comparisons and leftover objects, then the campaign. The
    dataset and its inputs stay (operational products, pinned by the dataset).

    The worker first takes the campaign's lease (one conditional UPDATE: of two workers, one gets it) and renews it
    before each page of jobs; every step removes only what is left, so a deletion interrupted anywhere (a worker
    killed, an error) is finished by the next one, once the lease lapsed. Returns the number of jobs deleted, or
    None when there was nothing to do (not `deleting`, gone, or held by another worker). An error is kept on the
    campaign (`deletion_error`) and raised; the periodic re-send tries again."""
    now = timezone.now()
    lease = now + timedelta(seconds=DELETION_LEASE_S)
    claimed = (Campaign.objects.filter(pk=campaign_id, state=CampaignState.DELETING)
               .filter(Q(deletion_lease_until__isnull=True) | Q(deletion_lease_until__lte=now))
               .update(deletion_lease_until=lease, deletion_error=""))
    if not claimed:
        return None

    def renew() -> None:  # the lease's own end is its token: a worker whose lease was taken over stops
        nonlocal lease
        until = timezone.now() + timedelta(seconds=DELETION_LEASE_S)
        if not Campaign.objects.filter(pk=campaign_id, deletion_lease_until=lease).update(
                deletion_lease_until=until):
            raise _LeaseLost
        lease = until

    deleted = 0
    try:
        rule_ids = list(CampaignRun.objects.filter(campaign_id=campaign_id, rule__isnull=False).order_by("pk")
                        .values_list("rule_id", flat=True))
        for rule_id in rule_ids:  # outputs, jobs, rule: a rule deleted leaves its run's rule empty (SET_NULL)
            deleted += production_services.scoped_rule_delete(rule_id=rule_id, batch_size=batch_size,
                                                              on_page=renew)
        renew()
        Campaign.objects.filter(pk=campaign_id).delete()  # its versions and runs with it
    except _LeaseLost:
        logger.warning("campaign %s: deletion taken over by another worker (lease lapsed)", campaign_id)
        return None
    except Exception as exc:
        # kept for the operator; the lease is left to lapse, so the periodic re-send tries again a few minutes
        # later rather than in a loop
        Campaign.objects.filter(pk=campaign_id, deletion_lease_until=lease).update(
            deletion_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    return deleted


def campaign_deletions_redispatch(*, now: datetime | None = None) -> int:
    """Send again the deletion of campaigns left `deleting` longer than DELETION_RESEND_AFTER_S that no worker
    holds (a lost message, a killed worker, a deletion stopped on an error); campaigns being deleted are few."""
    now = now or timezone.now()
    stalled = list(Campaign.objects.filter(state=CampaignState.DELETING)
                   .filter(Q(deletion_requested_at__lt=now - timedelta(seconds=DELETION_RESEND_AFTER_S))
                           | Q(deletion_requested_at__isnull=True))
                   .filter(Q(deletion_lease_until__isnull=True) | Q(deletion_lease_until__lte=now))
                   .order_by("pk").values_list("pk", flat=True))
    for campaign_id in stalled:
        _deletion_send(campaign_id)
    return len(stalled)


# --- stored comparisons ----------------------------------------------------------------------------------------------


def _comparisons_send(campaign_id: int) -> None:
    from rs.campaigns.tasks import campaign_comparisons_store_task

    try:
        campaign_comparisons_store_task.delay(campaign_id)
    except Exception:  # broker down: the periodic fill stores them
        logger.warning("could not enqueue the comparisons of campaign %s; the periodic fill will", campaign_id,
                       exc_info=True)


def campaign_job_ended(job: Job, state: str) -> None:
    """Job end listener (production.job_listeners), inside the job's transition: when the last job of a campaign
    run ends, the campaign's comparisons are made and stored once this commits. The run's row is locked first, so
    of two of its jobs ending at once the second sees the first committed (READ COMMITTED) and sends it; a job
    of no campaign costs one lookup by the run's unique rule."""
    campaign_id = (CampaignRun.objects.select_for_update().filter(rule_id=job.rule_id)
                   .values_list("campaign_id", flat=True).first())
    if campaign_id is None:
        return
    if production_selectors.rule_has_open_jobs(rule_id=job.rule_id):
        return
    transaction.on_commit(partial(_comparisons_send, campaign_id))


def campaign_comparisons_store(*, campaign_id: int) -> int:
    """Make and store the comparisons of the campaign's finished jobs that have none yet (reading the products'
    archives), in one statement; once every job is final and nothing was left out, mark the campaign
    `comparisons_stored_at`. A campaign gone or being deleted is left alone. Returns how many were stored."""
    try:
        made = report.comparisons_unstored(campaign_id=campaign_id)
    except (NotFound, Conflict):  # deleted or being deleted meanwhile
        return 0
    with transaction.atomic():
        # the campaign's row lock orders this with a deletion request (which takes it to mark the campaign): the
        # comparisons are committed before a deletion starts, or not written at all once it is asked for
        if not Campaign.objects.select_for_update().filter(pk=campaign_id, state=CampaignState.ACTIVE).exists():
            return 0
        if made.comparisons:  # a store of the same comparisons at the same moment made the same rows
            JobComparison.objects.bulk_create(
                made.comparisons, update_conflicts=True, unique_fields=["job"],
                update_fields=["expected", "comparison", "problems", "created_at"])
        if made.complete:
            Campaign.objects.filter(pk=campaign_id).update(comparisons_stored_at=timezone.now())
    return len(made.comparisons)


def campaigns_comparisons_fill() -> int:
    """Send the store of the comparisons of every finished campaign whose comparisons were not all stored (one
    finished before they were stored at a run's end, a lost message, a read of the object store that failed)."""
    pending = list(selectors.campaigns_with_comparisons_unstored().values_list("pk", flat=True))
    for campaign_id in pending:
        _comparisons_send(campaign_id)
    return len(pending)
