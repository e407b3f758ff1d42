/* The result list: one entry per product of the page, linked to its footprint on the map (hover, focus, select).
 * Arrow keys move between entries, Enter opens the details, Home/End jump to the first/last. */

import { h, replace } from "./dom.js";
import { formatBytes, formatCount, formatTime, missionOf } from "./format.js";

export function attributeValue(product, name) {
  const found = (product.Attributes || []).find((a) => a.Name === name);
  return found ? found.Value : undefined;
}

/** What the map needs of a product. */
export function footprintOf(product) {
  return { id: product.Id, mission: missionOf(product.Name), geometry: product.GeoFootprint };
}

export function createResultList(list, { onHover, onOpen }) {
  const entries = new Map();
  let current = null;

  function entry(product) {
    const type = attributeValue(product, "productType");
    const cloud = attributeValue(product, "cloudCover");
    const orbit = attributeValue(product, "orbitNumber");
    const direction = attributeValue(product, "orbitDirection");
    const facts = [
      type,
      formatTime(product.ContentDate && product.ContentDate.Start),
      formatBytes(product.ContentLength),
      orbit !== undefined ? `orbit ${orbit}${direction ? ` ${String(direction).toLowerCase()}` : ""}` : null,
      cloud !== undefined ? `cloud ${Number(cloud).toFixed(1)} %` : null,
      product.GeoFootprint ? null : "no footprint",
      product.Online === false ? "offline" : null,
    ].filter(Boolean);
    const mission = missionOf(product.Name);
    const button = h("button", { type: "button", class: "result", id: `result-${product.Id}`, dataset: { id: product.Id },
      "aria-describedby": `result-facts-${product.Id}` },
    h("span", { class: `swatch swatch-${mission || "other"}`, "aria-hidden": "true" }),
    h("span", { class: "result-name" }, product.Name));
    const item = h("li", { dataset: { id: product.Id } }, button,
      h("span", { class: "result-facts", id: `result-facts-${product.Id}` }, facts.join(" · ")));
    entries.set(product.Id, item);
    return item;
  }

  function focusSibling(from, step) {
    const buttons = [...list.querySelectorAll("button.result")];
    const index = buttons.indexOf(from);
    const next = step === Infinity ? buttons[buttons.length - 1] : step === -Infinity ? buttons[0] : buttons[index + step];
    if (next) next.focus();
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button.result");
    if (button) onOpen(button.dataset.id);
  });
  list.addEventListener("keydown", (event) => {
    const button = event.target.closest("button.result");
    if (!button) return;
    const steps = { ArrowDown: 1, ArrowUp: -1, Home: -Infinity, End: Infinity };
    if (event.key in steps) {
      event.preventDefault();
      focusSibling(button, steps[event.key]);
    }
  });
  const hoverOf = (event) => {
    const item = event.target.closest("li[data-id]");
    onHover(item ? item.dataset.id : null);
  };
  list.addEventListener("mouseover", hoverOf);
  list.addEventListener("focusin", hoverOf);
  list.addEventListener("mouseleave", () => onHover(null));
  list.addEventListener("focusout", (event) => {
    if (!list.contains(event.relatedTarget)) onHover(null);
  });

  return {
    show(products) {
      entries.clear();
      const fragment = document.createDocumentFragment();
      for (const product of products) fragment.append(entry(product));
      replace(list, fragment);
    },
    /** Mark the entry whose footprint is under the pointer (or null). */
    hover(id) {
      for (const item of list.querySelectorAll("li.hovered")) item.classList.remove("hovered");
      if (id && entries.has(id)) entries.get(id).classList.add("hovered");
    },
    /** Mark the selected entry and bring it into view. */
    select(id) {
      if (current && entries.has(current)) {
        entries.get(current).classList.remove("selected");
        entries.get(current).querySelector("button").removeAttribute("aria-current");
      }
      current = id;
      if (id && entries.has(id)) {
        const item = entries.get(id);
        item.classList.add("selected");
        item.querySelector("button").setAttribute("aria-current", "true");
        item.scrollIntoView({ block: "nearest" });
      }
    },
    focus(id) {
      const item = entries.get(id);
      if (item) item.querySelector("button").focus();
    },
  };
}

/** "1–50 of 1,234" and the state of the previous/next buttons. */
export function pageSummary({ skip, shown, count }) {
  if (count === 0 || shown === 0) return skip > 0 ? "No more results" : "No product matches";
  const total = count === undefined || count === null ? "" : ` of ${formatCount(count)}`;
  return `${formatCount(skip + 1)}–${formatCount(skip + shown)}${total}`;
}
