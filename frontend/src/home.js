/* Landing page map: the bundled Natural Earth basemap and the catalogue's footprints, drawn with the bundled Leaflet.
 * No tile server: the page works with no internet access at all.
 *
 * Reads from the page:
 *   #map[data-basemap-url]        the countries GeoJSON (a static file)
 *   <script id="footprints">      a GeoJSON FeatureCollection (json_script); properties {id, name, product_type,
 *                                 mission, start}. MultiPolygons are already split at ±180°, so they are drawn as
 *                                 they are (unwrapping them would move one half off the map).
 *   button[data-footprint-id]     "show on map" buttons of the products table
 * When both layers are drawn, #map gets data-state="ready" (or "error"), which the browser test waits for.
 */
/* global L */
"use strict";

(function () {
  const container = document.getElementById("map");
  if (!container || typeof L === "undefined") return;

  const MISSION_COLOURS = { S1: "#d9480f", S2: "#2b8a3e", S3: "#1864ab", S5P: "#862e9c" };
  const OTHER_COLOUR = "#495057";
  const colourOf = (mission) => MISSION_COLOURS[mission] || OTHER_COLOUR;

  const map = L.map(container, {
    preferCanvas: true, // a canvas draws the 240 detailed countries much faster than SVG paths
    worldCopyJump: false,
    minZoom: 0,
    maxZoom: 10,
    zoomSnap: 0.25,
    maxBounds: [[-90, -240], [90, 240]],
  });
  map.attributionControl.setPrefix(false);
  map.fitBounds([[-60, -180], [80, 180]]);

  // Basemap -----------------------------------------------------------------------------------------------------------
  const basemap = fetch(container.dataset.basemapUrl)
    .then((response) => {
      if (!response.ok) throw new Error(`basemap: HTTP ${response.status}`);
      return response.json();
    })
    .then((countries) => {
      L.geoJSON(countries, {
        interactive: false,
        attribution: "Natural Earth",
        style: { color: "#a8a29e", weight: 0.6, fillColor: "#f5f1e8", fillOpacity: 1 },
      })
        .addTo(map)
        .bringToBack();
      container.dataset.countries = String(countries.features.length);
    });

  // Footprints --------------------------------------------------------------------------------------------------------
  const dataNode = document.getElementById("footprints");
  const footprints = (dataNode && JSON.parse(dataNode.textContent)) || { type: "FeatureCollection", features: [] };
  const layersById = new Map();

  // Built from DOM nodes, never from HTML strings: product names come from ingested files.
  function describe(properties) {
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = properties.name || "";
    box.append(title);
    for (const [label, value] of [["Type", properties.product_type], ["Mission", properties.mission], ["Start", properties.start]]) {
      if (!value) continue;
      box.append(document.createElement("br"), `${label}: ${value}`);
    }
    return box;
  }

  const footprintLayer = L.geoJSON(footprints, {
    style: (f) => ({ color: colourOf(f.properties.mission), weight: 2, fillOpacity: 0.25 }),
    onEachFeature: (f, layer) => {
      layer.bindPopup(() => describe(f.properties));
      layersById.set(String(f.properties.id), layer);
    },
  }).addTo(map);
  container.dataset.footprints = String(footprints.features.length);

  if (footprints.features.length > 0) {
    map.fitBounds(footprintLayer.getBounds(), { padding: [24, 24], maxZoom: 6 });
  }

  // "Show on map" buttons of the products table: zoom to the footprint, open its popup, and move focus to the map so
  // the keyboard can pan (arrows) and zoom (+/-) from there.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-footprint-id]");
    if (!button) return;
    const layer = layersById.get(button.dataset.footprintId);
    if (!layer) return;
    map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 7 });
    layer.openPopup();
    container.focus();
  });

  basemap
    .then(() => {
      container.dataset.state = "ready";
    })
    .catch((error) => {
      container.dataset.state = "error";
      console.error(error);
    });
})();
