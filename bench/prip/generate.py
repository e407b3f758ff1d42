#!/usr/bin/env python3
"""A realistic Sentinel catalogue as NDJSON for `python manage.py catalog load` (format: rs/catalog/bulk/).

    python bench/prip/generate.py --count 1000000 --seed 1 > var/bench/catalog.ndjson

Deterministic for the same arguments, streaming (constant memory), standard library only. Each satellite flies an
analytic sun-synchronous orbit (period and inclination of its mission, node drifting 360° a day in Earth-fixed
longitude), so footprints follow real ground tracks: S1 slices right of the track, S2 MGRS-like tiles clipped to the
swath, S3 frames and altimeter stripes; tracks cross the antimeridian and reach ±81-88° like the real ones. Products
come in acquisition groups (an S1 datatake gives RAW, SLC, GRDH slices and its ACN products; an S2 datatake L1C and
L2A tiles and some L0 granules; an S3 frame its NRT and NTC products) spread over `--days` from `--start`.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EARTH_KM = 6371.0
DAY_S = 86400.0
NAME_TIME = "%Y%m%dT%H%M%S"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- orbits -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Satellite:
    mission: str  # S1, S2, S3
    unit: str  # A, B, C
    period_s: float
    inclination: float  # degrees
    epoch: datetime  # an ascending node crossing
    epoch_orbit: int
    epoch_node_lon: float
    repeat_orbits: int
    relative_offset: int  # relative orbit = (orbit - offset) mod repeat + 1

    def orbit_at(self, t: datetime) -> tuple[int, float, datetime]:
        """(absolute orbit, argument of latitude in radians, time of that orbit's ascending node)."""
        k = (t - self.epoch).total_seconds() / self.period_s
        orbit = math.floor(k)
        node_time = self.epoch + timedelta(seconds=orbit * self.period_s)
        return self.epoch_orbit + orbit, 2 * math.pi * (k - orbit), node_time

    def subpoint(self, t: datetime) -> tuple[float, float]:
        """(lon, lat) in degrees of the sub-satellite point."""
        _, u, node_time = self.orbit_at(t)
        inc = math.radians(self.inclination)
        lat = math.asin(math.sin(inc) * math.sin(u))
        node_lon = self.epoch_node_lon - 360.0 * (node_time - self.epoch).total_seconds() / DAY_S
        lon = (node_lon + math.degrees(math.atan2(math.cos(inc) * math.sin(u), math.cos(u)))
               - 360.0 * (t - node_time).total_seconds() / DAY_S)
        return wrap(lon), math.degrees(lat)

    def relative_orbit(self, orbit: int) -> int:
        return (orbit - self.relative_offset) % self.repeat_orbits + 1

    def next_time_at(self, after: datetime, latitude: float, descending: bool) -> datetime:
        """First time after `after` when the satellite crosses `latitude` on the given arc."""
        _, u, node_time = self.orbit_at(after)
        s = max(-1.0, min(1.0, math.sin(math.radians(latitude)) / math.sin(math.radians(self.inclination))))
        target = math.pi - math.asin(s) if descending else math.asin(s) % (2 * math.pi)
        if target < u:
            target += 2 * math.pi
        return node_time + timedelta(seconds=target / (2 * math.pi) * self.period_s)


def wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def destination(lon: float, lat: float, bearing: float, km: float) -> tuple[float, float]:
    """Point `km` away from (lon, lat) along `bearing` (degrees from north) on the sphere."""
    if km == 0:
        return lon, lat
    d, b = km / EARTH_KM, math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return wrap(math.degrees(l2)), math.degrees(p2)


def heading(sat: Satellite, t: datetime) -> float:
    lon1, lat1 = sat.subpoint(t)
    lon2, lat2 = sat.subpoint(t + timedelta(seconds=1))
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return math.degrees(math.atan2(math.sin(dl) * math.cos(p2),
                                   math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)))


def edge_point(sat: Satellite, t: datetime, offset_km: float) -> tuple[float, float]:
    """The point `offset_km` right (positive) or left (negative) of the ground track at time t."""
    lon, lat = sat.subpoint(t)
    return destination(lon, lat, heading(sat, t) + (90.0 if offset_km >= 0 else -90.0), abs(offset_km))


def swath_ring(sat: Satellite, start: datetime, end: datetime, near_km: float, far_km: float,
               step_s: float) -> list[tuple[float, float]]:
    """Closed ring of the swath between two cross-track offsets, sampled along the track (finer near the poles)."""
    times, t = [start], start
    while t < end:
        _, lat = sat.subpoint(t)
        step = step_s if abs(lat) < 70 else step_s / 3  # keep edges short where longitude changes fast
        t = min(end, t + timedelta(seconds=step))
        times.append(t)
    near = [edge_point(sat, x, near_km) for x in times]
    far = [edge_point(sat, x, far_km) for x in times]
    ring = near + far[::-1]
    return [*ring, ring[0]]


def ring_geojson(ring: list[tuple[float, float]], digits: int = 6) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [[[round(x, digits), round(y, digits)] for x, y in ring]]}


def coordinates_text(ring: list[tuple[float, float]], sep: str = ",") -> str:
    """The manifest's raw 'lat,lon lat,lon …' string (S1 gml:coordinates; S3 posList uses a space)."""
    return " ".join(f"{y:.6f}{sep}{x:.6f}" for x, y in ring)


# --- S2 tiles -----------------------------------------------------------------------------------------------------

_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_COLUMN_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUV"
TILE_DEG = 0.9  # 100 km grid, tiles of 109.8 km overlap by 9.8 km


def tile_of(lon: float, lat: float) -> tuple[str, list[tuple[float, float]]]:
    """MGRS-like tile id and its box (lon, lat) around a point: unique per grid cell, letters as MGRS spells them."""
    row = math.floor((lat + 80.0) / TILE_DEG)
    south = -80.0 + row * TILE_DEG
    width = TILE_DEG / max(0.05, math.cos(math.radians(south + TILE_DEG / 2)))
    column = math.floor((lon + 180.0) / width)
    west = -180.0 + column * width
    centre_lon, centre_lat = west + width / 2, south + TILE_DEG / 2
    zone = int((centre_lon + 180.0) / 6.0) % 60 + 1
    band = _BANDS[min(19, max(0, int((centre_lat + 80.0) / 8.0)))]
    tile = f"{zone:02d}{band}{_COLUMN_LETTERS[column % 24]}{_ROW_LETTERS[row % 20]}"
    east, north = west + width * 1.098, south + TILE_DEG * 1.098
    return tile, [(west, south), (east, south), (east, north), (west, north)]


def clip(polygon: list[tuple[float, float]], convex: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of `polygon` inside the convex ring `convex` (both open, any orientation)."""
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(convex, convex[1:] + convex[:1], strict=True))
    sign = 1.0 if area > 0 else -1.0
    result = polygon
    for (ax, ay), (bx, by) in zip(convex, convex[1:] + convex[:1], strict=True):
        def inside(p: tuple[float, float], ax: float = ax, ay: float = ay, bx: float = bx, by: float = by) -> bool:
            return sign * ((bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)) >= 0

        def cut(p: tuple[float, float], q: tuple[float, float], ax: float = ax, ay: float = ay, bx: float = bx,
                by: float = by) -> tuple[float, float]:
            d1 = (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)
            d2 = (bx - ax) * (q[1] - ay) - (by - ay) * (q[0] - ax)
            f = d1 / (d1 - d2)
            return p[0] + f * (q[0] - p[0]), p[1] + f * (q[1] - p[1])

        points, result = result, []
        for i, p in enumerate(points):
            q = points[i - 1]
            if inside(p):
                if not inside(q):
                    result.append(cut(q, p))
                result.append(p)
            elif inside(q):
                result.append(cut(q, p))
        if not result:
            return []
    return result


def polygon_area(ring: list[tuple[float, float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


# --- the catalogue ------------------------------------------------------------------------------------------------


class Catalogue:
    def __init__(self, *, seed: int, start: datetime, days: float, count: int) -> None:
        self.rng = random.Random(seed)
        self.start, self.count = start, count
        self.span_s = days * DAY_S
        epoch = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
        self.satellites = {
            "S1A": Satellite("S1", "A", 12 * DAY_S / 175, 98.18, epoch, 51870, -23.0, 175, 73),
            "S1C": Satellite("S1", "C", 12 * DAY_S / 175, 98.18, epoch + timedelta(seconds=2962), 180, 157.0, 175,
                             172),
            "S2A": Satellite("S2", "A", 10 * DAY_S / 143, 98.62, epoch, 44523, 41.0, 143, 2),
            "S2B": Satellite("S2", "B", 10 * DAY_S / 143, 98.62, epoch + timedelta(seconds=3021), 35711, -139.0, 143,
                             -69),
            "S3A": Satellite("S3", "A", 27 * DAY_S / 385, 98.65, epoch, 40912, 12.0, 385, 0),
            "S3B": Satellite("S3", "B", 27 * DAY_S / 385, 98.65, epoch + timedelta(seconds=1530), 29577, 172.0,
                             385, 140),
        }
        # acquisition kinds: (weight, satellites, method); the weights give ≈ S1 35 %, S2 45 %, S3 20 % of products
        self.kinds = [
            (6.2, ("S1A", "S1C"), self.s1_iw), (1.2, ("S1A", "S1C"), self.s1_ew), (1.5, ("S1A", "S1C"), self.s1_wv),
            (5.0, ("S2A", "S2B"), self.s2), (3.0, ("S3A", "S3B"), self.s3_olci),
            (3.0, ("S3A", "S3B"), self.s3_slstr), (2.0, ("S3A", "S3B"), self.s3_sral),
        ]
        self.clock = dict.fromkeys(self.satellites, start)
        self.emitted = 0
        self.stats: Counter[str] = Counter()

    # shared pieces

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def md5(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def next_start(self, key: str, *, lat_range: tuple[float, float], descending: bool | None) -> datetime:
        sat = self.satellites[key]
        # sensing time follows the products written, so the catalogue spans the requested days whatever the mix
        target = self.start + timedelta(seconds=self.span_s * self.emitted / self.count)
        after = max(self.clock[key], target) + timedelta(seconds=self.rng.uniform(0, 3600))
        lat = self.rng.uniform(*lat_range)
        arc = self.rng.random() < 0.5 if descending is None else descending
        return sat.next_time_at(after, lat, arc).replace(microsecond=self.rng.randrange(1_000_000))

    def orbit_attributes(self, sat: Satellite, start: datetime, end: datetime) -> dict[str, object]:
        orbit, u, node_time = sat.orbit_at(start)
        last_orbit, last_u, _ = sat.orbit_at(end)
        return {
            "orbitNumber": orbit, "relativeOrbitNumber": sat.relative_orbit(orbit),
            "orbitDirection": "ASCENDING" if math.cos(u) > 0 else "DESCENDING",
            "_lastOrbit": last_orbit, "_lastDirection": "ASCENDING" if math.cos(last_u) > 0 else "DESCENDING",
            "_anx_ms": (start - node_time).total_seconds() * 1000.0,
        }

    def product(self, *, name: str, mission: str, unit: str, product_type: str, level: str, start: datetime,
                end: datetime, processed: datetime, size: int, footprint: dict[str, object] | None,
                attributes: dict[str, object]) -> dict[str, object]:
        published = processed + timedelta(seconds=self.rng.uniform(120, 3600))
        self.stats[product_type] += 1
        return {
            "id": self.uuid(), "name": name, "mission": mission, "platform": unit, "productType": product_type,
            "processingLevel": level, "start": iso(start), "end": iso(end), "publicationDate": iso(published),
            "contentLength": size, "checksum": self.md5(), "footprint": footprint,
            "attributes": {k: v for k, v in attributes.items() if not k.startswith("_")},
        }

    # Sentinel-1

    def s1_common(self, sat: Satellite, start: datetime, end: datetime, mode: str, processed: datetime,
                  level_text: str) -> dict[str, object]:
        orbit = self.orbit_attributes(sat, start, end)
        return {
            "platformShortName": "SENTINEL-1", "platformSerialIdentifier": sat.unit, "instrumentShortName": "SAR",
            "operationalMode": mode, "swathIdentifier": mode, "origin": "ESA", "processingLevel": level_text,
            **orbit, "cycleNumber": (orbit["orbitNumber"] - 73) // 175 + 1,  # type: ignore[operator]
            "startTimeFromAscendingNode": round(orbit["_anx_ms"], 3),  # type: ignore[arg-type]
            "completionTimeFromAscendingNode": round(
                orbit["_anx_ms"] + (end - start).total_seconds() * 1000.0, 3),  # type: ignore[operator]
            "beginningDateTime": iso(start), "endingDateTime": iso(end), "processingDate": iso(processed),
            "processingCenter": "Production Service-SERCO", "processorName": "Sentinel-1 IPF",
            "processorVersion": "003.91",
        }

    def s1_datatake(self, key: str, mode: str, slice_s: float, slices: range, near: float, far: float,
                    pol: str, kinds: list[tuple[str, str, int]], ocn_share: float) -> Iterator[dict[str, object]]:
        sat = self.satellites[key]
        start = self.next_start(key, lat_range=(-78.0, 84.0), descending=None)
        n = self.rng.choice(slices)
        datatake = self.rng.randrange(0x010000, 0xFFFFFF)
        end_all = start + timedelta(seconds=slice_s * n + 2.3)
        self.clock[key] = end_all
        timeliness_l0, timeliness = ("NRT", "NRT-3h") if self.rng.random() < 0.6 else ("FAST24", "Fast-24h")
        polarisations = {"DV": "VV&VH", "DH": "HH&HV", "SV": "VV", "SH": "HH"}[pol]
        icid = self.rng.choice((6, 7, 8))
        for index in range(n):
            s = start + timedelta(seconds=slice_s * index)
            e = s + timedelta(seconds=slice_s + 2.3)
            ring = swath_ring(sat, s, e, near, far, step_s=slice_s + 2.3)
            orbit = sat.orbit_at(s)[0]
            for kind, level_digit, size in kinds + ([("OCN_", "2", 7_000_000)] if self.rng.random() < ocn_share
                                                    else []):
                processed = e + timedelta(minutes=self.rng.uniform(40, 170) if timeliness == "NRT-3h"
                                          else self.rng.uniform(300, 1400))
                product_type = f"{mode}_{kind}_{level_digit}S"
                name = (f"S1{sat.unit}_{mode}_{kind}_{level_digit}S{pol}_{s:{NAME_TIME}}_{e:{NAME_TIME}}_"
                        f"{orbit:06d}_{datatake:06X}_{self.rng.randrange(0x10000):04X}.SAFE")
                level_text = f"LEVEL{level_digit}"
                attributes = self.s1_common(sat, s, e, mode, processed, level_text)
                attributes.update({
                    "productType": product_type, "polarisationChannels": polarisations, "datatakeID": datatake,
                    "missionDatatakeID": datatake, "instrumentConfigurationID": icid, "sliceProductFlag": True,
                    "sliceNumber": index + 1, "totalSlices": n, "productClass": "S",
                    "timeliness": timeliness_l0 if level_digit == "0" else timeliness,
                    "coordinates": coordinates_text(ring[:4]),
                })
                if level_digit == "0":
                    attributes["productConsolidation"] = "SLICE"
                else:
                    attributes.update({"productComposition": "Slice", "segmentStartTime": iso(start)})
                yield self.product(
                    name=name, mission="S1", unit=sat.unit, product_type=product_type, level=f"L{level_digit}",
                    start=s, end=e, processed=processed, size=int(size * self.rng.uniform(0.8, 1.2)),
                    footprint=ring_geojson(ring), attributes=attributes)
        # the datatake's annotation, calibration and noise L0 products cover it whole
        ring = swath_ring(sat, start, end_all, near, far, step_s=60.0)
        processed = end_all + timedelta(minutes=self.rng.uniform(30, 120))
        orbit = sat.orbit_at(start)[0]
        for klass in "ACN":
            product_type = f"{mode}_RAW__0{klass}"
            name = (f"S1{sat.unit}_{mode}_RAW__0{klass}{pol}_{start:{NAME_TIME}}_{end_all:{NAME_TIME}}_"
                    f"{orbit:06d}_{datatake:06X}_{self.rng.randrange(0x10000):04X}.SAFE")
            attributes = self.s1_common(sat, start, end_all, mode, processed, "LEVEL0")
            attributes.update({
                "productType": product_type, "polarisationChannels": polarisations, "datatakeID": datatake,
                "missionDatatakeID": datatake, "instrumentConfigurationID": icid, "productClass": klass,
                "productConsolidation": "FULL", "timeliness": timeliness_l0,
                "coordinates": coordinates_text(ring[:4]),
            })
            if klass in "CN":
                elements = self.rng.randrange(20_000, 60_000)
                attributes.update({"qualityDataObjectID": f"{pol[1].lower()}_cal", "qualityNumOfElement": elements,
                                   "qualityNumOfMissingElements": 0, "qualityNumOfCorruptedElements": 0})
            yield self.product(
                name=name, mission="S1", unit=sat.unit, product_type=product_type, level="L0", start=start,
                end=end_all, processed=processed, size=self.rng.randrange(2_000_000, 40_000_000),
                footprint=ring_geojson(ring), attributes=attributes)

    def s1_iw(self, key: str) -> Iterator[dict[str, object]]:
        return self.s1_datatake(key, "IW", 25.0, range(3, 13), 260.0, 510.0, "DV",
                                [("RAW_", "0", 1_600_000_000), ("SLC_", "1", 7_800_000_000),
                                 ("GRDH", "1", 1_700_000_000)], ocn_share=0.15)

    def s1_ew(self, key: str) -> Iterator[dict[str, object]]:
        return self.s1_datatake(key, "EW", 60.0, range(2, 7), 170.0, 570.0, "DH",
                                [("RAW_", "0", 900_000_000), ("GRDM", "1", 350_000_000)], ocn_share=0.10)

    def s1_wv(self, key: str) -> Iterator[dict[str, object]]:
        sat = self.satellites[key]
        start = self.next_start(key, lat_range=(-60.0, 60.0), descending=None)
        end = start + timedelta(seconds=self.rng.uniform(300, 600))
        self.clock[key] = end
        datatake = self.rng.randrange(0x010000, 0xFFFFFF)
        orbit = sat.orbit_at(start)[0]
        strip = swath_ring(sat, start, end, 250.0, 420.0, step_s=60.0)
        nadir = [sat.subpoint(start), sat.subpoint(end)]
        for kind, level_digit, size in (("RAW_", "0", 180_000_000), ("SLC_", "1", 1_500_000_000),
                                        ("OCN_", "2", 40_000_000)):
            processed = end + timedelta(minutes=self.rng.uniform(60, 600))
            product_type = f"WV_{kind}_{level_digit}S"
            name = (f"S1{sat.unit}_WV_{kind}_{level_digit}SSV_{start:{NAME_TIME}}_{end:{NAME_TIME}}_{orbit:06d}_"
                    f"{datatake:06X}_{self.rng.randrange(0x10000):04X}.SAFE")
            attributes = self.s1_common(sat, start, end, "WV", processed, f"LEVEL{level_digit}")
            attributes.update({"productType": product_type, "polarisationChannels": "VV", "datatakeID": datatake,
                               "missionDatatakeID": datatake, "instrumentConfigurationID": 7, "productClass": "S",
                               "timeliness": "FAST24" if level_digit == "0" else "Fast-24h"})
            if level_digit == "0":  # WV L0: the nadir line, never a polygon (naming-and-metadata.md §9.1)
                attributes.update({"productConsolidation": "SLICE", "sliceProductFlag": False,
                                   "coordinates": coordinates_text(nadir)})
                footprint: dict[str, object] = {"type": "LineString",
                                                "coordinates": [[round(x, 6), round(y, 6)] for x, y in nadir]}
            else:
                attributes.update({"productComposition": "Individual", "coordinates": coordinates_text(strip[:4])})
                footprint = ring_geojson(strip)
            yield self.product(name=name, mission="S1", unit=sat.unit, product_type=product_type,
                               level=f"L{level_digit}", start=start, end=end, processed=processed,
                               size=int(size * self.rng.uniform(0.8, 1.2)), footprint=footprint,
                               attributes=attributes)

    # Sentinel-2

    def s2(self, key: str) -> Iterator[dict[str, object]]:
        sat = self.satellites[key]
        start = self.next_start(key, lat_range=(-56.0, 78.0), descending=True)
        duration = self.rng.uniform(20, 120)
        end = start + timedelta(seconds=duration)
        self.clock[key] = end
        orbit = sat.orbit_at(start)[0]
        relative = sat.relative_orbit(orbit)
        baseline = "N0511" if start.year < 2025 else "N0512"
        group = f"GS2{sat.unit}_{start:{NAME_TIME}}_{orbit:06d}_{baseline[0]}{baseline[1:3]}.{baseline[3:]}"
        tiles: dict[str, tuple[list[tuple[float, float]], datetime]] = {}
        t = start
        while t <= end:  # tiles across the swath every ~100 km along the track
            for offset in (-110.0, -40.0, 40.0, 110.0):
                lon, lat = edge_point(sat, t, offset)
                tile, box = tile_of(lon, lat)
                if tile not in tiles:
                    tiles[tile] = (self.tile_footprint(sat, t, lon, box), t)
            t += timedelta(seconds=14.0)
        common = {"platformShortName": "SENTINEL-2", "platformSerialIdentifier": sat.unit,
                  "instrumentShortName": "MSI", "operationalMode": "INS-NOBS", "orbitNumber": orbit,
                  "relativeOrbitNumber": relative, "productGroupId": group, "origin": "ESA",
                  "qualityStatus": "PASSED", "processingCenter": f"2{sat.unit}PS", "beginningDateTime": iso(start),
                  "endingDateTime": iso(start)}
        for level, size in (("1C", 700_000_000), ("2A", 1_000_000_000)):
            processed = end + timedelta(minutes=self.rng.uniform(60, 240 if level == "1C" else 600))
            datastrip = (f"S2{sat.unit}_OPER_MSI_L{level}_DS_2{sat.unit}PS_{processed:{NAME_TIME}}_"
                         f"S{start:{NAME_TIME}}_{baseline[0]}{baseline[1:3]}.{baseline[3:]}")
            for tile, (ring, _t) in tiles.items():
                if not ring or (level == "2A" and self.rng.random() < 0.08):
                    continue
                cloud = self.cloud_cover()
                name = (f"S2{sat.unit}_MSIL{level}_{start:{NAME_TIME}}_{baseline}_R{relative:03d}_T{tile}_"
                        f"{processed:{NAME_TIME}}.SAFE")
                product_type = f"S2MSI{level}"
                attributes = {**common, "productType": product_type, "processingLevel": product_type,
                              "processingBaseline": f"{baseline[1:3]}.{baseline[3:]}",
                              "processorVersion": f"{baseline[1:3]}.{baseline[3:]}", "cloudCover": cloud,
                              "tileId": tile, "datastripId": datastrip, "processingDate": iso(processed)}
                yield self.product(name=name, mission="S2", unit=sat.unit, product_type=product_type,
                                   level=f"L{level[0]}", start=start, end=start, processed=processed,
                                   size=int(size * self.rng.uniform(0.3, 1.1)), footprint=ring_geojson(ring),
                                   attributes=attributes)
        if self.rng.random() < 0.3:  # L0 granules of the first seconds of one datatake in three
            created = end + timedelta(minutes=self.rng.uniform(20, 90))
            datastrip = (f"S2{sat.unit}_OPER_MSI_L0__DS_SGS__{created:{NAME_TIME}}_S{start:{NAME_TIME}}_"
                         f"{baseline[0]}{baseline[1:3]}.{baseline[3:]}")
            for step in range(min(3, int(duration // 3.608))):
                g0 = start + timedelta(seconds=3.608 * step)
                g1 = g0 + timedelta(seconds=3.608)
                for detector in range(1, 13):
                    near = -145.0 + (detector - 1) * 24.2
                    ring = swath_ring(sat, g0, g1, near, near + 26.0, step_s=10.0)
                    name = (f"S2{sat.unit}_OPER_MSI_L0__GR_SGS__{created:{NAME_TIME}}_S{g0:{NAME_TIME}}_"
                            f"D{detector:02d}_{baseline[0]}{baseline[1:3]}.{baseline[3:]}")
                    attributes = {**common, "productType": "MSI_L0__GR", "beginningDateTime": iso(g0),
                                  "endingDateTime": iso(g1), "processingDate": iso(created),
                                  "processorVersion": "02.14", "cloudCover": self.cloud_cover(),
                                  "datastripId": datastrip, "granuleIdentifier": name,
                                  "coordinates": coordinates_text(ring, " ")}
                    yield self.product(name=name, mission="S2", unit=sat.unit, product_type="MSI_L0__GR",
                                       level="L0", start=g0, end=g1, processed=created,
                                       size=self.rng.randrange(15_000_000, 25_000_000),
                                       footprint=ring_geojson(ring), attributes=attributes)

    def tile_footprint(self, sat: Satellite, t: datetime, lon: float,
                       box: list[tuple[float, float]]) -> list[tuple[float, float]]:
        """The tile box clipped to the swath, computed around the tile's own longitude (no wrap inside)."""
        band = [edge_point(sat, t + timedelta(seconds=dt), offset)
                for dt, offset in ((-30.0, -145.0), (30.0, -145.0), (30.0, 145.0), (-30.0, 145.0))]
        local_band = [(lon + wrap(x - lon), y) for x, y in band]
        local_box = [(lon + wrap(x - lon), y) for x, y in box]
        part = clip(local_box, local_band)
        if len(part) < 3 or polygon_area(part) < 0.05 * polygon_area(local_box):
            return []
        ring = [(wrap(x), y) for x, y in part]
        return [*ring, ring[0]]

    def cloud_cover(self) -> float:
        roll = self.rng.random()
        value = self.rng.uniform(0, 8) if roll < 0.3 else self.rng.uniform(92, 100) if roll < 0.55 else \
            self.rng.uniform(0, 100)
        return round(value, 12)

    # Sentinel-3

    def s3_name(self, sat: Satellite, product_type: str, start: datetime, end: datetime, created: datetime,
                frame: int | None, centre: str, timeliness: str, baseline: str) -> str:
        orbit = sat.orbit_at(start)[0]
        cycle = (orbit - sat.epoch_orbit) // sat.repeat_orbits + 100
        duration = round((end - start).total_seconds())
        frame_text = f"{frame:04d}" if frame is not None else "____"
        instance = f"{duration:04d}_{cycle:03d}_{sat.relative_orbit(orbit):03d}_{frame_text}"
        return (f"S3{sat.unit}_{product_type}_{start:{NAME_TIME}}_{end:{NAME_TIME}}_{created:{NAME_TIME}}_"
                f"{instance}_{centre}_O_{timeliness}_{baseline}.SEN3")

    def s3_attributes(self, sat: Satellite, product_type: str, instrument: str, start: datetime, end: datetime,
                      created: datetime, timeliness: str, baseline: str, ring: list[tuple[float, float]]
                      ) -> dict[str, object]:
        orbit = self.orbit_attributes(sat, start, end)
        return {
            "productType": product_type, "platformShortName": "SENTINEL-3", "platformSerialIdentifier": sat.unit,
            "instrumentShortName": instrument, "operationalMode": "EO", "timeliness": timeliness,
            "baselineCollection": baseline, **orbit, "lastOrbitNumber": orbit["_lastOrbit"],
            "lastOrbitDirection": orbit["_lastDirection"], "lastRelativeOrbitNumber": sat.relative_orbit(
                orbit["_lastOrbit"]),  # type: ignore[arg-type]
            "cycleNumber": (orbit["orbitNumber"] - sat.epoch_orbit) // sat.repeat_orbits + 100,  # type: ignore
            "processingLevel": product_type[3], "processingDate": iso(created),
            "processingCenter": "PS1" if sat.unit == "A" else "PS2", "processorName": "IPF",
            "processorVersion": "06.17", "beginningDateTime": iso(start), "endingDateTime": iso(end),
            "coordinates": coordinates_text(ring, " "),
        }

    def covers(self, names: tuple[str, ...]) -> dict[str, object]:
        cuts = sorted(self.rng.random() for _ in names[1:])
        shares = [b - a for a, b in zip([0.0, *cuts], [*cuts, 1.0], strict=True)]
        return {n: round(100.0 * s, 6) for n, s in zip(names, shares, strict=True)}

    def s3_frames(self, key: str, instrument: str, source: str, near: float, far: float,
                  products: list[tuple[str, str, str, int]], descending: bool | None,
                  extra: tuple[str, ...]) -> Iterator[dict[str, object]]:
        sat = self.satellites[key]
        start = self.next_start(key, lat_range=(-75.0, 75.0), descending=descending)
        frames = self.rng.randrange(2, 7)
        self.clock[key] = start + timedelta(minutes=3 * frames)
        for index in range(frames):
            s = start + timedelta(minutes=3 * index)
            e = s + timedelta(minutes=3)
            ring = swath_ring(sat, s, e, near, far, step_s=45.0)
            _, u, _ = sat.orbit_at(s)
            frame = round(math.degrees(u) / 360.0 * 6060) % 6060
            for product_type, timeliness, centre, size in products:
                created = e + (timedelta(minutes=self.rng.uniform(60, 170)) if timeliness == "NR"
                               else timedelta(hours=self.rng.uniform(24, 60)))
                baseline = "004" if timeliness == "NR" else "003"
                full_type = f"{source}_{product_type}"
                name = self.s3_name(sat, full_type, s, e, created, frame, centre, timeliness, baseline)
                attributes = self.s3_attributes(sat, full_type, instrument, s, e, created, timeliness, baseline,
                                                ring)
                attributes.update(self.covers(extra))
                if "cloudCover" not in attributes:
                    attributes["cloudCover"] = self.cloud_cover()
                yield self.product(name=name, mission="S3", unit=sat.unit, product_type=full_type,
                                   level=f"L{full_type[3]}", start=s, end=e, processed=created,
                                   size=int(size * self.rng.uniform(0.8, 1.2)), footprint=ring_geojson(ring),
                                   attributes=attributes)

    def s3_olci(self, key: str) -> Iterator[dict[str, object]]:
        return self.s3_frames(key, "OLCI", "OL", -740.0, 530.0,
                              [("1_EFR___", "NR", "PS1", 650_000_000), ("1_EFR___", "NT", "LN3", 650_000_000),
                               ("2_LFR___", "NT", "LN3", 200_000_000), ("2_WFR___", "NT", "MAR", 300_000_000)],
                              True, ("brightCover", "salineWaterCover", "coastalCover", "freshInlandWaterCover",
                                     "tidalRegionCover", "landCover"))

    def s3_slstr(self, key: str) -> Iterator[dict[str, object]]:
        return self.s3_frames(key, "SLSTR", "SL", -550.0, 850.0,
                              [("1_RBT___", "NR", "PS1", 400_000_000), ("1_RBT___", "NT", "LN3", 400_000_000),
                               ("2_LST___", "NT", "LN3", 80_000_000), ("2_WST___", "NT", "MAR", 90_000_000)],
                              None, ("salineWaterCover", "coastalCover", "freshInlandWaterCover",
                                     "tidalRegionCover", "landCover"))

    def s3_sral(self, key: str) -> Iterator[dict[str, object]]:
        sat = self.satellites[key]
        start = self.next_start(key, lat_range=(-78.0, 78.0), descending=None)
        end = start + timedelta(minutes=10)
        self.clock[key] = end
        ring = swath_ring(sat, start, end, -10.0, 10.0, step_s=60.0)
        for product_type, timeliness, centre, size in (("SR_1_SRA___", "ST", "MAR", 60_000_000),
                                                       ("SR_2_LAN___", "NT", "LN3", 30_000_000),
                                                       ("SR_2_WAT___", "NT", "MAR", 40_000_000)):
            created = end + timedelta(hours=self.rng.uniform(2, 48))
            name = self.s3_name(sat, product_type, start, end, created, None, centre, timeliness, "004")
            attributes = self.s3_attributes(sat, product_type, "SRAL", start, end, created, timeliness, "004",
                                            ring)
            attributes.update(self.covers(("landCover", "closedSeaCover", "continentalIceCover", "openOceanCover")))
            yield self.product(name=name, mission="S3", unit=sat.unit, product_type=product_type,
                               level=f"L{product_type[3]}", start=start, end=end, processed=created,
                               size=int(size * self.rng.uniform(0.8, 1.2)), footprint=ring_geojson(ring),
                               attributes=attributes)

    def products(self) -> Iterator[dict[str, object]]:
        weights = [w for w, _, _ in self.kinds]
        emitted = 0
        while emitted < self.count:
            _, satellites, method = self.rng.choices(self.kinds, weights)[0]
            # the satellite whose clock is furthest behind flies next: keeps all units over the same span
            key = min(satellites, key=lambda k: self.clock[k])
            for product in method(key):
                yield product
                emitted += 1
                self.emitted = emitted
                if emitted == self.count:
                    return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="number of products (lines)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2024-01-01", help="first sensing day (UTC), default 2024-01-01")
    parser.add_argument("--days", type=float, default=731.0, help="span of sensing times, default two years")
    parser.add_argument("--output", "-o", default="-", help="file to write ('-': stdout)")
    parser.add_argument("--stats", action="store_true", help="print products per type to stderr at the end")
    args = parser.parse_args(argv)
    if args.count < 1 or args.days <= 0:
        parser.error("--count must be ≥ 1 and --days > 0")
    try:
        start = datetime.fromisoformat(args.start).replace(tzinfo=UTC)
    except ValueError:
        parser.error(f"--start {args.start!r} is not a date")
    catalogue = Catalogue(seed=args.seed, start=start, days=args.days, count=args.count)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        buffer: list[str] = []
        for product in catalogue.products():
            buffer.append(dumps(product))
            if len(buffer) == 1000:
                out.write("\n".join(buffer) + "\n")
                buffer.clear()
        if buffer:
            out.write("\n".join(buffer) + "\n")
    except BrokenPipeError:
        return 1
    finally:
        if out is not sys.stdout:
            out.close()
    if args.stats:
        for product_type, n in sorted(catalogue.stats.items()):
            print(f"{product_type}\t{n}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
