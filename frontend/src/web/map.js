/* The footprint map: bundled OpenLayers (global `ol`) over the bundled Natural Earth countries, in plate carrée
 * (EPSG:4326) so that the whole globe down to the poles is on the map, repeated horizontally (wrapX) so that
 * footprints split at ±180° meet again across the antimeridian. Everything is drawn on canvas; the hover and
 * selection highlights are a separate small layer, so hovering never redraws the thousand footprints.
 */
/* global ol */

import { footprintExtent, outlineOf } from "./geometry.js";

const PROJECTION = "EPSG:4326";
const WORLD = [-180, -90, 180, 90];
const MISSION_COLOURS = { S1: "#d9480f", S2: "#2b8a3e", S3: "#1864ab", S5P: "#862e9c" };
const OTHER_COLOUR = "#495057";
const HOVER_COLOUR = "#f59f00";
const SELECTED_COLOUR = "#c2255c";

function withAlpha(hex, alpha) {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

// Fill from the footprint, stroke from its outline (the footprint minus its edges on ±180° and the poles).
function twoPartStyle(colour, fillAlpha, width) {
  return [
    new ol.style.Style({ fill: new ol.style.Fill({ color: withAlpha(colour, fillAlpha) }) }),
    new ol.style.Style({
      geometry: (feature) => feature.get("outline"),
      stroke: new ol.style.Stroke({ color: colour, width }),
    }),
  ];
}
const footprintStyles = new Map();
function footprintStyle(feature) {
  const colour = MISSION_COLOURS[feature.get("mission")] || OTHER_COLOUR;
  if (!footprintStyles.has(colour)) footprintStyles.set(colour, twoPartStyle(colour, 0.12, 1.25));
  return footprintStyles.get(colour);
}
const hoverStyle = twoPartStyle(HOVER_COLOUR, 0.3, 3);
const selectedStyle = twoPartStyle(SELECTED_COLOUR, 0.3, 3);
const aoiStyle = new ol.style.Style({
  fill: new ol.style.Fill({ color: "rgba(11, 99, 168, 0.06)" }),
  stroke: new ol.style.Stroke({ color: "#0b63a8", width: 2, lineDash: [8, 6] }),
});

function basemapLayer(url, outlinesOnly) {
  return new ol.layer.VectorImage({
    source: new ol.source.Vector({
      url,
      format: new ol.format.GeoJSON(),
      attributions: "Natural Earth (public domain)",
      overlaps: false,
    }),
    style: new ol.style.Style({
      fill: outlinesOnly ? undefined : new ol.style.Fill({ color: "#f5f1e8" }),
      stroke: new ol.style.Stroke({ color: "#a8a29e", width: 0.6 }),
    }),
    imageRatio: 2,
  });
}

/**
 * createFootprintMap(target, options) → controller.
 * options: basemapUrl, tileUrl, tileAttribution, onHover(id|null), onSelect(id|null), insetRight() (pixels covered on
 * the right, by the details panel).
 */
export function createFootprintMap(target, { basemapUrl, tileUrl, tileAttribution, onHover, onSelect, insetRight = () => 0 }) {
  const layers = [];
  if (tileUrl) {
    layers.push(new ol.layer.Tile({ source: new ol.source.XYZ({ url: tileUrl, attributions: tileAttribution || "" }) }));
  }
  const basemap = basemapLayer(basemapUrl, Boolean(tileUrl));
  layers.push(basemap);
  layers.push(new ol.layer.Graticule({
    strokeStyle: new ol.style.Stroke({ color: "rgba(82, 96, 109, 0.25)", width: 0.5 }),
    intervals: [90, 45, 30, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1],
    wrapX: true,
  }));
  const aoiSource = new ol.source.Vector({ wrapX: true });
  const footprints = new ol.source.Vector({ wrapX: true });
  const highlights = new ol.source.Vector({ wrapX: true });
  const footprintLayer = new ol.layer.Vector({ source: footprints, style: footprintStyle, updateWhileInteracting: false });
  layers.push(new ol.layer.Vector({ source: aoiSource, style: aoiStyle }));
  layers.push(footprintLayer);
  layers.push(new ol.layer.Vector({ source: highlights, style: (f) => (f.get("selected") ? selectedStyle : hoverStyle) }));

  const view = new ol.View({ projection: PROJECTION, center: [0, 15], zoom: 2, minZoom: 1, maxZoom: 14,
    extent: [-1e4, -90, 1e4, 90], constrainOnlyCenter: true, enableRotation: false });
  const map = new ol.Map({
    target,
    layers,
    view,
    controls: ol.control.defaults.defaults({ rotate: false, attributionOptions: { collapsible: true } })
      .extend([new ol.control.ScaleLine({ units: "metric" })]),
    keyboardEventTarget: target, // arrows pan and +/- zoom when the map has the focus
  });
  view.fit(WORLD, { size: map.getSize() || undefined });

  const byId = new Map();
  let hovered = null;
  let selected = null;
  let drawing = null;

  function showHighlights() {
    highlights.clear(true);
    const shown = [];
    for (const [id, isSelected] of [[selected, true], [hovered, false]]) {
      const feature = id && byId.get(id);
      if (!feature || shown.includes(id)) continue;
      const copy = new ol.Feature({ geometry: feature.getGeometry(), outline: feature.get("outline"), selected: isSelected });
      copy.setId(id);
      highlights.addFeature(copy);
      shown.push(id);
    }
  }

  function featureAt(pixel) {
    return map.forEachFeatureAtPixel(pixel, (feature) => feature, { layerFilter: (l) => l === footprintLayer, hitTolerance: 3 });
  }

  let pendingMove = null;
  map.on("pointermove", (event) => {
    if (event.dragging || drawing) return;
    pendingMove = event.pixel;
    requestAnimationFrame(() => {
      if (!pendingMove) return;
      const feature = featureAt(pendingMove);
      pendingMove = null;
      const id = feature ? feature.getId() : null;
      target.style.cursor = id ? "pointer" : "";
      if (id !== hovered) {
        hovered = id;
        showHighlights();
        onHover(id);
      }
    });
  });
  target.addEventListener("pointerleave", () => {
    if (hovered) {
      hovered = null;
      showHighlights();
      onHover(null);
    }
  });
  map.on("singleclick", (event) => {
    if (drawing) return;
    const feature = featureAt(event.pixel);
    onSelect(feature ? feature.getId() : null);
  });

  function extentOf(id) {
    const feature = byId.get(id);
    return feature ? feature.get("extent") : null;
  }

  function fit(extent, maxZoom = 7) {
    if (!extent) return;
    const [w, s, e, n] = extent;
    const pad = Math.max(e - w, n - s, 0.5) * 0.15;
    view.fit([w - pad, Math.max(-90, s - pad), e + pad, Math.min(90, n + pad)],
      { maxZoom, duration: 250, padding: [8, 8 + insetRight(), 8, 8] }); // keep it clear of the details panel
  }

  function finishDrawing() {
    if (!drawing) return;
    map.removeInteraction(drawing);
    drawing = null;
    target.classList.remove("drawing");
  }

  function draw(kind, done) {
    finishDrawing();
    drawing = new ol.interaction.Draw({
      source: aoiSource,
      type: kind === "box" ? "Circle" : "Polygon",
      geometryFunction: kind === "box" ? ol.interaction.Draw.createBox() : undefined,
      stopClick: true,
    });
    drawing.on("drawstart", () => aoiSource.clear());
    drawing.on("drawend", (event) => {
      const ring = event.feature.getGeometry().getCoordinates()[0];
      finishDrawing();
      done(ring);
    });
    map.addInteraction(drawing);
    target.classList.add("drawing");
    target.focus();
  }

  target.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && drawing) {
      drawing.abortDrawing();
      finishDrawing();
    }
  });

  const basemapReady = new Promise((resolve, reject) => {
    const source = basemap.getSource();
    source.once("featuresloadend", () => resolve(source.getFeatures().length));
    source.once("featuresloaderror", () => reject(new Error("the basemap could not be loaded")));
  });

  return {
    map,
    basemapReady,
    /** items: [{id, mission, geometry (GeoJSON)}]; items without geometry are skipped. */
    setFootprints(items) {
      const features = [];
      byId.clear();
      for (const item of items) {
        if (!item.geometry) continue;
        const geometry = item.geometry.type === "Point"
          ? new ol.geom.Point(item.geometry.coordinates)
          : new ol.format.GeoJSON().readGeometry(item.geometry);
        const feature = new ol.Feature({
          geometry,
          outline: new ol.geom.MultiLineString(outlineOf(item.geometry)),
          extent: footprintExtent(item.geometry),
          mission: item.mission,
        });
        feature.setId(item.id);
        byId.set(item.id, feature);
        features.push(feature);
      }
      footprints.clear(true);
      footprints.addFeatures(features);
      if (selected && !byId.has(selected)) selected = null;
      hovered = null;
      showHighlights();
      return features.length;
    },
    /** [[id, "selected"|"hovered"]] of the highlighted footprints. */
    highlighted() {
      return highlights.getFeatures().map((f) => [f.getId(), f.get("selected") ? "selected" : "hovered"]);
    },
    hover(id) {
      hovered = id;
      showHighlights();
    },
    select(id) {
      selected = id;
      showHighlights();
    },
    zoomTo(id) {
      fit(extentOf(id));
    },
    fitAll() {
      const extents = [...byId.values()].map((f) => f.get("extent")).filter(Boolean);
      if (extents.length === 0) return;
      const w = Math.min(...extents.map((e) => e[0]));
      const e = Math.max(...extents.map((x) => x[2]));
      const s = Math.min(...extents.map((x) => x[1]));
      const n = Math.max(...extents.map((x) => x[3]));
      fit(e - w > 300 ? [-180, s, 180, n] : [w, s, e, n], 6);
    },
    isVisible(id) {
      const extent = extentOf(id);
      if (!extent) return false;
      const [w, s, e, n] = view.calculateExtent(map.getSize());
      return extent[0] >= w && extent[2] <= e && extent[1] >= s && extent[3] <= n;
    },
    drawBox(done) { draw("box", done); },
    drawPolygon(done) { draw("polygon", done); },
    cancelDrawing() { finishDrawing(); },
    /** Show the search area: rings of [lon, lat]. */
    setArea(rings) {
      aoiSource.clear();
      if (!rings || rings.length === 0) return;
      aoiSource.addFeatures(rings.map((ring) => new ol.Feature(new ol.geom.Polygon([ring]))));
    },
    fitArea() {
      const extent = aoiSource.getExtent();
      if (aoiSource.getFeatures().length) fit(extent, 8);
    },
  };
}
