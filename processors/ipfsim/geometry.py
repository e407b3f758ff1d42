"""Footprints from inputs: a circular sun-synchronous orbit model for sessions, interpolation along swaths,
convex hulls and clipping for granules and tiles, UTM/MGRS for Sentinel-2 tiles. Points are (lat, lon)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

Point = tuple[float, float]  # (lat, lon) in degrees
EARTH_KM = 6371.0
SIDEREAL_S = 86164.0905
# S1 reference orbit: nodes every ORBIT_S seconds from ANX_EPOCH, whose node longitude is ANX_EPOCH_LON. A
# sun-synchronous plane keeps its local time, so the node moves west by 360°·ORBIT_S/86400 per orbit.
S1_ORBIT_S = 98.6 * 60
S1_INCLINATION = 98.18
ANX_EPOCH = datetime(2026, 11, 20, 9, 48, 0, tzinfo=UTC)
ANX_EPOCH_LON = 23.0


def wrap(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def ground_point(moment: datetime, *, period_s: float = S1_ORBIT_S, inclination: float = S1_INCLINATION,
                 epoch: datetime = ANX_EPOCH, epoch_lon: float = ANX_EPOCH_LON) -> Point:
    """Sub-satellite point at `moment` on a circular orbit."""
    elapsed = (moment - epoch).total_seconds()
    orbits = math.floor(elapsed / period_s)
    since_node = elapsed - orbits * period_s
    node_lon = epoch_lon - orbits * 360.0 * period_s / 86400.0
    u = 2 * math.pi * since_node / period_s
    i = math.radians(inclination)
    lat = math.degrees(math.asin(math.sin(i) * math.sin(u)))
    lon = node_lon + math.degrees(math.atan2(math.cos(i) * math.sin(u), math.cos(u))) \
        - 360.0 * since_node / SIDEREAL_S
    return round(lat, 6), wrap(lon)


def anx_before(moment: datetime, *, period_s: float = S1_ORBIT_S, epoch: datetime = ANX_EPOCH) -> datetime:
    """The ascending node time of the orbit `moment` belongs to."""
    orbits = math.floor((moment - epoch).total_seconds() / period_s)
    return epoch + timedelta(seconds=orbits * period_s)


def destination(point: Point, bearing: float, km: float) -> Point:
    lat1, lon1 = math.radians(point[0]), math.radians(point[1])
    b, d = math.radians(bearing), km / EARTH_KM
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2))
    return math.degrees(lat2), wrap(math.degrees(lon2))


def bearing(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    dlon = math.radians(b[1] - a[1])
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(y, x))


def swath_corners(start: datetime, stop: datetime, *, width_km: float, right_looking: bool = True,
                  near_offset_km: float = 0.0) -> list[Point]:
    """[near-start, far-start, far-stop, near-stop] of the swath imaged between start and stop (S1 looks right)."""
    first, last = ground_point(start), ground_point(stop)
    side = 90.0 if right_looking else -90.0
    heading_start = bearing(first, ground_point(start + timedelta(seconds=1)))
    heading_stop = bearing(ground_point(stop - timedelta(seconds=1)), last)
    near_start = destination(first, heading_start + side, near_offset_km)
    far_start = destination(first, heading_start + side, near_offset_km + width_km)
    near_stop = destination(last, heading_stop + side, near_offset_km)
    far_stop = destination(last, heading_stop + side, near_offset_km + width_km)
    return [_round(p) for p in (near_start, far_start, far_stop, near_stop)]


def _round(point: Point) -> Point:
    return round(point[0], 4), round(point[1], 4)


def _lerp(a: Point, b: Point, f: float) -> Point:
    dlon = (b[1] - a[1] + 180.0) % 360.0 - 180.0  # the short way round, across the antimeridian if needed
    return _round((a[0] + (b[0] - a[0]) * f, wrap(a[1] + dlon * f)))


def swath_part(corners: Sequence[Point], f0: float, f1: float) -> list[Point]:
    """The part of a swath [near-start, far-start, far-stop, near-stop] between time fractions f0 and f1."""
    near_start, far_start, far_stop, near_stop = corners
    return [_lerp(near_start, near_stop, f0), _lerp(far_start, far_stop, f0),
            _lerp(far_start, far_stop, f1), _lerp(near_start, near_stop, f1)]


def shrink(corners: Sequence[Point], fraction: float) -> list[Point]:
    """The ring pulled towards its centroid by `fraction` (a narrower product over the same scene)."""
    lat = sum(p[0] for p in corners) / len(corners)
    lon = sum(p[1] for p in corners) / len(corners)
    return [_round((p[0] + (lat - p[0]) * fraction, p[1] + (lon - p[1]) * fraction)) for p in corners]


def convex_hull(points: Sequence[Point]) -> list[Point]:
    """Counter-clockwise hull (lon as x, lat as y), unclosed."""
    pts = sorted({(p[1], p[0]) for p in points})
    if len(pts) < 3:
        return [(y, x) for x, y in pts]

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return [(y, x) for x, y in lower[:-1] + upper[:-1]]


def clip(subject: Sequence[Point], convex: Sequence[Point]) -> list[Point]:
    """Sutherland-Hodgman: `subject` clipped by the counter-clockwise convex polygon `convex`."""
    def inside(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> bool:
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0

    def cut(p: tuple[float, float], q: tuple[float, float], a: tuple[float, float],
            b: tuple[float, float]) -> tuple[float, float]:
        dx, dy = q[0] - p[0], q[1] - p[1]
        ex, ey = b[0] - a[0], b[1] - a[1]
        t = (ex * (p[1] - a[1]) - ey * (p[0] - a[0])) / (ey * dx - ex * dy)
        return p[0] + t * dx, p[1] + t * dy

    output = [(p[1], p[0]) for p in subject]
    window = [(p[1], p[0]) for p in convex]
    for a, b in zip(window, window[1:] + window[:1], strict=True):
        source, output = output, []
        for p, q in zip(source, source[1:] + source[:1], strict=True):
            if inside(q, a, b):
                if not inside(p, a, b):
                    output.append(cut(p, q, a, b))
                output.append(q)
            elif inside(p, a, b):
                output.append(cut(p, q, a, b))
        if not output:
            return []
    return [_round((y, x)) for x, y in output]


# --- UTM / MGRS (WGS84), for Sentinel-2 tiles -------------------------------------------------------------------
_A, _F = 6378137.0, 1 / 298.257223563
_E2 = _F * (2 - _F)
_EP2 = _E2 / (1 - _E2)
_K0 = 0.9996
_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_COLUMNS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")
_ROWS = "ABCDEFGHJKLMNPQRSTUV"


def _meridian_arc(phi: float) -> float:
    e2, e4, e6 = _E2, _E2 ** 2, _E2 ** 3
    return _A * ((1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi - (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024)
                 * math.sin(2 * phi) + (15 * e4 / 256 + 45 * e6 / 1024) * math.sin(4 * phi)
                 - (35 * e6 / 3072) * math.sin(6 * phi))


def utm_forward(lat: float, lon: float, zone: int) -> tuple[float, float]:
    """(easting, northing) in metres; northing of the southern hemisphere offset by 10 000 km."""
    phi, lam0 = math.radians(lat), math.radians(zone * 6 - 183)
    n = _A / math.sqrt(1 - _E2 * math.sin(phi) ** 2)
    t, c = math.tan(phi) ** 2, _EP2 * math.cos(phi) ** 2
    a = math.cos(phi) * (math.radians(lon) - lam0)
    easting = _K0 * n * (a + (1 - t + c) * a ** 3 / 6 + (5 - 18 * t + t * t + 72 * c - 58 * _EP2) * a ** 5 / 120)
    northing = _K0 * (_meridian_arc(phi) + n * math.tan(phi) * (
        a * a / 2 + (5 - t + 9 * c + 4 * c * c) * a ** 4 / 24 + (61 - 58 * t + t * t + 600 * c - 330 * _EP2)
        * a ** 6 / 720))
    return easting + 500000.0, northing + (10000000.0 if lat < 0 else 0.0)


def utm_inverse(easting: float, northing: float, zone: int, north: bool) -> Point:
    x, y = easting - 500000.0, northing - (0.0 if north else 10000000.0)
    mu = y / _K0 / (_A * (1 - _E2 / 4 - 3 * _E2 ** 2 / 64 - 5 * _E2 ** 3 / 256))
    e1 = (1 - math.sqrt(1 - _E2)) / (1 + math.sqrt(1 - _E2))
    phi1 = (mu + (3 * e1 / 2 - 27 * e1 ** 3 / 32) * math.sin(2 * mu) + (21 * e1 ** 2 / 16 - 55 * e1 ** 4 / 32)
            * math.sin(4 * mu) + (151 * e1 ** 3 / 96) * math.sin(6 * mu))
    n1 = _A / math.sqrt(1 - _E2 * math.sin(phi1) ** 2)
    t1, c1 = math.tan(phi1) ** 2, _EP2 * math.cos(phi1) ** 2
    r1 = _A * (1 - _E2) / (1 - _E2 * math.sin(phi1) ** 2) ** 1.5
    d = x / (n1 * _K0)
    lat = phi1 - (n1 * math.tan(phi1) / r1) * (d * d / 2 - (5 + 3 * t1 + 10 * c1 - 4 * c1 * c1 - 9 * _EP2)
                                               * d ** 4 / 24 + (61 + 90 * t1 + 298 * c1 + 45 * t1 * t1
                                                                - 252 * _EP2 - 3 * c1 * c1) * d ** 6 / 720)
    lon = (d - (1 + 2 * t1 + c1) * d ** 3 / 6 + (5 - 2 * c1 + 28 * t1 - 3 * c1 * c1 + 8 * _EP2 + 24 * t1 * t1)
           * d ** 5 / 120) / math.cos(phi1)
    return round(math.degrees(lat), 6), round(wrap(zone * 6 - 183 + math.degrees(lon)), 6)


def mgrs_tile(lat: float, lon: float) -> str:
    """The Sentinel-2 (MGRS) tile id holding the point, e.g. 32TMS (no Norway/Svalbard zone exceptions)."""
    zone = int((lon + 180) // 6) + 1
    band = _BANDS[min(int((lat + 80) // 8), len(_BANDS) - 1)]
    easting, northing = utm_forward(lat, lon, zone)
    column = _COLUMNS[(zone - 1) % 3][int(easting // 100000) - 1]
    row = _ROWS[(int(northing // 100000) + (5 if zone % 2 == 0 else 0)) % 20]
    return f"{zone:02d}{band}{column}{row}"


def tile_square(tile: str, lat: float, lon: float) -> list[Point]:
    """The 109.8 km square of `tile` (which holds (lat, lon)): its upper-left corner is the 100 km square's."""
    zone = int(tile[:2])
    easting, northing = utm_forward(lat, lon, zone)
    west = (easting // 100000) * 100000
    top = (northing // 100000) * 100000 + 100000
    north = lat >= 0
    corners = [(west, top - 109800), (west + 109800, top - 109800), (west + 109800, top), (west, top)]
    return [utm_inverse(e, n, zone, north) for e, n in corners]


def tiles_over(ring: Sequence[Point], *, step_km: float = 10.0) -> dict[str, list[Point]]:
    """Tiles whose square meets the convex ring, each with the part of its square inside the ring."""
    hull = convex_hull(ring)
    lats = [p[0] for p in hull]
    lons = [p[1] for p in hull]
    found: dict[str, list[Point]] = {}
    steps_lat = max(2, int((max(lats) - min(lats)) * 111 / step_km) + 1)
    steps_lon = max(2, int((max(lons) - min(lons)) * 111 * math.cos(math.radians(sum(lats) / len(lats))) / step_km) + 1)
    for i in range(steps_lat + 1):
        for j in range(steps_lon + 1):
            lat = min(lats) + (max(lats) - min(lats)) * i / steps_lat
            lon = min(lons) + (max(lons) - min(lons)) * j / steps_lon
            tile = mgrs_tile(lat, lon)
            if tile in found:
                continue
            part = clip(tile_square(tile, lat, lon), hull)
            if len(part) >= 3:
                found[tile] = part
    return dict(sorted(found.items()))
