"""What identification knows about a delivered file from its name (and delivery path) alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from rs.errors import DomainError


class UnrecognisedName(DomainError):
    """The name is not a Sentinel product we handle; str(exc) says precisely why (never a guess)."""

    code = "unrecognised_name"


@dataclass(frozen=True)
class SessionFile:
    """A ground-station downlink file: a chunk (DSDB) or the session descriptor (DSIB) of one channel."""

    station: str  # station directory of the delivery path ("" when absent)
    satellite: str  # "S1A" from the station-form session id or the satellite directory; "" when unknown
    session_id: str  # from the file name: the grouping key of the session (COPRS behaviour)
    channel: int  # 1 or 2
    kind: str  # "DSIB" | "DSDB"
    chunk: int | None  # DSDB chunk number, None for the DSIB


@dataclass(frozen=True)
class Identification:
    """The result of identify(): family, type and times from the name; extraction adds what the files say."""

    name: str  # product name without archive suffix (CDSE catalogue name); for session files the file name
    archive_suffix: str  # "" | ".zip" | ".tar" | ".TGZ" … as delivered (extension case kept)
    family: str  # rs.catalog.choices.ProductFamily value
    mission: str  # "S1" | "S2" | "S3"; "" only for session files whose name and path carry no mission
    platform: str  # "A".."D" or "_" (every unit); "" only for such session files
    product_type: str  # CDSE value: "IW_GRDH_1S", "AUX_CAL", "S2MSI1C", "MSI_L0__GR", "OL_1_EFR___" …
    level: str  # rs.catalog.choices.ProcessingLevel value
    start: datetime | None  # sensing start from the name (aware UTC)
    stop: datetime | None  # sensing stop from the name
    validity_start: datetime | None  # validity of aux files from the name
    validity_stop: datetime | None
    generation: datetime | None  # creation / generation time from the name
    timeliness: str  # from the name where it carries one (S3 NR/ST/NT …), else ""
    # The raw named groups of the matching pattern (unmatched optional groups left out); S2 PDI names add their
    # suffixes as suffix_<letter> (suffix_S, suffix_D, suffix_N …), session files the groups of SESSION_PATH.
    fields: Mapping[str, str]
    session: SessionFile | None  # set for DSIB/DSDB session files
    # Files extraction reads, relative to the product root; "" denotes the product file itself (single-file
    # products: EOF, XML aux, DSIB). Optional S2 metadata files are listed too: extraction reads those present.
    metadata_files: tuple[str, ...]
    is_container: bool  # folder or archive (SAFE, SEN3, ISIP, S2 PDI folders); False for single files
    pattern: str = ""  # name of the pattern that matched (naming-and-metadata.md §2): "S1_PRODUCT", "EO_VALIDITY" …

