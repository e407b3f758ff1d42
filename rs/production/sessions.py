"""Session jobs (rules grouped by session: S1 AIOP, S3 ACQ, S2 L0U; ipf-interface.md §8.1).

A session job is ready only once ingestion has declared its session complete — both channels' DSIB and every chunk
they list catalogued, which registers the SESSION_COMPLETE marker product (rs/ingestion/sessions.py). Until then the
job waits with the reason naming what the session lacks, and awaits the marker's type (any window): the marker's
`created` event wakes it. At completion every file of the session and the marker become members of the job: the
files are staged in their channel folders (`ch01/`, `ch02/`) and named in every Ipf_Proc of the JobOrder (DSIBs as
one input, chunks as another, channels interleaved), the marker and the files are the lineage of the outputs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from rs.catalog import selectors as catalog_selectors
from rs.ingestion import selectors as ingestion_selectors
from rs.production.choices import Grouping, Origin
from rs.production.execution.workdir import session_folder
from rs.production.joborder import JobOrderFile, JobOrderInput
from rs.production.models import Job, JobMember, ProductionRule
from rs.production.resolution import Awaited
from rs.production.routing import product_interval

if TYPE_CHECKING:
    from rs.catalog.selectors import Product

SESSION_MARKER_TYPE = "SESSION_COMPLETE"  # the product type ingestion gives the completion marker
_CHUNK = re.compile(r"_DSDB_(?P<chunk>\d+)", re.IGNORECASE)
MISSING_NAMED = 5


def is_session_rule(rule: ProductionRule) -> bool:
    return rule.grouping == Grouping.SESSION


@dataclass(frozen=True)
class SessionGate:
    session_id: str
    waiting: str  # what the session lacks; '' once complete
    members: tuple[uuid.UUID, ...] = ()  # once complete: the session's files and its marker

    @property
    def awaited(self) -> tuple[Awaited, ...]:
        return (Awaited(SESSION_MARKER_TYPE, None, None),) if self.waiting else ()


def _session_of(job: Job) -> tuple[list[str], str]:
    """(satellites to look under, session id) from the job's group key `<platform>:<session id>[#resubmit-N]`."""
    platform, _, rest = job.group_key.partition(":")
    session_id = rest.split("#resubmit-", 1)[0]
    satellites = [f"{job.mission}{platform}", ""] if job.mission and platform else [""]
    return satellites, session_id


def session_gate(job: Job, *, member_ids: Iterable[uuid.UUID] | None = None) -> SessionGate:
    """Complete when ingestion completed the session, or when the job holds a marker product (a rule triggered by
    SESSION_COMPLETE itself): the marker exists only for a complete session, its lineage lists the files.
    `member_ids` replaces the job's member rows (the dry run's planned members). Reads only."""
    satellites, session_id = _session_of(job)
    found = ingestion_selectors.session_members(satellites=satellites, session_id=session_id)
    if found is not None and found.complete and found.marker_id is not None:
        return SessionGate(session_id, "", (*(f.product_id for f in found.files), found.marker_id))
    if member_ids is None:
        member_ids = JobMember.objects.filter(job=job, product__isnull=False).values_list("product_id", flat=True)
    marker = catalog_selectors.products_by_ids(ids=list(member_ids)).filter(
        product_type=SESSION_MARKER_TYPE).values_list("id", flat=True).first()
    if marker is not None:
        files = sorted(i for i, _ in catalog_selectors.lineage_edges(product_ids=[marker], upstream=True))
        return SessionGate(session_id, "", (*files, marker))
    if found is None:
        return SessionGate(session_id, f"session {session_id}: no file of it catalogued")
    lacks = []
    if found.missing.dsib_channels:
        lacks.append("DSIB of channel " + ", ".join(str(c) for c in found.missing.dsib_channels))
    chunks = found.missing.chunks
    if chunks:
        named = ", ".join(chunks[:MISSING_NAMED]) + (", …" if len(chunks) > MISSING_NAMED else "")
        lacks.append(f"{len(chunks)} chunk{'s' if len(chunks) > 1 else ''} ({named})")
    return SessionGate(session_id, f"session {session_id} incomplete: missing {'; '.join(lacks) or 'its marker'}")


def session_members_attach(job: Job, gate: SessionGate) -> int:
    """Make every file of the complete session and its marker members of the job; returns how many were added."""
    if gate.waiting or not gate.members:
        return 0
    present = set(JobMember.objects.filter(job=job).values_list("product_id", flat=True))
    missing = [pid for pid in gate.members if pid not in present]
    if not missing:
        return 0
    rows = []
    for product in catalog_selectors.products_by_ids(ids=missing):
        start, stop = product_interval(product)
        rows.append(JobMember(job=job, product_id=product.id, product_name=product.name, start=start, stop=stop))
    JobMember.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _staged_name(product: Product) -> str:
    folder = session_folder(product.name)
    return f"{folder}/{product.name}" if folder else product.name


def _order(product: Product) -> tuple[int, int, str]:
    chunk = _CHUNK.search(product.name)
    return (int(chunk["chunk"]) if chunk else 0, int(session_folder(product.name)[2:] or 0), product.name)


def session_joborder_inputs(job: Job) -> tuple[JobOrderInput, ...]:
    """The session files among the job's members, one JobOrder input per product type (DSIBs first, then the
    chunks; by chunk number, channels interleaved), each file at its staged path (ch0N/<name>)."""
    members: QuerySet[JobMember] = JobMember.objects.filter(job=job, product__isnull=False)
    products = catalog_selectors.products_by_ids(ids=list(members.values_list("product_id", flat=True)))
    files = sorted((p for p in products if p.storage_key and session_folder(p.name)), key=_order)
    by_type: dict[str, list[JobOrderFile]] = {}
    for product in sorted(files, key=lambda p: _CHUNK.search(p.name) is not None):  # descriptors, then chunks
        start, stop = product_interval(product)
        by_type.setdefault(product.product_type, []).append(
            JobOrderFile(name=_staged_name(product), start=start, stop=stop))
    return tuple(JobOrderInput(origin=Origin.DB, file_type=file_type, file_name_type="Physical", files=tuple(found))
                 for file_type, found in by_type.items())
