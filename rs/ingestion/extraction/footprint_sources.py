"""Footprints from the coordinate strings of the metadata files (naming-and-metadata.md §9.1), normalised by
rs.catalog.footprints; an invalid footprint is an extraction error, never stored silently."""

from __future__ import annotations

from django.contrib.gis.geos import LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon

from rs.catalog.footprints import InvalidFootprint, footprint_from_nadir_line, footprint_from_ring
from rs.ingestion.extraction.errors import ExtractionError

LonLat = tuple[float, float]


def _numbers(text: str, *, source: str) -> list[float]:
    try:
        return [float(token) for token in text.replace(",", " ").split()]
    except ValueError:
        raise ExtractionError(f"{source}: footprint {text[:80]!r} holds something else than numbers") from None


def points_from_comma_pairs(text: str, *, source: str) -> list[LonLat]:
    """S1 `gml:coordinates`: 'lat,lon lat,lon …' → [(lon, lat), …]."""
    pairs = text.split()
    if any(pair.count(",") != 1 for pair in pairs):
        raise ExtractionError(f"{source}: footprint {text[:80]!r} is not 'lat,lon lat,lon …'")
    numbers = _numbers(text, source=source)
    return [(numbers[i + 1], numbers[i]) for i in range(0, len(numbers), 2)]


def points_from_sequence(text: str, *, dimension: int, source: str) -> list[LonLat]:
    """S3 posList ('lat lon …', dimension 2), S2 EXT_POS_LIST ('lat lon height …', dimension 3) → [(lon, lat)]."""
    numbers = _numbers(text, source=source)
    if not numbers or len(numbers) % dimension:
        raise ExtractionError(f"{source}: footprint has {len(numbers)} numbers, not a multiple of {dimension}")
    return [(numbers[i + 1], numbers[i]) for i in range(0, len(numbers), dimension)]


def points_from_ext_pos_list(text: str, *, source: str, prefer_heights: bool) -> list[LonLat]:
    """S2 EXT_POS_LIST: PDI metadata give 'lat lon height' triplets, user products 'lat lon' pairs; the closed ring
    tells which when the source does not."""
    numbers = _numbers(text, source=source)
    for dimension in ((3, 2) if prefer_heights else (2, 3)):
        if len(numbers) % dimension == 0 and len(numbers) >= 4 * dimension:
            points = points_from_sequence(text, dimension=dimension, source=source)
            if points[0] == points[-1]:
                return points
    raise ExtractionError(f"{source}: footprint EXT_POS_LIST is neither closed 'lat lon' pairs nor triplets")


def ring_footprint(points: list[LonLat], *, source: str) -> MultiPolygon:
    try:
        return footprint_from_ring(points)
    except InvalidFootprint as exc:
        raise ExtractionError(f"{source}: invalid footprint: {exc}") from None


def nadir_footprint(points: list[LonLat], *, source: str) -> LineString | MultiLineString:
    if len(points) != 2:
        raise ExtractionError(f"{source}: a WV/RF L0 footprint is 2 nadir points, not {len(points)}")
    try:
        return footprint_from_nadir_line(points)
    except InvalidFootprint as exc:
        raise ExtractionError(f"{source}: invalid footprint: {exc}") from None


def bounding_footprint(rings: list[list[LonLat]], *, source: str) -> MultiPolygon:
    """WV L1/L2: one footprint per vignette → the polygon bounding them all (their convex hull)."""
    points = [p for ring in rings for p in ring]
    longitudes = [lon for lon, _ in points]
    if max(longitudes) - min(longitudes) > 180:  # vignettes on both sides of ±180°: hull in 0…360
        points = [(lon + 360 if lon < 0 else lon, lat) for lon, lat in points]
    hull = MultiPoint([Point(p) for p in points]).convex_hull
    if not isinstance(hull, Polygon):
        raise ExtractionError(f"{source}: the vignette footprints do not span an area")
    return ring_footprint([(x, y) for x, y in hull[0].coords], source=source)
