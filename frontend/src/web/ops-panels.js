/* Building blocks of the operations page: panels over operator-API endpoints that may not exist yet.
 *
 * A panel asks its endpoint; a 404 (a deployment without that part of the operator API) shows a clear "not
 * available" box naming the endpoint and where to look meanwhile (the admin), and any JSON it gets is shown as a
 * table. The ingestion and monitoring tabs have their own modules (ops-ingestion.js, ops-monitoring.js).
 */

import { h, replace } from "./dom.js";
import { formatTime } from "./format.js";
import { HttpError, getJSON } from "./http.js";

export function unavailable(url, meanwhile) {
  return h("div", { class: "unavailable", dataset: { endpoint: url } },
    h("p", {}, h("strong", {}, "Not available yet. "), "This server has no ", h("code", {}, url),
      " (that part of the operator API is being built)."),
    meanwhile ? h("p", {}, "Meanwhile: ", meanwhile) : null);
}

const TIME_KEY = /(_at|_date|_time|^start|^stop)$/;

function cellText(key, value) {
  if (value === null || value === undefined || value === "") return "";
  if (typeof value === "string" && TIME_KEY.test(key)) return formatTime(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A table of JSON objects: the columns are the keys of the first row (or `columns`). */
export function jsonTable(rows, columns) {
  if (rows.length === 0) return h("p", { class: "muted" }, "Nothing to show.");
  const keys = columns || Object.keys(rows[0]);
  return h("div", { class: "table-scroll" }, h("table", { class: "data" },
    h("thead", {}, h("tr", {}, keys.map((key) => h("th", { scope: "col" }, key.replaceAll("_", " "))))),
    h("tbody", {}, rows.map((row) => h("tr", {}, keys.map((key) => h("td", {}, cellText(key, row[key]))))))));
}

export function rowsOf(body) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.results)) return body.results;
  return body && typeof body === "object" ? [body] : [];
}

/**
 * A card that shows what `url` answers: `render(body)` (default: a JSON table), the unavailable box on 404, the
 * error otherwise. Returns the card; `card.refresh()` asks again.
 */
export function endpointCard({ title, url, meanwhile, render }) {
  const body = h("div", { class: "card-body" }, h("p", { class: "muted" }, "Loading…"));
  const card = h("section", { class: "card", dataset: { endpoint: url } }, h("h2", {}, title), body);
  card.refresh = async () => {
    card.dataset.state = "loading";
    try {
      const data = await getJSON(url);
      replace(body, render ? render(data) : jsonTable(rowsOf(data)));
      card.dataset.state = "ready";
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) {
        replace(body, unavailable(url, meanwhile));
        card.dataset.state = "unavailable";
      } else {
        replace(body, h("p", { class: "error" }, `${url}: ${error.message}`));
        card.dataset.state = "error";
      }
    }
  };
  card.refresh();
  return card;
}

export function adminLink(path, label) {
  return h("a", { href: path }, label);
}
