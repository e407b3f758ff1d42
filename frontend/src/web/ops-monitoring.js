/* The monitoring tab of the operations page: liveness and readiness of the dependencies, and the dashboards of
 * /api/v1/monitoring/dashboards/ drawn as bar charts (inline SVG, no library), each with its numbers in a table for
 * keyboard and screen-reader users. The window (?hours=) lives in the page URL.
 */

import { definitionTable, h, replace, say } from "./dom.js";
import { formatBytes, formatCount, formatTime } from "./format.js";
import { getJSON } from "./http.js";

// The SVG namespace, as the HTML parser assigns it (no address written in our sources).
const SVG = (() => {
  const template = document.createElement("template");
  template.innerHTML = "<svg></svg>";
  return template.content.firstChild.namespaceURI;
})();
const WINDOWS = [["24", "24 hours"], ["72", "3 days"], ["168", "7 days"]];
const WIDTH = 560;
const HEIGHT = 160;
const MARGIN = { top: 12, right: 8, bottom: 44, left: 80 };

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

function valueText(unit, value) {
  return unit.startsWith("bytes") ? formatBytes(value) : formatCount(value);
}

function xText(panel, x) {
  if (panel.x === "time") return formatTime(x).slice(5, 16); // "11-28 14:00"
  return x === "inf" ? "> last" : String(x);
}

/** One panel: a bar per point, the largest value on the axis, the first and last x labels (all for categories). */
export function barChart(panel) {
  const points = panel.series;
  const max = Math.max(0, ...points.map(([, value]) => Number(value)));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const step = points.length ? plotWidth / points.length : plotWidth;
  const total = points.reduce((sum, [, value]) => sum + Number(value), 0);
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img",
    "aria-label": `${panel.title}: ${points.length} points, largest ${valueText(panel.unit, max)} ${panel.unit}` });
  chart.append(
    svg("line", { x1: MARGIN.left, y1: MARGIN.top + plotHeight, x2: WIDTH - MARGIN.right, y2: MARGIN.top + plotHeight, class: "axis" }),
    svg("line", { x1: MARGIN.left, y1: MARGIN.top, x2: MARGIN.left, y2: MARGIN.top + plotHeight, class: "axis" }),
    svg("text", { x: MARGIN.left - 4, y: MARGIN.top + 12, "text-anchor": "end", class: "tick" }, valueText(panel.unit, max)),
    svg("text", { x: MARGIN.left - 4, y: MARGIN.top + plotHeight, "text-anchor": "end", class: "tick" }, "0"),
  );
  points.forEach(([x, value], index) => {
    const height = max > 0 ? (Number(value) / max) * plotHeight : 0;
    const bar = svg("rect", { x: MARGIN.left + index * step + step * 0.1, y: MARGIN.top + plotHeight - height,
      width: Math.max(step * 0.8, 1), height, class: "bar" });
    bar.append(svg("title", {}, `${xText(panel, x)}: ${valueText(panel.unit, value)}`));
    chart.append(bar);
  });
  const labelled = panel.x === "time" ? [0, points.length - 1] : points.map((_, index) => index);
  for (const index of new Set(labelled)) {
    if (index < 0 || index >= points.length) continue;
    const anchor = panel.x === "time" ? (index === 0 ? "start" : "end") : "middle";
    const x = panel.x === "time" ? MARGIN.left + index * step + (index === 0 ? 0 : step) : MARGIN.left + (index + 0.5) * step;
    chart.append(svg("text", { x, y: HEIGHT - MARGIN.bottom + 18, "text-anchor": anchor, class: "tick" }, xText(panel, points[index][0])));
  }
  chart.append(svg("text", { x: WIDTH - MARGIN.right, y: HEIGHT - 4, "text-anchor": "end", class: "tick" },
    `${panel.x} · ${panel.unit}`));
  return h("figure", { class: "panel", dataset: { panel: panel.title } },
    h("figcaption", {}, panel.title, h("span", { class: "muted small" },
      ` · ${panel.x === "time" ? "total" : "sum"} ${valueText(panel.unit, total)}`)),
    chart,
    h("details", {}, h("summary", { class: "small" }, "Numbers"),
      h("table", { class: "data" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, panel.x), h("th", { scope: "col" }, panel.unit))),
        h("tbody", {}, points.map(([x, value]) => h("tr", {}, h("td", {}, xText(panel, x)), h("td", {}, valueText(panel.unit, value))))))));
}

function readiness(body) {
  return definitionTable([["Status", body.status],
    ...Object.entries(body.checks || {}).map(([name, check]) => [name,
      h("span", {}, h("span", { class: `state state-${check.status === "ok" ? "succeeded" : "failed"}` }, check.status),
        check.ms !== undefined ? ` ${check.ms} ms` : "", check.error ? ` ${check.error}` : "")])]);
}

export function startMonitoring(panel, view, writeUrl) {
  const health = h("section", { class: "card", id: "readiness-card" }, h("h2", {}, "Readiness of the dependencies"),
    h("p", { class: "muted" }, "Loading…"));
  const status = h("p", { class: "status", id: "dashboards-status", role: "status", "aria-live": "polite" });
  const boards = h("div", { id: "dashboards" });
  const windows = h("div", { class: "state-filter", role: "group", "aria-label": "Dashboard window" },
    WINDOWS.map(([hours, label]) => h("button", { type: "button", class: "secondary", dataset: { hours },
      onclick: () => { view.hours = hours === "24" ? "" : hours; loadBoards(); } }, label)));
  const dashboardsCard = h("section", { class: "card", id: "dashboards-card" }, h("h2", {}, "Dashboards"), windows, status, boards);
  replace(panel, health, dashboardsCard);

  (async () => {
    // /readyz answers 503 with the same body when a dependency is down: show it either way.
    try {
      const response = await fetch("/readyz", { headers: { Accept: "application/json" } });
      replace(health, h("h2", {}, "Readiness of the dependencies"), readiness(await response.json()));
      health.dataset.state = "ready";
    } catch (error) {
      replace(health, h("h2", {}, "Readiness of the dependencies"), h("p", { class: "error" }, `/readyz: ${error.message}`));
      health.dataset.state = "error";
    }
  })();

  async function loadBoards() {
    const hours = view.hours || "24";
    for (const button of windows.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.hours === hours));
    writeUrl();
    dashboardsCard.dataset.state = "loading";
    say(status, "Loading the dashboards…");
    try {
      const body = await getJSON(`/api/v1/monitoring/dashboards/?hours=${hours}`);
      replace(boards, body.map((board) => h("section", { class: "dashboard", dataset: { dashboard: board.name } },
        h("h3", {}, board.title),
        board.panels.length ? h("div", { class: "panels" }, board.panels.map(barChart))
          : h("p", { class: "muted" }, "Nothing in this window."))));
      say(status, `Last ${WINDOWS.find(([value]) => value === hours)?.[1] || `${hours} hours`}, up to the current hour (UTC).`, "ok");
      dashboardsCard.dataset.state = "ready";
    } catch (error) {
      say(status, `Dashboards: ${error.message}`, "error");
      dashboardsCard.dataset.state = "error";
    }
  }
  loadBoards();
}
