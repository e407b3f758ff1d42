"""Timeliness and completeness KPIs per PI type and period, computed from the catalogue rows (reference-system.md
§8.2), and the production failure rates and backlog from the job rows.

Choices where the data does not carry what COPRS used (each one also stated in the API description):

* period: products catalogued (`created_at`) in [start, end) — COPRS selects on the job's processing date; a
  product is catalogued when its job ends, so the two agree for produced products;
* duplicate: a product is a duplicate when another product of the same platform, product type and sensing window
  made by a *different* job was catalogued before it (the job processed the same chunk as an earlier one); products
  without a job (ingested) are never duplicates: the catalogue refuses a second product of the same name;
* a product without OriginDate cannot be shown on time: it counts as late (and is reported as `without_origin`);
* estimated missing products: the outputs a failed job should have made, as rs.production records them (one row
  per output type, with the count the Task Table expects), in the period by their recording time, classified into
  PI types with the job's mission, timeliness and acquisition mode.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q

from rs.catalog import selectors as catalog_selectors
from rs.catalog.families import classification_of
from rs.monitoring import jobs_source
from rs.monitoring.pi_types import EXCLUDED, THRESHOLDS_S, ProductClass, pi_type_of

COMPLETENESS_DAYS = (0, 1, 2, 3, 7)
ESTIMATED_MISSING_SOURCE = "the output types recorded missing by failed production jobs in the period"


@dataclass(frozen=True)
class PiTypeKpis:
    """The KPIs of one PI type over one period."""

    pi_type: str
    threshold_s: int
    generated: int
    duplicates: int
    published: int
    on_time: int
    without_origin: int
    estimated_missing: int
    # products published within threshold + N days, per N of COMPLETENESS_DAYS
    complete_within: dict[int, int] = field(default_factory=dict)

    @property
    def not_on_prip(self) -> int:
        return self.generated - self.published

    @property
    def timeliness(self) -> float | None:
        return self.on_time / self.published if self.published else None

    def completeness(self, days: int) -> float | None:
        expected = self.generated + self.estimated_missing
        return self.complete_within[days] / expected if expected else None


# The period of pi_type_filters' `on`: the products catalogued, or published, in [start, end).
_PERIOD_SELECTORS = {
    "created_at": catalog_selectors.products_catalogued_in,
    "publication_date": catalog_selectors.products_published_in,
}


def pi_type_filters(*, start: datetime, end: datetime, on: str = "created_at") -> dict[str, Q]:
    """For each PI type present in the period (of `on`), the filter selecting its products: one GROUP BY over the
    (mission, family, type, mode, timeliness) combinations, each classified once."""
    period = _PERIOD_SELECTORS[on](start=start, end=end)
    combos = (
        period.order_by()
        .values_list("mission", "family", "product_type", "mode", "timeliness").distinct()
    )
    filters: dict[str, list[Q]] = {}
    for mission, family, product_type, mode, timeliness in combos:
        pi_type = pi_type_of(ProductClass(mission=mission, family=family, product_type=product_type, mode=mode,
                                          timeliness=timeliness))
        filters.setdefault(pi_type, []).append(
            Q(mission=mission, family=family, product_type=product_type, mode=mode, timeliness=timeliness)
        )
    return {pi_type: functools.reduce(operator.or_, qs) for pi_type, qs in filters.items()}


def _missing_class(row: dict[str, object]) -> ProductClass:
    """The classification of an output that was never made: its family from its type and the job (an S1 L0 output
    of a job is a slice; an S3 L1/L2 one has the job's timeliness)."""
    mission, product_type = str(row["job__mission"]), str(row["product_type"])
    timeliness = str(row["job__timeliness"] or "")
    s3_class = {"NRT": "NR", "STC": "ST", "NTC": "NT"}.get(timeliness.upper(), "NR")
    try:
        family, _level = classification_of(mission=mission, product_type=product_type,
                                           name=f"_O_{s3_class}_000.SEN3", attributes={"productConsolidation": "SLICE"})
    except ValueError:
        family = ""
    return ProductClass(mission=mission, family=family, product_type=product_type,
                        mode=str(row["job__acquisition_mode"] or ""), timeliness=timeliness)


def missing_by_pi_type(*, start: datetime, end: datetime) -> dict[str, int]:
    """PI type → outputs recorded missing by failed jobs in [start, end)."""
    totals: dict[str, int] = {}
    for row in jobs_source.missing_outputs(start=start, end=end):
        pi_type = pi_type_of(_missing_class(row))
        totals[pi_type] = totals.get(pi_type, 0) + int(row["count"] or 0)
    return totals


def pi_type_kpis(*, start: datetime, end: datetime, pi_type: str, products: Q, estimated_missing: int = 0
                 ) -> PiTypeKpis:
    """One aggregate query over the PI type's products of the period."""
    threshold = timedelta(seconds=THRESHOLDS_S[pi_type])
    judged = Q(publication_date__isnull=False, origin_date__isnull=False, duplicate=False)
    counts = {
        f"within_{days}": Count("id", filter=judged & Q(latency__lte=threshold + timedelta(days=days)))
        for days in COMPLETENESS_DAYS
    }
    row = (
        catalog_selectors.products_catalogued_in_flagging_duplicates(start=start, end=end).filter(products)
        .annotate(latency=ExpressionWrapper(F("publication_date") - F("origin_date"), output_field=DurationField()))
        .aggregate(
            generated=Count("id", filter=Q(duplicate=False)),
            duplicates=Count("id", filter=Q(duplicate=True)),
            published=Count("id", filter=Q(duplicate=False, publication_date__isnull=False)),
            without_origin=Count("id", filter=Q(duplicate=False, origin_date__isnull=True)),
            **counts,
        )
    )
    return PiTypeKpis(
        pi_type=pi_type, threshold_s=THRESHOLDS_S[pi_type], generated=row["generated"],
        duplicates=row["duplicates"], published=row["published"], on_time=row["within_0"],
        without_origin=row["without_origin"], estimated_missing=estimated_missing,
        complete_within={days: row[f"within_{days}"] for days in COMPLETENESS_DAYS},
    )


def kpis_by_pi_type(*, start: datetime, end: datetime, pi_type: str | None = None) -> list[PiTypeKpis]:
    """The KPIs of every counted PI type with products in [start, end), or of one; ordered by PI type."""
    filters = pi_type_filters(start=start, end=end)
    missing = missing_by_pi_type(start=start, end=end)
    present = set(filters) | set(missing)
    wanted = sorted(name for name in present if name not in EXCLUDED and name in THRESHOLDS_S
                    and (pi_type is None or name == pi_type))
    # a PI type whose every job failed has no product in the period, only missing ones: Q(pk__in=[]) matches none
    return [pi_type_kpis(start=start, end=end, pi_type=name, products=filters.get(name, Q(pk__in=[])),
                         estimated_missing=missing.get(name, 0)) for name in wanted]
