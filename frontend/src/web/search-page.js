/* The search page (/): form, OData query, results, map and details, one search state kept in the page's URL.
 *
 * Every search is one request to /odata/v1/Products with the $filter of odata.js. The URL holds the search (and
 * the open product), so reloading or sharing it gives the same page; Back and Forward walk through searches.
 * For tests and measurements the page exposes its progress on data attributes: #results-panel[data-state] and
 * [data-searches] (completed searches), #map[data-state] and [data-footprints], #details[data-state].
 */

import { createDetails } from "./details.js";
import { h, say } from "./dom.js";
import { formatCount } from "./format.js";
import { normaliseAoiRing, parseBox, polygonsOfGeoJSON } from "./geometry.js";
import { getJSON } from "./http.js";
import { createFootprintMap } from "./map.js";
import { MAX_SKIP, buildFilter, emptyState, productsUrl, stateFromParams, stateToParams } from "./odata.js";
import { createResultList, footprintOf, pageSummary } from "./results.js";
import { createSearchForm } from "./search-form.js";

const $ = (id) => document.getElementById(id);
const client = JSON.parse($("page-client").textContent);
const panel = $("results-panel");
const status = $("results-status");
const mapElement = $("map");
const mapStatus = $("map-status");
const filterBox = $("odata-filter");
const requestLink = $("odata-url");
const boxInput = $("f-box");

let state = stateFromParams(new URLSearchParams(window.location.search));
let searchController = null;
let searches = 0;
let lastPage = { count: 0, shown: 0 };

// --- Map ----------------------------------------------------------------------------------------------------------

const map = createFootprintMap(mapElement, {
  basemapUrl: mapElement.dataset.basemapUrl,
  tileUrl: mapElement.dataset.tileUrl,
  tileAttribution: mapElement.dataset.tileAttribution,
  onHover: (id) => results.hover(id),
  onSelect: (id) => (id ? openProduct(id, { fromMap: true }) : null),
  insetRight: () => ($("details").hidden ? 0 : $("details").offsetWidth),
});
mapElement.footprintMap = map; // for the browser tests and the console: the map's controller (map.js)
map.basemapReady.then((countries) => {
  mapElement.dataset.countries = String(countries);
  mapElement.dataset.state = "ready";
  performance.mark("rs:map-ready");
}).catch((error) => {
  mapElement.dataset.state = "error";
  say(mapStatus, error.message, "error");
});

// --- Results and details ------------------------------------------------------------------------------------------

const results = createResultList($("results-list"), {
  onHover: (id) => map.hover(id),
  onOpen: (id) => openProduct(id, { fromList: true }),
});

const details = createDetails($("details"), {
  client,
  onClose: closeProduct,
  onZoom: (id) => map.zoomTo(id),
  onOpenProduct: (id) => openProduct(id, { fromLineage: true }),
});

function writeUrl(push) {
  const query = stateToParams(state).toString();
  const url = query ? `/?${query}` : "/";
  if (url === `${window.location.pathname}${window.location.search}`) return;
  window.history[push ? "pushState" : "replaceState"](null, "", url);
}

function openProduct(id, { fromMap = false, fromList = false, push = true } = {}) {
  state = { ...state, product: id };
  writeUrl(push);
  map.select(id);
  results.select(id);
  if (fromList && !map.isVisible(id)) map.zoomTo(id);
  details.open(id, { focus: !fromMap });
}

function closeProduct() {
  const id = state.product;
  state = { ...state, product: "" };
  writeUrl(true);
  map.select(null);
  results.select(null);
  details.close();
  if (id) results.focus(id);
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && state.product && $("details").contains(document.activeElement)) closeProduct();
});

// --- Searching ----------------------------------------------------------------------------------------------------

function showQuery() {
  let filter;
  try {
    filter = buildFilter(state);
  } catch (error) {
    filter = "";
    say(status, `The search has an invalid value: ${error.message}`, "error");
  }
  filterBox.value = filter;
  const url = productsUrl(state);
  requestLink.href = url;
  requestLink.textContent = decodeURIComponent(url);
  $("aoi-summary").textContent = aoiSummary(state.aoi);
  map.setArea(state.aoi);
}

function aoiSummary(aoi) {
  if (!aoi || aoi.length === 0) return "Whole world";
  const points = aoi.reduce((sum, ring) => sum + ring.length - 1, 0);
  const [lons, lats] = [aoi.flat().map((p) => p[0]), aoi.flat().map((p) => p[1])];
  const box = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)].map((v) => v.toFixed(2));
  const shape = aoi.length === 1 ? `Polygon of ${points} points` : `${aoi.length} polygons, ${points} points`;
  return `${shape}, within ${box.join(", ")} (west, south, east, north)`;
}

async function search({ push = true } = {}) {
  if (searchController) searchController.abort();
  searchController = new AbortController();
  const { signal } = searchController;
  writeUrl(push);
  showQuery();
  panel.dataset.state = "loading";
  say(status, "Searching…");
  let body;
  try {
    body = await getJSON(productsUrl(state), { signal });
  } catch (error) {
    if (error.name === "AbortError") return;
    panel.dataset.state = "error";
    if (error.status === 401) {
      say(status, "This catalogue asks you to sign in before searching.", "error");
      status.append(" ", h("a", { href: `${client.loginUrl}?next=${encodeURIComponent(window.location.pathname + window.location.search)}` }, "Sign in"));
    } else {
      say(status, `The search failed: ${error.message}`, "error");
    }
    results.show([]);
    map.setFootprints([]);
    updatePager(0, 0);
    return;
  }
  const products = body.value || [];
  results.show(products);
  const drawn = map.setFootprints(products.map(footprintOf));
  mapElement.dataset.footprints = String(drawn);
  updatePager(products.length, body["@odata.count"]);
  const missing = products.length - drawn;
  say(status, `${pageSummary({ skip: state.skip, shown: products.length, count: body["@odata.count"] })}`
    + (missing > 0 ? ` (${formatCount(missing)} without footprint)` : ""), "ok");
  if (state.product) {
    map.select(state.product);
    results.select(state.product);
  }
  panel.dataset.state = "ready";
  panel.dataset.searches = String(++searches);
  if (searches === 1) performance.mark("rs:first-results");
}

function updatePager(shown, count) {
  lastPage = { shown, count: count ?? 0 };
  $("page-prev").disabled = state.skip === 0;
  const next = state.skip + state.top;
  $("page-next").disabled = !(next < lastPage.count) || next > MAX_SKIP;
  $("page-info").textContent = shown && count
    ? `Page ${formatCount(Math.floor(state.skip / state.top) + 1)} of ${formatCount(Math.ceil(count / state.top))}` : "";
  if (next > MAX_SKIP && next < lastPage.count) {
    $("page-info").textContent += " · narrow the search to see more (the PRIP pages up to 10,000 results)";
  }
}

function newSearch(changes = {}) {
  state = { ...form.read(state), ...changes };
  details.close();
  map.select(null);
  search();
}

// --- Form, query box, paging ----------------------------------------------------------------------------------------

const form = createSearchForm($("search-form"), {
  onSubmit: () => {
    const box = boxInput.value.trim();
    if (box) {
      try {
        state = { ...state, aoi: [parseBox(box)] };
        boxInput.removeAttribute("aria-invalid");
      } catch (error) {
        boxInput.setAttribute("aria-invalid", "true");
        say(status, `Box: ${error.message}`, "error");
        boxInput.focus();
        return;
      }
    }
    newSearch();
    form.show(state);
  },
  onReset: () => {
    state = emptyState();
    boxInput.value = "";
    form.show(state);
    map.cancelDrawing();
    details.close();
    search();
  },
});
form.onPagingChange(() => {
  state = { ...state, ...form.paging(), skip: 0 };
  search();
});

$("odata-run").addEventListener("click", () => {
  state = { ...state, filter: filterBox.value.trim(), skip: 0, product: "" };
  details.close();
  form.show(state);
  search();
});
filterBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("odata-run").click();
});
$("odata-copy").addEventListener("click", async () => {
  const url = new URL(requestLink.getAttribute("href"), window.location.origin).href;
  try {
    await navigator.clipboard.writeText(url);
    say(status, "Request URL copied.", "ok");
  } catch {
    say(status, url);
  }
});

$("page-prev").addEventListener("click", () => {
  state = { ...state, skip: Math.max(0, state.skip - state.top) };
  search();
});
$("page-next").addEventListener("click", () => {
  state = { ...state, skip: state.skip + state.top };
  search();
});

// --- Area of interest ---------------------------------------------------------------------------------------------

function useArea(rings) {
  boxInput.value = "";
  state = { ...state, aoi: rings };
  newSearch({ aoi: rings });
}

$("draw-box").addEventListener("click", () => {
  say(mapStatus, "Click two opposite corners on the map. Escape cancels.");
  map.drawBox((ring) => {
    say(mapStatus, "");
    useArea([normaliseAoiRing(ring, { continuous: true })]);
  });
});
$("draw-polygon").addEventListener("click", () => {
  say(mapStatus, "Click the corners; click the first one again (or double-click) to finish. Escape cancels.");
  map.drawPolygon((ring) => {
    say(mapStatus, "");
    useArea([normaliseAoiRing(ring, { continuous: true })]);
  });
});
$("aoi-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  try {
    const rings = polygonsOfGeoJSON(JSON.parse(await file.text()));
    say(mapStatus, `Area from ${file.name}.`, "ok");
    useArea(rings);
    map.fitArea();
  } catch (error) {
    say(mapStatus, `${file.name}: ${error.message}`, "error");
  }
});
$("aoi-clear").addEventListener("click", () => {
  boxInput.value = "";
  useArea(null);
});
$("fit-results").addEventListener("click", () => map.fitAll());

// --- History and start ----------------------------------------------------------------------------------------------

window.addEventListener("popstate", () => {
  const previous = state.product;
  state = stateFromParams(new URLSearchParams(window.location.search));
  form.show(state);
  search({ push: false });
  if (state.product && state.product !== previous) details.open(state.product, { focus: false });
  if (!state.product) details.close();
});

form.show(state);
const firstSearch = search({ push: false });
if (state.product) {
  map.select(state.product);
  details.open(state.product, { focus: false });
  firstSearch.then(() => map.zoomTo(state.product));
}
