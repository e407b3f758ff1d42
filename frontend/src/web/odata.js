/* The search as data: its state, the PRIP $filter built from it (prip-odata.md §5), and its URL form.
 *
 * A search state:
 *   collection     "SENTINEL-2" or ""              → Collection/Name eq 'SENTINEL-2'
 *   productType    "S2MSI1C" or ""                 → productType attribute lambda
 *   name           text or ""                      → contains(Name,'text')
 *   sensingFrom/To "YYYY-MM-DDTHH:MM[:SS]" (UTC)   → overlap: ContentDate/End ge from, ContentDate/Start le to
 *   publishedFrom/To                               → PublicationDate ge from, PublicationDate le to
 *   aoi            [[ [lon, lat], … ], …] or null  → OData.CSC.Intersects(area=geography'SRID=4326;…')
 *   attributes     [{name, type, op, value}]      → one typed lambda each
 *   filter         hand-edited $filter or null    → used as it is, instead of everything above
 *   orderby, top, skip, product (the product whose details are open)
 */

import { aoiWkt } from "./geometry.js";

export const ORDERS = [
  ["ContentDate/Start desc", "Sensing start, newest first"],
  ["ContentDate/Start asc", "Sensing start, oldest first"],
  ["PublicationDate desc", "Publication, newest first"],
  ["PublicationDate asc", "Publication, oldest first"],
  ["Name asc", "Name, A to Z"],
  ["ContentLength desc", "Size, largest first"],
];
export const PAGE_SIZES = [10, 20, 50, 100, 250, 500, 1000]; // the PRIP serves at most 1000 per page
export const MAX_SKIP = 10000; // the PRIP's offset limit (§6); deeper pages need a narrower search

export const OPERATORS = {
  String: ["eq", "ne", "contains", "startswith", "endswith"],
  Integer: ["eq", "ne", "lt", "le", "gt", "ge"],
  Double: ["le", "lt", "ge", "gt", "eq", "ne"],
  DateTimeOffset: ["ge", "gt", "le", "lt", "eq"],
  Boolean: ["eq"],
};
export const OPERATOR_LABELS = {
  eq: "=", ne: "≠", lt: "<", le: "≤", gt: ">", ge: "≥",
  contains: "contains", startswith: "starts with", endswith: "ends with",
};
const STRING_FUNCTIONS = new Set(["contains", "startswith", "endswith"]);

export function emptyState() {
  return {
    collection: "", productType: "", name: "", sensingFrom: "", sensingTo: "", publishedFrom: "", publishedTo: "",
    aoi: null, attributes: [], filter: null, orderby: ORDERS[0][0], top: 50, skip: 0, product: "",
  };
}

// --- Literals (§5.2) -------------------------------------------------------------------------------------------------

export function stringLiteral(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}

/** "2024-06-04T12:00" or "2024-06-04T12:00:30" or "2024-06-04" (UTC) → 2024-06-04T12:00:00.000Z */
export function dateLiteral(text) {
  const match = /^(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d)(:\d\d(?:\.\d+)?)?)?Z?$/.exec(String(text).trim());
  if (!match) throw new SyntaxError(`not a date and time: ${text}`);
  const seconds = match[3] ? match[3].padEnd(7, ".000").slice(0, 7) : ":00.000";
  return `${match[1]}T${match[2] || "00:00"}${seconds}Z`;
}

function valueLiteral(type, value) {
  const text = String(value).trim();
  switch (type) {
    case "Integer":
      if (!/^[+-]?\d+$/.test(text)) throw new SyntaxError(`not an integer: ${text}`);
      return String(Number.parseInt(text, 10));
    case "Double":
      if (text === "" || !Number.isFinite(Number(text))) throw new SyntaxError(`not a number: ${text}`);
      return text.replace(/^\+/, "");
    case "Boolean":
      if (text !== "true" && text !== "false") throw new SyntaxError(`not true or false: ${text}`);
      return text;
    case "DateTimeOffset":
      return dateLiteral(text);
    default:
      return stringLiteral(value);
  }
}

/** One attribute condition in the canonical lambda form of §5.5. */
export function attributeClause({ name, type, op, value }) {
  const cast = `OData.CSC.${type}Attribute`;
  const operand = `att/${cast}/Value`;
  const literal = valueLiteral(type, value);
  const condition = STRING_FUNCTIONS.has(op) ? `${op}(${operand},${literal})` : `${operand} ${op} ${literal}`;
  return `Attributes/${cast}/any(att:att/Name eq ${stringLiteral(name)} and ${condition})`;
}

/** An attribute row can go into the filter: a name, a known operator for its type and a value. */
export function attributeComplete(row) {
  return Boolean(row.name && row.type && (OPERATORS[row.type] || []).includes(row.op) && String(row.value).trim());
}

/** The $filter of a state, clauses joined with `and`; "" when the state filters nothing. */
export function buildFilter(state) {
  if (state.filter !== null && state.filter !== undefined) return state.filter.trim();
  const clauses = [];
  if (state.collection) clauses.push(`Collection/Name eq ${stringLiteral(state.collection)}`);
  if (state.aoi && state.aoi.length) clauses.push(`OData.CSC.Intersects(area=geography'SRID=4326;${aoiWkt(state.aoi)}')`);
  if (state.productType.trim()) {
    clauses.push(attributeClause({ name: "productType", type: "String", op: "eq", value: state.productType.trim() }));
  }
  if (state.name.trim()) clauses.push(`contains(Name,${stringLiteral(state.name.trim())})`);
  for (const row of state.attributes) if (attributeComplete(row)) clauses.push(attributeClause(row));
  if (state.sensingFrom) clauses.push(`ContentDate/End ge ${dateLiteral(state.sensingFrom)}`);
  if (state.sensingTo) clauses.push(`ContentDate/Start le ${dateLiteral(state.sensingTo)}`);
  if (state.publishedFrom) clauses.push(`PublicationDate ge ${dateLiteral(state.publishedFrom)}`);
  if (state.publishedTo) clauses.push(`PublicationDate le ${dateLiteral(state.publishedTo)}`);
  return clauses.join(" and ");
}

/** The PRIP request of a state: relative URL of /odata/v1/Products with every option. */
export function productsUrl(state) {
  const filter = buildFilter(state);
  const options = [];
  if (filter) options.push(["$filter", filter]);
  options.push(["$orderby", state.orderby], ["$top", state.top], ["$skip", state.skip], ["$count", "true"],
    ["$expand", "Attributes"]);
  return `/odata/v1/Products?${options.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}`;
}

// --- URL of the page -------------------------------------------------------------------------------------------------

const TEXT_KEYS = ["collection", "productType", "name", "sensingFrom", "sensingTo", "publishedFrom", "publishedTo",
  "product"];

function aoiParam(polygons) {
  return polygons.map((ring) => ring.map(([lon, lat]) => `${+lon.toFixed(4)} ${+lat.toFixed(4)}`).join(",")).join("|");
}

function parseAoi(text) {
  const polygons = text.split("|").map((ring) => ring.split(",").map((pair) => pair.trim().split(/\s+/).map(Number)));
  const valid = polygons.every((ring) => ring.length >= 4 && ring.every((p) => p.length === 2 && p.every(Number.isFinite)));
  return valid ? polygons : null;
}

/** The page's query string for a state (only what differs from an empty search). */
export function stateToParams(state) {
  const defaults = emptyState();
  const params = new URLSearchParams();
  for (const key of TEXT_KEYS) if (state[key]) params.set(key, state[key]);
  if (state.aoi && state.aoi.length) params.set("aoi", aoiParam(state.aoi));
  for (const row of state.attributes) {
    if (row.name) params.append("attr", [row.type, row.name, row.op, row.value].join(":"));
  }
  if (state.filter !== null && state.filter !== undefined) params.set("filter", state.filter);
  if (state.orderby !== defaults.orderby) params.set("orderby", state.orderby);
  if (state.top !== defaults.top) params.set("top", String(state.top));
  if (state.skip) params.set("skip", String(state.skip));
  return params;
}

/** The state a query string describes; unknown or malformed values fall back to the defaults. */
export function stateFromParams(params) {
  const state = emptyState();
  for (const key of TEXT_KEYS) state[key] = params.get(key) || "";
  if (params.get("aoi")) state.aoi = parseAoi(params.get("aoi"));
  state.attributes = params.getAll("attr").map((text) => {
    const [type, name, op, ...rest] = text.split(":");
    return { type, name, op, value: rest.join(":") };
  }).filter((row) => row.name && OPERATORS[row.type]);
  if (params.has("filter")) state.filter = params.get("filter");
  if (ORDERS.some(([value]) => value === params.get("orderby"))) state.orderby = params.get("orderby");
  const top = Number(params.get("top"));
  if (PAGE_SIZES.includes(top)) state.top = top;
  const skip = Number(params.get("skip"));
  if (Number.isInteger(skip) && skip > 0 && skip <= MAX_SKIP) state.skip = skip;
  return state;
}
