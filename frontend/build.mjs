// Builds frontend/dist/, which Django serves as a static root (STATICFILES_DIRS): the map libraries, the Natural
// Earth basemap and our own scripts and styles, so that every page works without any server on the internet.
//
//   dist/vendor/ol/          OpenLayers (global `ol`) for the web client and the GeoDjango admin widget (rs/map_widgets.py)
//   dist/vendor/leaflet/     Leaflet (global `L`), kept for pages that prefer it
//   dist/rs/basemap/         countries-50m.geojson, Natural Earth converted from world-atlas's TopoJSON
//   dist/rs/                 frontend/src/* as they are: rs.css and the web client's ES modules (rs/web/*.js), which
//                            browsers load natively (<script type="module">, <link rel="modulepreload">)
//
// Plain Node, no bundler: `npm run build`.

import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { feature } from "topojson-client";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const dist = join(here, "dist");

// 1:50m Natural Earth has a quantisation step of about 0.0036°, so three decimals lose nothing and halve the file.
const COORDINATE_DECIMALS = 3;

function copy(from, to) {
  mkdirSync(dirname(join(dist, to)), { recursive: true });
  cpSync(join(modules, from), join(dist, to), { recursive: true });
}

// --- Natural Earth: TopoJSON → GeoJSON for flat maps -----------------------------------------------------------------

const jumpsAntimeridian = (a, b) => Math.abs(a[0] - b[0]) > 180;

// A ring that crosses ±180° and comes back (eastern Russia, Fiji) draws as a band across a flat map: move its
// western longitudes past +180 so the ring is continuous (stack.md §8). A ring around a pole (Antarctica) crosses
// only once and cannot be unwrapped that way without moving half of it off the map: close it along the map's edges
// and the pole instead, which keeps it within -180..180.
function flattenRing(ring) {
  const jumps = [];
  for (let i = 1; i < ring.length; i++) {
    if (jumpsAntimeridian(ring[i - 1], ring[i])) jumps.push(Math.sign(ring[i][0] - ring[i - 1][0]));
  }
  if (jumps.length === 0) return ring;
  const windsRoundPole = jumps.reduce((sum, s) => sum + s, 0) !== 0;
  if (!windsRoundPole) return ring.map(([lon, lat]) => [lon < 0 ? lon + 360 : lon, lat]);

  const open = ring.slice(0, -1); // drop the closing point, then start the ring just after its jump
  const k = open.findIndex((p, i) => jumpsAntimeridian(open[(i - 1 + open.length) % open.length], p));
  const path = [...open.slice(k), ...open.slice(0, k)];
  const first = path[0];
  const last = path[path.length - 1];
  const edge = Math.sign(last[0]) * 180;
  const pole = Math.sign(path.reduce((sum, p) => sum + p[1], 0)) * 90;
  return [...path, [edge, last[1]], [edge, pole], [-edge, pole], [-edge, first[1]], first];
}

const round = (value) => Number(value.toFixed(COORDINATE_DECIMALS));

function flattenGeometry(geometry) {
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  const flat = polygons.map((rings) => rings.map((ring) => flattenRing(ring).map(([lon, lat]) => [round(lon), round(lat)])));
  return geometry.type === "Polygon"
    ? { type: "Polygon", coordinates: flat[0] }
    : { type: "MultiPolygon", coordinates: flat };
}

function naturalEarthCountries() {
  const topology = JSON.parse(readFileSync(join(modules, "world-atlas", "countries-50m.json"), "utf8"));
  const countries = feature(topology, topology.objects.countries);
  return {
    type: "FeatureCollection",
    features: countries.features
      .filter((f) => f.geometry !== null)
      .map((f) => ({ type: "Feature", id: f.id, properties: { name: f.properties.name }, geometry: flattenGeometry(f.geometry) })),
  };
}

// --- Build -------------------------------------------------------------------------------------------------------------

rmSync(dist, { recursive: true, force: true });

copy("ol/dist/ol.js", "vendor/ol/ol.js");
copy("ol/ol.css", "vendor/ol/ol.css");
copy("ol/LICENSE.md", "vendor/ol/LICENSE.md");
copy("leaflet/dist/leaflet.js", "vendor/leaflet/leaflet.js");
copy("leaflet/dist/leaflet.css", "vendor/leaflet/leaflet.css");
copy("leaflet/dist/images", "vendor/leaflet/images");
copy("leaflet/LICENSE", "vendor/leaflet/LICENSE");

mkdirSync(join(dist, "rs", "basemap"), { recursive: true });
writeFileSync(join(dist, "rs", "basemap", "countries-50m.geojson"), JSON.stringify(naturalEarthCountries()));
writeFileSync(
  join(dist, "rs", "basemap", "README.txt"),
  "Made with Natural Earth (public domain), via world-atlas 2 (ISC licence), by frontend/build.mjs.\n",
);
cpSync(join(here, "src"), join(dist, "rs"), { recursive: true });

// --- Report ------------------------------------------------------------------------------------------------------------

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}
let total = 0;
for (const file of files(dist)) {
  const size = statSync(file).size;
  total += size;
  console.log(`${(size / 1024).toFixed(0).padStart(6)} KiB  ${relative(dist, file)}`);
}
console.log(`${(total / 1024).toFixed(0).padStart(6)} KiB  total in ${relative(process.cwd(), dist) || "."}`);
