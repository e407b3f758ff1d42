/* Plain-array geometry for the map and the search: areas of interest (AOI) and footprint outlines.
 *
 * Coordinates are [lon, lat] in degrees. Footprints come from the PRIP split at ±180° (MultiPolygons whose parts end
 * on the antimeridian) and may reach the poles; the map repeats the world horizontally, so the halves of a split
 * footprint meet at the seam between two copies and only the outline along the cut has to be left out.
 */

const DECIMALS = 4; // ~10 m, as eodag sends AOIs; keeps URLs short
const MAX_LON_STEP = 45; // the PRIP reads a jump > 180° between vertices as an antimeridian crossing (§5.4)
const MAX_UPLOAD_POINTS = 400; // per ring: keeps the request line short (detailed AOIs exceed 8 KB)

const round = (value) => Number(value.toFixed(DECIMALS));
const closed = (ring) => {
  const [first, last] = [ring[0], ring[ring.length - 1]];
  return first[0] === last[0] && first[1] === last[1] ? ring : [...ring, first];
};

/** Ring longitudes made continuous when consecutive vertices jump by more than 180° (a wrapped crossing). */
export function unwrapRing(ring) {
  const jumps = ring.some((p, i) => i > 0 && Math.abs(p[0] - ring[i - 1][0]) > 180);
  return jumps ? ring.map(([lon, lat]) => [lon < 0 ? lon + 360 : lon, lat]) : ring;
}

/** Extra vertices on long edges so that no edge spans more than MAX_LON_STEP degrees of longitude. */
function densified(ring) {
  const out = [ring[0]];
  for (let i = 1; i < ring.length; i++) {
    const [a, b] = [ring[i - 1], ring[i]];
    const steps = Math.ceil(Math.abs(b[0] - a[0]) / MAX_LON_STEP);
    for (let s = 1; s < steps; s++) out.push([a[0] + ((b[0] - a[0]) * s) / steps, a[1] + ((b[1] - a[1]) * s) / steps]);
    out.push(b);
  }
  return out;
}

/** Fewer points for very detailed uploaded rings: every n-th vertex, the first and the last kept. */
function thinned(ring, limit = MAX_UPLOAD_POINTS) {
  if (ring.length <= limit) return ring;
  const step = Math.ceil(ring.length / limit);
  return closed(ring.filter((_, i) => i % step === 0 || i === ring.length - 1));
}

/**
 * An AOI ring as the PRIP takes it: closed, continuous longitudes moved so the westmost lies in [-180, 180) (the
 * server splits whatever passes +180°), no edge wider than 45°, latitudes clamped to ±90, 4 decimals.
 * `continuous` rings (drawn on the map) are already unwrapped; uploaded ones may wrap at ±180°.
 */
export function normaliseAoiRing(ring, { continuous = false } = {}) {
  if (!Array.isArray(ring) || ring.length < 3) throw new Error("an area needs at least three points");
  let points = ring.map(([lon, lat]) => [Number(lon), Math.max(-90, Math.min(90, Number(lat)))]);
  if (points.some(([lon, lat]) => !Number.isFinite(lon) || !Number.isFinite(lat))) {
    throw new Error("an area has a coordinate that is not a number");
  }
  points = closed(continuous ? points : unwrapRing(points));
  const lons = points.map(([lon]) => lon);
  const [west, east] = [Math.min(...lons), Math.max(...lons)];
  if (east - west >= 360) points = points.map(([lon, lat]) => [Math.min(west + 359.9999, lon), lat]); // one world
  const shift = Math.floor((west + 180) / 360) * 360;
  points = densified(points).map(([lon, lat]) => [round(lon - shift), round(lat)]);
  return closed(points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]));
}

/** A box from two corners; west > east means the box crosses the antimeridian eastwards. */
export function boxRing(west, south, east, north) {
  const e = east < west ? east + 360 : east;
  return [[west, south], [e, south], [e, north], [west, north], [west, south]];
}

/** "west,south,east,north" typed by a user → normalised ring, or an Error with the reason. */
export function parseBox(text) {
  const values = String(text).split(/[\s,;]+/).filter(Boolean).map(Number);
  if (values.length !== 4 || !values.every(Number.isFinite)) {
    throw new Error("type four numbers: west, south, east, north");
  }
  const [west, south, east, north] = values;
  if (Math.abs(west) > 180 || Math.abs(east) > 180) throw new Error("longitudes go from -180 to 180");
  if (Math.abs(south) > 90 || Math.abs(north) > 90 || south >= north) {
    throw new Error("latitudes go from -90 to 90, south below north");
  }
  return normaliseAoiRing(boxRing(west, south, east, north), { continuous: true });
}

/** Exterior rings of every polygon in a GeoJSON object (FeatureCollection, Feature, geometry, collection). */
export function polygonsOfGeoJSON(object) {
  const rings = [];
  const visit = (node) => {
    if (!node || typeof node !== "object") return;
    switch (node.type) {
      case "FeatureCollection": (node.features || []).forEach(visit); break;
      case "Feature": visit(node.geometry); break;
      case "GeometryCollection": (node.geometries || []).forEach(visit); break;
      case "Polygon": if (node.coordinates && node.coordinates[0]) rings.push(node.coordinates[0]); break;
      case "MultiPolygon": (node.coordinates || []).forEach((polygon) => polygon[0] && rings.push(polygon[0])); break;
      default: break;
    }
  };
  visit(object);
  if (rings.length === 0) throw new Error("the file has no Polygon or MultiPolygon");
  return rings.map((ring) => normaliseAoiRing(thinned(ring.map((p) => p.slice(0, 2)))));
}

const ringWkt = (ring) => `(${ring.map(([lon, lat]) => `${lon} ${lat}`).join(", ")})`;

/** POLYGON ((lon lat, …)) for one ring, MULTIPOLYGON (((…)),((…))) for several. */
export function aoiWkt(rings) {
  if (rings.length === 1) return `POLYGON (${ringWkt(rings[0])})`;
  return `MULTIPOLYGON (${rings.map((ring) => `(${ringWkt(ring)})`).join(",")})`;
}

// --- Footprints ------------------------------------------------------------------------------------------------------

const onMapEdge = (a, b) => (Math.abs(a[0]) === 180 && a[0] === b[0]) || (Math.abs(a[1]) === 90 && a[1] === b[1]);

/** Open lines of a path without its edges on the map's border; a closed ring is walked round from cut to cut. */
function trimmed(path, closedRing) {
  const n = closedRing ? path.length - 1 : path.length;
  const cuts = [];
  for (let i = 0; i < path.length - 1; i++) if (onMapEdge(path[i], path[i + 1])) cuts.push(i);
  if (cuts.length === 0) return [path];
  if (!closedRing) {
    const lines = [];
    let from = 0;
    for (const cut of [...cuts, path.length - 1]) {
      if (cut > from) lines.push(path.slice(from, cut + 1));
      from = cut + 1;
    }
    return lines;
  }
  const lines = [];
  cuts.forEach((cut, k) => {
    const end = cuts[(k + 1) % cuts.length];
    const line = [];
    for (let i = cut + 1; ; i++) {
      line.push(path[i % n]);
      if (i % n === end) break;
    }
    if (line.length > 1) lines.push(line);
  });
  return lines;
}

/** Outline of a footprint without the edges that only exist because of the cut at ±180° or the pole. */
export function outlineOf(geometry) {
  if (!geometry) return [];
  switch (geometry.type) {
    case "Polygon": return geometry.coordinates.flatMap((ring) => trimmed(ring, true));
    case "MultiPolygon": return geometry.coordinates.flat().flatMap((ring) => trimmed(ring, true));
    case "LineString": return trimmed(geometry.coordinates, false);
    case "MultiLineString": return geometry.coordinates.flatMap((line) => trimmed(line, false));
    default: return [];
  }
}

/** [west, south, east, north] of a footprint, with the halves of a split footprint put side by side (east > 180). */
function positionsOf(coordinates, out = []) {
  if (typeof coordinates[0] === "number") out.push(coordinates);
  else for (const part of coordinates) positionsOf(part, out);
  return out;
}

export function footprintExtent(geometry) {
  if (!geometry || !geometry.coordinates) return null;
  const coords = positionsOf(geometry.coordinates);
  if (coords.length === 0) return null;
  const split = coords.some(([lon]) => lon === 180) && coords.some(([lon]) => lon === -180);
  const lons = coords.map(([lon]) => (split && lon < 0 ? lon + 360 : lon));
  const lats = coords.map(([, lat]) => lat);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}
