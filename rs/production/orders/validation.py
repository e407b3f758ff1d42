"""An order request checked before anything is written: every refusal names the field and the reason, so the API
answers a precise 400 and the admin form shows it next to the field. Reads only."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet

from rs.catalog import selectors as catalog_selectors
from rs.catalog.choices import OPERATIONAL_SCOPE
from rs.errors import DomainError
from rs.production.choices import Priority
from rs.production.models import ProcessorVersion, ProductionRule
from rs.production.parameters import ParameterError, template_check
from rs.production.registry import tasktable_of
from rs.production.routing import rule_matches
from rs.webhooks import url_problem

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

MAX_NAME_CHARS = 200


class OrderInvalid(DomainError):
    code = "invalid_order"

    def __init__(self, errors: Mapping[str, str]) -> None:
        first = next(iter(errors.items()))
        super().__init__(f"{first[0]}: {first[1]}", details={k: [v] for k, v in errors.items()})
        self.errors = dict(errors)


@dataclass(frozen=True)
class OrderRequest:
    """What an operator orders, as given (the API serializer and the admin form only parse types)."""

    processor_version_id: int | None
    rule_name: str = ""
    name: str = ""
    priority: str = Priority.MEDIUM
    parameters: Mapping[str, Any] = field(default_factory=dict)
    start: datetime | None = None
    stop: datetime | None = None
    area: str | Mapping[str, Any] | None = None
    product_ids: Sequence[str] = ()
    notify_url: str = ""
    notify_email: str = ""
    requested_by_id: int | None = None


@dataclass
class CheckedOrder:
    request: OrderRequest
    version: ProcessorVersion
    template: ProductionRule
    parameters: dict[str, str]
    selection: str
    area: MultiPolygon | None
    count: int  # triggering products selected
    products: list[Product] | None  # loaded when the order is planned within the request, else None


def window_products(*, template: ProductionRule, start: datetime, stop: datetime,
                    area: MultiPolygon | None) -> QuerySet[Product]:
    """The triggering products of a window (and area) order, oldest sensing first: the template's trigger in SQL,
    served by the (product_type, content_start) index; planning pages through it by (content_start, id)."""
    query = catalog_selectors.products_for_selection().filter(
        product_type__in=template.product_type_list, content_start__gte=start, content_start__lt=stop)
    for field_name, value in (("mission", template.mission), ("platform", template.platform),
                              ("family", template.family)):
        if value:
            query = query.filter(**{field_name: value})
    if template.timeliness_list:
        query = query.filter(timeliness__in=template.timeliness_list)
    if area is not None:
        query = query.filter(footprint__intersects=area)
    return query.order_by("content_start", "id")


def order_check(request: OrderRequest) -> CheckedOrder:
    """The order ready to be created, or OrderInvalid naming every field that is wrong."""
    errors: dict[str, str] = {}
    if len(request.name) > MAX_NAME_CHARS:
        errors["name"] = f"at most {MAX_NAME_CHARS} characters"
    if request.priority not in Priority.values:
        errors["priority"] = f"one of {', '.join(Priority.values)}"
    version = _version(request, errors)
    template = template_rule_pick(request.rule_name, version, errors) if version else None
    parameters = parameters_check(request.parameters, version, errors) if version else {}
    selection, area = _selection(request, errors)
    _notification(request, errors)
    if errors:
        raise OrderInvalid(errors)
    assert version is not None and template is not None
    count, products = _products(request, template, selection, area)
    return CheckedOrder(request=request, version=version, template=template, parameters=parameters,
                        selection=selection, area=area, count=count, products=products)


def _version(request: OrderRequest, errors: dict[str, str]) -> ProcessorVersion | None:
    if request.processor_version_id is None:
        errors["processor_version"] = "required: the id of the processor version to run"
        return None
    version = ProcessorVersion.objects.select_related("processor").filter(pk=request.processor_version_id).first()
    if version is None:
        errors["processor_version"] = f"unknown processor version {request.processor_version_id}"
    return version


def template_rule_pick(rule_name: str, version: ProcessorVersion, errors: dict[str, str]) -> ProductionRule | None:
    """The rule whose trigger types and grouping the order (or campaign) follows: the one named, or the only rule of
    the processor (rules of orders and campaigns excepted)."""
    rules = (ProductionRule.objects.filter(order__isnull=True, output_scope=OPERATIONAL_SCOPE)
             .select_related("processor_version__processor"))
    if rule_name:
        rule = rules.filter(name=rule_name).first()
        if rule is None:
            errors["rule"] = f"unknown production rule {rule_name!r}"
        elif rule.processor_version.processor_id != version.processor_id:
            errors["rule"] = (f"rule {rule.name} runs {rule.processor_version.processor.name}, "
                              f"not {version.processor.name}")
            return None
        return rule
    found = list(rules.filter(processor_version__processor=version.processor).order_by("name")[:6])
    if len(found) == 1:
        return found[0]
    if not found:
        errors["rule"] = (f"no production rule runs {version.processor.name}: name the rule whose trigger types "
                          "and grouping the order follows")
    else:
        errors["rule"] = (f"{version.processor.name} has several rules ({', '.join(r.name for r in found)}): "
                          "name the one the order follows")
    return None


def parameters_check(given: Mapping[str, Any], version: ProcessorVersion, errors: dict[str, str]) -> dict[str, str]:
    if not isinstance(given, Mapping):
        errors["parameters"] = "an object of parameter name → value"
        return {}
    declared = [p.name for p in tasktable_of(version).dyn_params]
    checked: dict[str, str] = {}
    problems = []
    for name, value in given.items():
        if name not in declared:
            problems.append(f"{name!r} is not a Dyn_ProcParam of {version.processor.name} {version.version} "
                            f"(declared: {', '.join(declared) or 'none'})")
        elif not isinstance(value, str):
            problems.append(f"{name}: the value must be a string")
        else:
            try:
                template_check(value)
            except ParameterError as exc:
                problems.append(f"{name}: {exc}")
            checked[name] = value
    if problems:
        errors["parameters"] = "; ".join(problems)
    return checked


def _selection(request: OrderRequest, errors: dict[str, str]) -> tuple[str, MultiPolygon | None]:
    has_window = request.start is not None or request.stop is not None
    if request.product_ids and (has_window or request.area is not None):
        errors["product_ids"] = "give either product ids, or a time window (with an optional area), not both"
        return "", None
    if request.product_ids:
        limit = int(settings.RS_PRODUCTION_ORDER_MAX_PRODUCTS)
        if len(request.product_ids) > limit:
            errors["product_ids"] = (f"{len(request.product_ids)} products listed: at most {limit} per order "
                                     "(RS_PRODUCTION_ORDER_MAX_PRODUCTS)")
        bad = [str(p) for p in request.product_ids if not _is_uuid(p)]
        if bad:
            errors["product_ids"] = f"not product ids: {', '.join(bad[:5])}"
        return "products", None
    if not has_window:
        errors["start"] = "select products: a time window (start, stop), with an optional area, or product ids"
        return "", None
    if request.start is None or request.stop is None:
        errors["stop" if request.start is not None else "start"] = "required with the other end of the window"
        return "", None
    if request.start.tzinfo is None or request.stop.tzinfo is None:
        errors["start"] = "give the window in UTC (with a time zone)"
    elif request.stop <= request.start:
        errors["stop"] = "must be after start"
    if request.area is None:
        return "window", None
    area = _area(request.area, errors)
    return "area", area


def _area(value: str | Mapping[str, Any], errors: dict[str, str]) -> MultiPolygon | None:
    text = json.dumps(value) if isinstance(value, Mapping) else str(value)
    if not text.strip():
        errors["area"] = "empty: give a WKT or GeoJSON polygon"
        return None
    try:
        geometry = GEOSGeometry(text)
    except (GEOSException, GDALException, ValueError, TypeError):
        errors["area"] = "not a WKT or GeoJSON geometry"
        return None
    if geometry.srid not in (None, 4326):
        errors["area"] = f"give longitude/latitude coordinates (EPSG:4326), not EPSG:{geometry.srid}"
        return None
    if not isinstance(geometry, Polygon | MultiPolygon):
        errors["area"] = f"a Polygon or MultiPolygon, not a {geometry.geom_type}"
        return None
    west, south, east, north = geometry.extent
    if west < -180 or east > 180 or south < -90 or north > 90:
        errors["area"] = "coordinates out of range (longitude -180…180, latitude -90…90)"
        return None
    if geometry.empty or not geometry.valid:
        errors["area"] = f"not a valid polygon: {geometry.valid_reason}"
        return None
    area = geometry if isinstance(geometry, MultiPolygon) else MultiPolygon(geometry)
    area.srid = 4326
    return area


def _notification(request: OrderRequest, errors: dict[str, str]) -> None:
    if request.notify_url:
        problem = url_problem(request.notify_url)
        if problem:
            errors["notify_url"] = problem
    if request.notify_email:
        try:
            validate_email(request.notify_email)
        except ValidationError:
            errors["notify_email"] = "not an e-mail address"


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _products(request: OrderRequest, template: ProductionRule, selection: str,
              area: MultiPolygon | None) -> tuple[int, list[Product] | None]:
    """How many triggering products the selection holds, and them (oldest sensing first, operational and online)
    when the order is small enough to be planned within the request."""
    limit = int(settings.RS_PRODUCTION_ORDER_MAX_PRODUCTS)
    in_request = int(settings.RS_PRODUCTION_ORDER_SYNC_MAX_PRODUCTS)
    if selection == "products":
        wanted = [uuid.UUID(str(p)) for p in dict.fromkeys(str(p) for p in request.product_ids)]
        found = {p.id: p for p in catalog_selectors.products_by_ids(ids=wanted)}
        problems = []
        for product_id in wanted:
            product = found.get(product_id)
            if product is None:
                problems.append(f"{product_id}: no such product")
            elif product.scope != OPERATIONAL_SCOPE or not product.online:
                problems.append(f"{product.name}: not an online operational product")
            elif not rule_matches(template, product):
                problems.append(f"{product.name}: a {product.product_type} does not trigger rule {template.name} "
                                f"({_trigger_text(template)})")
        if problems:
            raise OrderInvalid({"product_ids": "; ".join(problems[:10])})
        return len(wanted), [found[p] for p in wanted] if len(wanted) <= in_request else None
    assert request.start is not None and request.stop is not None
    query = window_products(template=template, start=request.start, stop=request.stop, area=area)
    count = query[:limit + 1].count()  # bounded: never more than limit + 1 index entries
    if count > limit:
        raise OrderInvalid({"stop": f"more than {limit} triggering products sensed in [{request.start.isoformat()}, "
                                    f"{request.stop.isoformat()}): at most {limit} per order "
                                    "(RS_PRODUCTION_ORDER_MAX_PRODUCTS); narrow the window"})
    if not count:
        where = " over the area" if area is not None else ""
        raise OrderInvalid({"start": f"no online product triggering rule {template.name} ({_trigger_text(template)}) "
                                     f"was sensed in [{request.start.isoformat()}, {request.stop.isoformat()})"
                                     f"{where}"})
    return count, list(query[:count]) if count <= in_request else None


def _trigger_text(rule: ProductionRule) -> str:
    parts = [", ".join(rule.product_type_list)]
    for label, value in (("mission", rule.mission), ("platform", rule.platform), ("family", rule.family),
                         ("timeliness", rule.timeliness)):
        if value:
            parts.append(f"{label} {value}")
    return "; ".join(parts)
