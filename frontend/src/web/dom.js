/* Building DOM nodes from data. Text always goes in as text nodes, never as HTML: product names, attribute values
 * and job reasons come from ingested files and other systems. */

/** h("a", {href: "/x", class: "button"}, "text", child) → an element; null, undefined and false are skipped. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replace every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** A two-column table of [label, value] rows; values may be nodes. */
export function definitionTable(rows, caption) {
  return h(
    "table",
    { class: "props" },
    caption ? h("caption", {}, caption) : null,
    h("tbody", {}, rows.map(([label, value]) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value)))),
  );
}

/** Announce a message in a live region (role=status); `kind` is "info", "error" or "ok". */
export function say(region, message, kind = "info") {
  region.textContent = message;
  region.dataset.kind = kind;
}
