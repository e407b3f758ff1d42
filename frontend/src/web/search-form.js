/* The search form: shows a search state and reads one back. Attribute filters offer the names and types the PRIP
 * lists for the chosen collection (Attributes(<collection>), or Attributes for every collection). */

import { h, replace } from "./dom.js";
import { getJSON } from "./http.js";
import { OPERATOR_LABELS, OPERATORS, ORDERS, PAGE_SIZES, emptyState } from "./odata.js";

// Shown first in the attribute list: what users filter on most.
const COMMON = ["orbitNumber", "relativeOrbitNumber", "orbitDirection", "cloudCover", "platformSerialIdentifier",
  "timeliness", "operationalMode", "polarisationChannels", "tileId", "processingDate"];
const SUGGESTIONS = {
  orbitDirection: ["ASCENDING", "DESCENDING"],
  platformSerialIdentifier: ["A", "B", "C", "D"],
  timeliness: ["NRT-3h", "Fast-24h", "NRT", "STC", "NTC"],
  polarisationChannels: ["VV&VH", "HH&HV", "VV", "HH"],
};

const attributeCache = new Map();

/** [{Name, ValueType}] of a collection ("" = every collection, merged). */
export async function attributesOf(collection) {
  if (!attributeCache.has(collection)) {
    const url = collection ? `/odata/v1/Attributes(${encodeURIComponent(collection)})` : "/odata/v1/Attributes";
    attributeCache.set(collection, getJSON(url).then((body) => {
      const lists = Array.isArray(body) ? [body] : Object.values(body);
      const byName = new Map(lists.flat().map((a) => [a.Name, a.ValueType]));
      const names = [...byName.keys()].sort((a, b) => {
        const [ia, ib] = [COMMON.indexOf(a), COMMON.indexOf(b)];
        if (ia !== ib) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
        return a.localeCompare(b);
      });
      return names.filter((n) => n !== "productType").map((name) => ({ name, type: byName.get(name) }));
    }).catch((error) => {
      attributeCache.delete(collection);
      throw error;
    }));
  }
  return attributeCache.get(collection);
}

export function createSearchForm(form, { onSubmit, onReset }) {
  const $ = (id) => form.querySelector(`#${id}`);
  const fields = {
    collection: $("f-collection"), productType: $("f-type"), name: $("f-name"),
    sensingFrom: $("f-sensing-from"), sensingTo: $("f-sensing-to"),
    publishedFrom: $("f-published-from"), publishedTo: $("f-published-to"),
    orderby: $("f-order"), top: $("f-top"),
  };
  const rowsBox = $("attribute-rows");
  const note = $("form-note");
  let known = []; // [{name, type}] of the current collection
  let rowCounter = 0;

  replace(fields.orderby, ORDERS.map(([value, label]) => h("option", { value }, label)));
  replace(fields.top, PAGE_SIZES.map((size) => h("option", { value: size }, String(size))));

  function valueInput(type, name, id, value) {
    if (type === "Boolean") {
      const select = h("select", { id, class: "attr-value" }, h("option", { value: "true" }, "true"),
        h("option", { value: "false" }, "false"));
      select.value = value || "true";
      return select;
    }
    if (type === "DateTimeOffset") return h("input", { id, class: "attr-value", type: "datetime-local", step: 1, value });
    const numeric = type === "Integer" || type === "Double";
    const input = h("input", { id, class: "attr-value", type: "text", value, autocomplete: "off", spellcheck: "false",
      inputmode: numeric ? (type === "Integer" ? "numeric" : "decimal") : null,
      list: SUGGESTIONS[name] ? `suggest-${name}` : null });
    return input;
  }

  function attributeRow(row = { name: "", type: "", op: "", value: "" }) {
    const index = ++rowCounter;
    const nameSelect = h("select", { id: `attr-name-${index}`, class: "attr-name" },
      h("option", { value: "" }, "Choose an attribute…"),
      known.map(({ name, type }) => h("option", { value: name, dataset: { type } }, name)));
    if (row.name && !known.some((a) => a.name === row.name)) {
      nameSelect.append(h("option", { value: row.name, dataset: { type: row.type } }, row.name));
    }
    nameSelect.value = row.name;
    const opSelect = h("select", { id: `attr-op-${index}`, class: "attr-op", "aria-label": "Comparison" });
    const valueSlot = h("span", { class: "attr-value-slot" });
    const element = h("div", { class: "attribute-row", role: "group", "aria-label": `Attribute filter ${index}` },
      h("label", { for: `attr-name-${index}`, class: "visually-hidden" }, "Attribute"), nameSelect,
      opSelect, valueSlot,
      h("button", { type: "button", class: "icon remove", "aria-label": "Remove this attribute filter",
        onclick: () => { element.remove(); } }, "×"));

    function typeOf() {
      const option = nameSelect.selectedOptions[0];
      return (option && option.dataset.type) || "";
    }
    function refresh(keepValue) {
      const type = typeOf();
      const ops = OPERATORS[type] || [];
      const previous = keepValue ? opSelect.value || row.op : "";
      replace(opSelect, ops.map((op) => h("option", { value: op }, OPERATOR_LABELS[op])));
      if (ops.includes(previous)) opSelect.value = previous;
      const current = valueSlot.querySelector(".attr-value");
      const value = keepValue ? (current ? current.value : row.value) : "";
      replace(valueSlot,
        h("label", { for: `attr-value-${index}`, class: "visually-hidden" }, `Value of ${nameSelect.value || "the attribute"}`),
        type ? valueInput(type, nameSelect.value, `attr-value-${index}`, value) : null);
      element.dataset.type = type;
    }
    nameSelect.addEventListener("change", () => refresh(false));
    refresh(true);
    return element;
  }

  function readRows() {
    return [...rowsBox.querySelectorAll(".attribute-row")].map((element) => ({
      name: element.querySelector(".attr-name").value,
      type: element.dataset.type || "",
      op: element.querySelector(".attr-op").value,
      value: (element.querySelector(".attr-value") || { value: "" }).value,
    })).filter((row) => row.name);
  }

  async function loadAttributes(collection) {
    rowsBox.dataset.loaded = "";
    try {
      known = await attributesOf(collection);
    } catch {
      known = [];
    }
    const rows = readRows();
    rowCounter = 0;
    replace(rowsBox, rows.map((row) => attributeRow(row)));
    rowsBox.dataset.loaded = collection || "*"; // which collection's names the rows offer (for tests)
  }

  // Suggestions for a few string attributes (values users otherwise have to know).
  for (const [name, values] of Object.entries(SUGGESTIONS)) {
    form.append(h("datalist", { id: `suggest-${name}` }, values.map((value) => h("option", { value }))));
  }

  $("attribute-add").addEventListener("click", () => {
    const row = attributeRow();
    rowsBox.append(row);
    row.querySelector(".attr-name").focus();
  });
  fields.collection.addEventListener("change", () => loadAttributes(fields.collection.value));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit();
  });
  $("form-reset").addEventListener("click", () => onReset());

  return {
    /** Show a state; the attribute rows wait for the collection's attribute list. */
    async show(state) {
      for (const key of ["collection", "productType", "name", "sensingFrom", "sensingTo", "publishedFrom", "publishedTo"]) {
        fields[key].value = state[key] || "";
      }
      fields.orderby.value = state.orderby;
      fields.top.value = String(state.top);
      rowCounter = 0;
      replace(rowsBox, state.attributes.map((row) => attributeRow(row)));
      const handEdited = state.filter !== null && state.filter !== undefined;
      note.hidden = !handEdited;
      note.textContent = handEdited
        ? "The search uses the $filter edited by hand below; searching with this form replaces it." : "";
      await loadAttributes(state.collection);
    },
    /** The state the form describes (a new search: first page, no hand-edited filter, no open product). */
    read(current) {
      const state = { ...emptyState(), aoi: current.aoi };
      for (const key of ["collection", "productType", "name", "sensingFrom", "sensingTo", "publishedFrom", "publishedTo"]) {
        state[key] = fields[key].value.trim();
      }
      state.orderby = fields.orderby.value;
      state.top = Number(fields.top.value);
      state.attributes = readRows();
      return state;
    },
    /** Sort and page size apply to the current search, whatever its kind. */
    paging() {
      return { orderby: fields.orderby.value, top: Number(fields.top.value) };
    },
    onPagingChange(callback) {
      fields.orderby.addEventListener("change", callback);
      fields.top.addEventListener("change", callback);
    },
  };
}
