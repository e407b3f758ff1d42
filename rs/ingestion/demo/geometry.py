"""Plausible footprints: swaths along a ground track, S2 granules, S3 frames (one crossing the antimeridian)."""

from __future__ import annotations

import math


def swath(lon: float, lat: float, *, along_km: float, across_km: float, heading: float) -> list[tuple[float, float]]:
    """Four (lat, lon) corners of a parallelogram centred on (lon, lat) whose long side follows `heading` (degrees
    clockwise from north), in the order near-start, far-start, far-stop, near-stop (counter-clockwise). Longitudes
    may leave [-180, 180]: they are wrapped, so a swath over the antimeridian crosses it."""
    h = math.radians(heading)
    dlat = 1 / 111.0
    dlon = 1 / (111.0 * max(math.cos(math.radians(lat)), 0.05))
    ax, ay = math.sin(h) * along_km / 2 * dlon, math.cos(h) * along_km / 2 * dlat
    cx, cy = math.cos(h) * across_km / 2 * dlon, -math.sin(h) * across_km / 2 * dlat
    corners = [(lon - ax - cx, lat - ay - cy), (lon - ax + cx, lat - ay + cy),
               (lon + ax + cx, lat + ay + cy), (lon + ax - cx, lat + ay - cy)]
    return [(round(y, 4), round(_wrap(x), 4)) for x, y in corners]


def _wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def comma_pairs(corners: list[tuple[float, float]], *, close: bool) -> str:
    """S1 `gml:coordinates`: "lat,lon lat,lon …"."""
    points = corners + corners[:1] if close else corners
    return " ".join(f"{lat:.4f},{lon:.4f}" for lat, lon in points)


def space_pairs(corners: list[tuple[float, float]]) -> str:
    """S3 `gml:posList`: "lat lon lat lon …", closed."""
    return " ".join(f"{lat:.6f} {lon:.6f}" for lat, lon in corners + corners[:1])


def along_track(lon: float, lat: float, *, km: float, heading: float) -> tuple[float, float]:
    """The point `km` further along a track of `heading`."""
    h = math.radians(heading)
    new_lat = lat + math.cos(h) * km / 111.0
    new_lon = lon + math.sin(h) * km / (111.0 * max(math.cos(math.radians(lat)), 0.05))
    return _wrap(new_lon), new_lat
