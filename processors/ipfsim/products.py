"""Reading input products: the times, footprint and identifiers a processor derives its outputs from.

The readers use the products' own files (manifest.safe, Inventory_Metadata.xml / MTD, xfdumanifest.xml, DSIB) by
local element names, like the catalogue's extraction."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ipfsim.geometry import Point
from ipfsim.runtime import InputError


def iso(moment: datetime, *, digits: int = 6, zone: bool = True) -> str:
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    text = text[: len(text) - (6 - digits)] if digits else text[:19]
    return text + ("Z" if zone else "")


def compact(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


def png(width: int = 64, height: int = 48, *, seed: str = "") -> bytes:
    """A small valid grey-level PNG (the quicklook of a simulated product)."""
    shift = zlib.crc32(seed.encode()) % 97

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(((x + y) * 3 + shift) % 256 for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def payload(seed: str, size: int) -> bytes:
    """Deterministic filler bytes standing for measurement data."""
    block = zlib.crc32(seed.encode()).to_bytes(4, "big") * 64
    return (block * (size // len(block) + 1))[:size]


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    """Write a product folder; written under a hidden name and renamed, so it never appears half-written."""
    partial = folder.with_name(f".{folder.name}.part")
    for relative, data in files.items():
        target = partial / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    partial.rename(folder)
    return folder


def _xml(path: Path) -> ET.Element:
    try:
        # expat resolves no external entity and (>= 2.4) refuses entity amplification
        return ET.parse(path).getroot()  # noqa: S314
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


def _all(root: ET.Element, local: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == local]


def _text(root: ET.Element, local: str) -> str | None:
    found = _all(root, local)
    return (found[0].text or "").strip() if found else None


def _time(text: str | None, source: Path) -> datetime | None:
    if not text:
        return None
    value = text.strip().removeprefix("UTC=").replace("Z", "")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            raise InputError(f"{source}: not a date: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _ring(points: list[Point]) -> list[Point]:
    return points[:-1] if len(points) > 1 and points[0] == points[-1] else points


@dataclass(frozen=True)
class Scene:
    """What an input product says about where and when it was sensed."""

    name: str
    start: datetime
    stop: datetime
    footprint: list[Point]
    orbit: int = 0
    relative_orbit: int = 0
    attributes: dict[str, str] = field(default_factory=dict)


_S1_NAME = re.compile(r"^S1[A-D]_(?P<mode>\w{2})_(?P<type>\w{4})_(?P<level>\d)(?P<klass>\w)(?P<pol>\w{2})_"
                      r"\d{8}T\d{6}_\d{8}T\d{6}_(?P<orbit>\d{6})_(?P<datatake>[0-9A-F]{6})_")


def s1_scene(path: Path) -> Scene:
    """An S1 SAFE (L0, L1 or L2); the footprint as [near-start, far-start, far-stop, near-stop]."""
    root = _xml(path / "manifest.safe")
    name = path.name.removesuffix(".ISIP").removesuffix(".SAFE") + ".SAFE"
    match = _S1_NAME.match(path.name)
    if match is None:
        raise InputError(f"{path.name}: not a Sentinel-1 product name")
    coordinates = _text(root, "coordinates") or ""
    points = _ring([(float(lat), float(lon)) for lat, lon in (pair.split(",") for pair in coordinates.split())])
    if len(points) != 4:
        raise InputError(f"{path.name}: the footprint has {len(points)} corners, not 4")
    if match["level"] != "0":  # L1/L2 manifests list the corners clockwise from far-start
        points = [points[1], points[0], points[3], points[2]]
    start = _time(_text(root, "startTime"), path)
    stop = _time(_text(root, "stopTime"), path)
    if start is None or stop is None:
        raise InputError(f"{path.name}: no acquisition period in manifest.safe")
    attributes = {key: value for key in ("missionDataTakeID", "instrumentConfigurationID", "sliceNumber",
                                         "productConsolidation", "ascendingNodeTime", "pass")
                  if (value := _text(root, key)) is not None}
    attributes["mode"], attributes["polarisation"] = match["mode"], match["pol"]
    attributes["datatake"] = match["datatake"]
    stores = _all(root, "packetStoreID")
    if stores:
        attributes["packetStoreID"] = (stores[0].text or "").strip()
    return Scene(name=name, start=start, stop=stop, footprint=points, orbit=int(match["orbit"]),
                 relative_orbit=int(_text(root, "relativeOrbitNumber") or 0), attributes=attributes)


def s2_scene(path: Path) -> Scene:
    """An S2 PDI product (datastrip, granule, tile) from its Inventory_Metadata.xml, MTD and manifest."""
    inventory = path / "Inventory_Metadata.xml"
    mtds = sorted(path.glob("*MTD_*.xml")) + sorted(path.glob("*/*MTD_*.xml"))
    docs = [_xml(p) for p in [inventory, *mtds, path / "manifest.safe"] if p.exists()]
    if not docs:
        raise InputError(f"{path.name}: no Inventory_Metadata.xml, MTD or manifest.safe")
    footprint: list[Point] = []
    attributes: dict[str, str] = {}
    starts: list[datetime] = []
    stops: list[datetime] = []
    for doc in docs:
        if not footprint and _all(doc, "Geo_Pnt"):
            footprint = _ring([(float(p.findtext("{*}LATITUDE") or p.findtext("LATITUDE") or 0),
                                float(p.findtext("{*}LONGITUDE") or p.findtext("LONGITUDE") or 0))
                               for p in _all(doc, "Geo_Pnt")])
        if not footprint and (positions := _text(doc, "EXT_POS_LIST")):
            values = [float(v) for v in positions.split()]
            size = 3 if len(values) % 3 == 0 and len(values) % 2 else 2
            footprint = _ring([(values[i], values[i + 1]) for i in range(0, len(values) - 1, size)])
        for tag, bucket in (("Validity_Start", starts), ("SENSING_TIME", starts), ("startTime", starts),
                            ("Validity_Stop", stops), ("SENSING_TIME", stops)):
            moment = _time(_text(doc, tag), path)
            if moment is not None:
                bucket.append(moment)
        if (start_attr := next((e.get("startTime") for e in _all(doc, "acquisitionPeriod") if e.get("startTime")),
                               None)):
            starts.append(_time(start_attr, path))  # type: ignore[arg-type]
        for key in ("Group_ID", "Detector", "DETECTOR_ID", "Start_Orbit_Number", "Parent_ID", "TILE_ID",
                    "CloudPercentage", "CLOUDY_PIXEL_PERCENTAGE", "relativeOrbitNumber", "orbitNumber"):
            if key not in attributes and (value := _text(doc, key)) is not None:
                attributes[key] = value
    if not starts:
        raise InputError(f"{path.name}: no sensing time")
    orbit = int(attributes.get("Start_Orbit_Number") or 0)
    return Scene(name=path.name, start=min(starts), stop=max(stops or starts), footprint=footprint, orbit=orbit,
                 relative_orbit=int(attributes.get("relativeOrbitNumber") or 0), attributes=attributes)


def s3_scene(path: Path) -> Scene:
    root = _xml(path / "xfdumanifest.xml")
    start = _time(_text(root, "startTime"), path)
    stop = _time(_text(root, "stopTime"), path)
    if start is None or stop is None:
        raise InputError(f"{path.name}: no acquisition period in xfdumanifest.xml")
    values = [float(v) for v in (_text(root, "posList") or "").split()]
    footprint = _ring([(values[i], values[i + 1]) for i in range(0, len(values) - 1, 2)])
    orbit_numbers = _all(root, "orbitNumber")
    relative = _all(root, "relativeOrbitNumber")
    return Scene(name=path.name, start=start, stop=stop, footprint=footprint,
                 orbit=int((orbit_numbers[0].text or "0").strip()) if orbit_numbers else 0,
                 relative_orbit=int((relative[0].text or "0").strip()) if relative else 0,
                 attributes={key: value for key in ("timeliness", "baselineCollection", "cycleNumber")
                             if (value := _text(root, key)) is not None})


@dataclass(frozen=True)
class SessionBlock:
    channel: int
    session_id: str
    start: datetime
    stop: datetime
    chunks_listed: tuple[str, ...]
    chunks_present: tuple[str, ...]


def session_blocks(workdir: Path) -> list[SessionBlock]:
    """The DSIB of each channel folder (ch01/, ch02/) with the chunks it lists and those staged."""
    blocks = []
    for channel in (1, 2):
        folder = workdir / f"ch0{channel}"
        for dsib in sorted(folder.glob("DCS_*_DSIB.xml")) if folder.is_dir() else []:
            root = _xml(dsib)
            start, stop = _time(_text(root, "time_start"), dsib), _time(_text(root, "time_stop"), dsib)
            if start is None or stop is None:
                raise InputError(f"{dsib.name}: no time_start/time_stop")
            listed = tuple((e.text or "").strip() for e in _all(root, "dsdb_name"))
            blocks.append(SessionBlock(channel=channel, session_id=_text(root, "session_id") or "", start=start,
                                       stop=stop, chunks_listed=listed,
                                       chunks_present=tuple(n for n in listed if (folder / n).is_file())))
    return blocks
