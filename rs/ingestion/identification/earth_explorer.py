"""Earth Explorer file names: orbit, attitude and XML aux, masks, plans and reports (naming-and-metadata.md §3.2)."""

from __future__ import annotations

import re

from rs.catalog.families import earth_explorer_family
from rs.ingestion.identification.delivery_path import Delivery
from rs.ingestion.identification.name_times import check_order, name_time
from rs.ingestion.identification.results import Identification


def identify_earth_explorer(match: re.Match[str], delivery: Delivery, pattern: str) -> Identification:
    stem = delivery.stem
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    family, level = earth_explorer_family(fields["mission"], fields["file_type"])
    validity_start = name_time(fields["validity_start"], name=stem, what="validity start")
    validity_stop = (name_time(fields["validity_stop"], name=stem, what="validity stop")
                     if "validity_stop" in fields else None)
    check_order(validity_start, validity_stop, name=stem, what="validity period")
    generated = fields.get("creation") or fields.get("generation")
    ext = fields.get("ext")
    return Identification(
        name=stem, archive_suffix=delivery.archive_suffix, family=family, mission=fields["mission"],
        platform=fields["satellite"], product_type=fields["file_type"], level=level, start=None, stop=None,
        validity_start=validity_start, validity_stop=validity_stop,
        generation=name_time(generated, name=stem, what="creation time") if generated else None, timeliness="",
        fields=fields, session=None,
        # The header is read from the file itself; a name without extension does not say what it holds.
        metadata_files=("",) if ext else (), is_container=bool(delivery.archive_suffix), pattern=pattern,
    )
